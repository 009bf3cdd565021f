/**
 * The platform's resolution: which account is the hub, what each account installs, and the shared config that
 * services read. The hub receives everyone's telemetry, so it may never be an account that runs services.
 */
import { describe, expect, it } from "vitest";
import { formatProblem, resolve, type ResolvedEstate, type SourceFile } from "../src/index.ts";

const account = (name: string, domain: string) => ({ cluster: { name, server: `https://${name}.k8s.example.dev` }, domain, secretStore: { name: `${name}-vault` } });
const estateFile = (extra: Record<string, unknown> = {}, withCommon = true): SourceFile => ({
  file: "environments/estate.ts",
  value: {
    repository: { url: "https://github.com/example/estate.git" },
    registry: "registry.example.dev",
    platformTeam: "@example/platform",
    ...(withCommon ? { argocdEnvironment: "shared" } : {}),
    accounts: {
      ...(withCommon ? { common: account("common", "common.example.dev") } : {}),
      nonprod: account("nonprod", "nonprod.example.dev"),
      prod: account("prod", "example.dev"),
    },
    ...extra,
  },
});
const environments = (withCommon = true): SourceFile[] => [
  ...(withCommon ? [{ file: "environments/shared.ts", value: { name: "shared", account: "common", tier: "prod", wave: -1, domain: "common.example.dev" } }] : []),
  { file: "environments/dev.ts", value: { name: "dev", account: "nonprod", tier: "dev", wave: 0 } },
  { file: "environments/prod.ts", value: { name: "prod", account: "prod", tier: "prod", wave: 2, domain: "example.dev" } },
];
const web = (body: Record<string, unknown> = {}): SourceFile => ({
  file: "services/web/service.ts",
  value: { name: "web", kind: "http", description: "Web.", team: "web", costCenter: "cc-1", image: "web/web", version: "1.0.0", environments: { dev: {}, prod: {} }, ...body },
});

function resolved(estate: SourceFile, envs: SourceFile[], services: SourceFile[] = [web()]): ResolvedEstate {
  const r = resolve({ estate, environments: envs, services });
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.estate;
}
const problems = (estate: SourceFile, envs: SourceFile[], services: SourceFile[] = [web()]) => {
  const r = resolve({ estate, environments: envs, services });
  return r.ok ? [] : r.problems.map(formatProblem);
};

describe("platform: the hub", () => {
  it("defaults to the account running ArgoCD when it runs no services; the stores live there only", () => {
    const e = resolved(estateFile(), environments());
    expect(e.platform.hub).toBe("common");
    const stores = e.platform.releases.filter((r) => r.component === "loki" || r.component === "tempo");
    expect(stores.map((r) => r.account)).toEqual(["common", "common"]);
    for (const r of e.platform.releases) {
      expect(r.hub).toBe(r.account === "common");
      // Every account ships to common's public endpoints and reads common's secret manager through its own mount.
      expect(r.endpoints.otlp).toBe("otlp.common.example.dev");
      expect(r.vault).toBe("https://vault.common.example.dev");
    }
    expect(new Set(e.platform.releases.filter((r) => r.component === "opentelemetry-collector").map((r) => r.account))).toEqual(new Set(["common", "nonprod", "prod"]));
  });

  it("refuses a named hub that runs services: prod would ship into nonprod", () => {
    expect(problems(estateFile({ platform: { hub: "nonprod" } }), environments())).toEqual([
      'environments/estate.ts: platform.hub: is "nonprod", which runs services: every other account would ship its telemetry into it — name an account that runs none (common), or remove hub so that each account keeps its own',
    ]);
    expect(problems(estateFile({ platform: { hub: "staging" } }), environments())).toEqual([
      'environments/estate.ts: platform.hub: is "staging", which is not an account — use one of common, nonprod, prod',
    ]);
  });

  it("without a service-free account, gives every account its own stores and endpoints (nothing crosses accounts)", () => {
    const e = resolved(estateFile({}, false), environments(false));
    expect(e.platform.hub).toBeUndefined();
    expect(e.platform.endpoints).toEqual({});
    for (const name of ["nonprod", "prod"]) {
      const own = e.platform.releases.filter((r) => r.account === name);
      expect(own.map((r) => r.component)).toEqual(expect.arrayContaining(["loki", "tempo"]));
      const domain = e.accounts.find((a) => a.name === name)!.domain;
      for (const r of own) expect([r.hub, r.endpoints.otlp, r.vault, r.acmeEmail]).toEqual([true, `otlp.${domain}`, `https://vault.${domain}`, `platform@${domain}`]);
    }
  });
});

describe("platform: shared config", () => {
  const platform = { config: { FLAGS_URL: "https://flags.{domain}", LOCALE: "en-GB", RETRIES: 3 } };

  it("copies a declared setting into every environment that reads it, {domain} filled, as a string", () => {
    const e = resolved(estateFile({ platform }), environments(), [web({ sharedConfig: ["FLAGS_URL", "RETRIES"] })]);
    const at = (env: string) => e.deployments.find((d) => d.environment === env)!;
    expect([at("dev").config.FLAGS_URL, at("prod").config.FLAGS_URL]).toEqual(["https://flags.dev.nonprod.example.dev", "https://flags.example.dev"]);
    expect(at("prod").config.RETRIES).toBe("3");
    expect(at("prod").config.LOCALE).toBeUndefined();
    expect(at("dev").origins["config.FLAGS_URL"]).toEqual({ layer: "platform", file: "environments/estate.ts" });
  });

  it("names an undeclared, repeated or clashing setting, and OTEL_* set by hand, all at once", () => {
    const svc = web({ sharedConfig: ["NOPE", "LOCALE", "LOCALE", "MODE"], config: { MODE: "x", OTEL_SERVICE_NAME: "mine" } });
    expect(problems(estateFile({ platform }), environments(), [svc])).toEqual([
      "services/web/service.ts: config.OTEL_SERVICE_NAME: is set by the platform (every workload sends telemetry to its account's collector) — remove it",
      'services/web/service.ts: sharedConfig[2]: "LOCALE" is already listed — remove it',
      "services/web/service.ts: sharedConfig[3]: MODE is also set in the service's own config, urls or secrets — take it from one place",
    ]);
    expect(problems(estateFile({ platform }), environments(), [web({ sharedConfig: ["NOPE"] })])).toEqual([
      "services/web/service.ts: sharedConfig[0]: names NOPE, which environments/estate.ts does not declare under platform.config — declare it there once, or remove it here",
    ]);
  });

  it("lets a service tighten the tier's SLO but never loosen it", () => {
    const e = resolved(estateFile(), environments(), [web({ slo: { latencyP99Ms: 250 } })]);
    expect(e.deployments.map((d) => d.slo)).toEqual([
      { errorRatePercent: 5, latencyP99Ms: 250 },
      { errorRatePercent: 5, latencyP99Ms: 250 },
    ]);
    expect(problems(estateFile(), environments(), [web({ slo: { errorRatePercent: 10 } })])).toEqual([
      "services/web/service.ts: slo.errorRatePercent: is 10 %, looser than the dev tier's 5 % — an SLO may only tighten the tier's; lower it",
      "services/web/service.ts: slo.errorRatePercent: is 10 %, looser than the prod tier's 5 % — an SLO may only tighten the tier's; lower it",
    ]);
  });
});
