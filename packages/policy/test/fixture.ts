/**
 * A small estate built in memory (no files, no generated/): three accounts, dev/staging/prod plus common's
 * shared (ArgoCD and the platform's hub, no services), an http service, a worker and a job, resolved by the
 * model and rendered by the real bases and platform. Tests break one thing in the typed input, the resolved
 * model or a rendered object, and expect exactly their rule to fire.
 */
import { renderFiles, renderObjects } from "@gitops/generator";
import { resolve, type EnvironmentInput, type EstateInput, type ResolvedDeployment, type ServiceInput } from "@gitops/model";
import { Context, type Finding, type PolicyInput, type PolicyObject, type Rule } from "../src/index.ts";

export const estateInput = (): EstateInput => ({
  repository: { url: "https://github.com/acme/platform-gitops.git" },
  registry: "registry.common.example.dev",
  platformTeam: "@acme/platform",
  // ArgoCD, and so the platform's hub, in common, as in the real estate.
  argocdEnvironment: "shared",
  accounts: {
    common: { cluster: { name: "common", server: "https://kubernetes.default.svc" }, domain: "common.example.dev", secretStore: { name: "common-vault" } },
    nonprod: { cluster: { name: "nonprod", server: "https://nonprod.k8s.example.dev" }, domain: "nonprod.example.dev", secretStore: { name: "nonprod-vault" } },
    prod: { cluster: { name: "prod", server: "https://prod.k8s.example.dev" }, domain: "example.dev", secretStore: { name: "prod-vault" } },
  },
});

export const environmentInputs = (): Record<string, EnvironmentInput> => ({
  shared: { name: "shared", account: "common", tier: "prod", wave: -1, domain: "common.example.dev" },
  dev: { name: "dev", account: "nonprod", tier: "dev", wave: 0 },
  staging: { name: "staging", account: "nonprod", tier: "staging", wave: 1 },
  prod: { name: "prod", account: "prod", tier: "prod", wave: 2, domain: "example.dev" },
});

export const serviceInputs = (): Record<string, ServiceInput> => ({
  api: {
    name: "api",
    kind: "http",
    description: "The API.",
    team: "core",
    costCenter: "cc-1",
    image: "core/api",
    version: "1.2.3",
    public: { host: "api" },
    config: { MODE: "fast", PASSWORD_MIN_LENGTH: 12 },
    urls: { PUBLIC_URL: "https://api.{domain}", PARTNER_URL: "https://sandbox.partner.example.com" },
    secrets: { DATABASE_URL: { key: "api/database", property: "url" } },
    environments: { dev: {}, staging: {}, prod: { urls: { PARTNER_URL: "https://live.partner.example.com" } } },
  },
  worker: {
    name: "worker",
    kind: "worker",
    description: "The worker.",
    team: "core",
    costCenter: "cc-1",
    image: "core/worker",
    version: "2.0.0",
    health: { port: 9090 },
    dependsOn: ["api"],
    environments: { dev: {}, staging: {}, prod: {} },
  },
  report: {
    name: "report",
    kind: "job",
    description: "The nightly report.",
    team: "data",
    costCenter: "cc-2",
    image: "data/report",
    version: "0.3.0",
    schedule: "0 2 * * *",
    dependsOn: ["api"],
    environments: { dev: {}, staging: {}, prod: {} },
  },
});

export interface FixtureOptions {
  readonly services?: (s: Record<string, ServiceInput>) => void;
  readonly environments?: (e: Record<string, EnvironmentInput>) => void;
  readonly estate?: (e: EstateInput) => void;
}

/** Resolves and renders the fixture estate (after the given edits to its typed input). */
export function fixture(options: FixtureOptions = {}): PolicyInput {
  const estate = estateInput();
  const environments = environmentInputs();
  const services = serviceInputs();
  options.estate?.(estate);
  options.environments?.(environments);
  options.services?.(services);
  const resolution = resolve({
    estate: { file: "environments/estate.ts", value: estate },
    environments: Object.entries(environments).map(([name, value]) => ({ file: `environments/${name}.ts`, value })),
    services: Object.entries(services).map(([name, value]) => ({ file: `services/${name}/service.ts`, value })),
  });
  if (!resolution.ok) throw new Error(`fixture does not resolve:\n${resolution.problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join("\n")}`);
  const objects = renderObjects(resolution.estate) as PolicyObject[];
  return { estate: resolution.estate, objects, files: renderFiles(objects as Parameters<typeof renderFiles>[0]) };
}

type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A copy of the input with one generated object (by its path under generated/) changed. Files stay as rendered. */
export function withObject(input: PolicyInput, file: string, edit: (o: Mutable) => void): PolicyInput {
  let found = false;
  const objects = input.objects.map((o) => {
    if (o.file !== file) return o;
    found = true;
    const object = structuredClone(o.object) as Mutable;
    edit(object);
    return { ...o, object };
  });
  if (!found) throw new Error(`no object at ${file}; have ${input.objects.map((o) => o.file).join(", ")}`);
  return { ...input, objects };
}

/** A copy of the input with extra objects (bound for the given generated/ paths). */
export function withExtra(input: PolicyInput, ...extra: { file: string; object: Mutable }[]): PolicyInput {
  return { ...input, objects: [...input.objects, ...extra.map((e) => ({ ...e, sources: ["services/api/service.ts"] }))] };
}

/** A copy of the input with one resolved deployment changed (for rules that read the model). */
export function withDeployment(input: PolicyInput, service: string, environment: string, edit: (d: Mutable) => void): PolicyInput {
  const deployments = input.estate.deployments.map((d) => {
    if (d.service !== service || d.environment !== environment) return d;
    const copy = structuredClone(d) as Mutable;
    edit(copy);
    return copy as ResolvedDeployment;
  });
  return { ...input, estate: { ...input.estate, deployments } };
}

/** A copy of the input with one generated file's text replaced. */
export function withFile(input: PolicyInput, file: string, text: string): PolicyInput {
  return { ...input, files: new Map([...input.files, [file, text]]) };
}

/** The findings of one rule. */
export function run(rule: Rule, input: PolicyInput): Finding[] {
  return rule.check(new Context(input));
}

let clean: PolicyInput | undefined;
/** The unmodified fixture, built once. */
export function cleanFixture(): PolicyInput {
  return (clean ??= fixture());
}
