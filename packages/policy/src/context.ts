/**
 * What every rule sees: the resolved model and the rendered objects, joined into units (one service in one
 * environment with its objects, and each service's pull-request preview as the environment it copies), plus the
 * helpers that turn a fault in an object back into the typed source that caused it. Rules never parse YAML and
 * never branch on an environment's name: they read the tier.
 */
import { previewDeployments, previewEnvironment } from "@gitops/argocd";
import type {
  ResolvedAccount,
  ResolvedDeployment,
  ResolvedEnvironment,
  ResolvedEstate,
  ResolvedService,
  PlatformRelease,
  Tier,
} from "@gitops/model";
import { split, type Finding, type SourceRef } from "./finding.ts";

/** One object bound for generated/ (the generator's RenderedObject, structurally). */
export interface PolicyObject {
  /** Path relative to generated/. */
  readonly file: string;
  readonly object: Readonly<Record<string, unknown>>;
  readonly sources: readonly string[];
}

/** What `check` runs over: the generator's build, in memory. */
export interface PolicyInput {
  readonly estate: ResolvedEstate;
  readonly objects: readonly PolicyObject[];
  /** Path relative to generated/ → file content, kustomizations included. */
  readonly files: ReadonlyMap<string, string>;
}

/** One service in one environment, with everything rendered for it. */
export interface Unit {
  readonly d: ResolvedDeployment;
  readonly env: ResolvedEnvironment;
  readonly tier: Tier;
  readonly service: ResolvedService;
  readonly account: ResolvedAccount;
  /** Folder under generated/, e.g. `prod/prod/payments`. */
  readonly folder: string;
  readonly objects: readonly PolicyObject[];
  /**
   * A pull-request preview (`<account>/preview/<service>`, packages/argocd/src/preview.ts): ArgoCD deploys it into
   * the cluster for labelled pull requests, so every rule checks it as the environment it copies (`env`, whose
   * findings and waivers it shares), except parity, which compares environments.
   */
  readonly preview: boolean;
}

export type Json = unknown;
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
export const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** A path inside an object, printed as `spec.template.spec.containers[0].image`, quoting keys with dots or slashes. */
export type ObjPath = readonly (string | number)[];
export function formatObjPath(path: ObjPath): string {
  return path
    .map((k, i) =>
      typeof k === "number" ? `[${k}]` : /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(k) ? `${i === 0 ? "" : "."}${k}` : `[${JSON.stringify(k)}]`,
    )
    .join("");
}

export function get(value: unknown, path: ObjPath): unknown {
  let v = value;
  for (const k of path) {
    if (typeof k === "number") v = Array.isArray(v) ? v[k] : undefined;
    else v = isObj(v) ? v[k] : undefined;
  }
  return v;
}

export const kindOf = (o: PolicyObject) => str(o.object.kind) ?? "";
export const apiVersionOf = (o: PolicyObject) => str(o.object.apiVersion) ?? "";
export const nameOf = (o: PolicyObject) => str(asObj(o.object.metadata).name) ?? "";
export const namespaceOf = (o: PolicyObject) => str(asObj(o.object.metadata).namespace);
export const labelsOf = (v: unknown): Record<string, string> => asObj(asObj(asObj(v).metadata).labels) as Record<string, string>;

/**
 * Calls `fn` for every string leaf of a JSON value; `path()` is the leaf's path, built only when asked for (rules ask
 * for the few leaves they report, and a path per leaf was most of a walk over 100,000 objects).
 */
export function eachString(value: unknown, fn: (value: string, path: () => ObjPath) => void): void {
  const at: (string | number)[] = [];
  const path = () => [...at];
  const walk = (v: unknown) => {
    if (typeof v === "string") fn(v, path);
    else if (Array.isArray(v))
      for (let i = 0; i < v.length; i++) {
        at.push(i);
        walk(v[i]);
        at.pop();
      }
    else if (isObj(v))
      for (const k of Object.keys(v)) {
        at.push(k);
        walk(v[k]);
        at.pop();
      }
  };
  walk(value);
}

/**
 * The folder under each account that holds the platform's companion objects (`generated/<account>/platform/…`);
 * "platform" is a reserved environment name, so no environment's folder can be mistaken for it.
 */
export const PLATFORM_FOLDER = "platform";

/** A reference to a secret store inside an External Secrets object, with its path. */
export interface StoreRef {
  readonly path: ObjPath;
  readonly name: string | undefined;
  readonly kind: string;
}

/**
 * Every store an ExternalSecret reads: `spec.secretStoreRef`, and the per-entry `sourceRef.storeRef` of `data` and
 * `dataFrom`, which override it (a secret could otherwise come from another store one key at a time).
 */
export function storeRefsOf(o: PolicyObject): StoreRef[] {
  if (kindOf(o) !== "ExternalSecret") return [];
  const spec = asObj(o.object.spec);
  const ref = (path: ObjPath, v: unknown): StoreRef => ({ path, name: str(asObj(v).name), kind: str(asObj(v).kind) ?? "SecretStore" });
  const out = [ref(["spec", "secretStoreRef"], spec.secretStoreRef)];
  for (const field of ["data", "dataFrom"] as const)
    asArr(spec[field]).forEach((e, i) => {
      const storeRef = asObj(asObj(e).sourceRef).storeRef;
      if (storeRef !== undefined) out.push(ref(["spec", field, i, "sourceRef", "storeRef"], storeRef));
    });
  return out;
}

/** A pod template inside a workload object (or a bare Pod). */
export interface PodTemplate {
  readonly object: PolicyObject;
  /** Path to the template (the object holding metadata and spec); empty for a bare Pod. */
  readonly path: ObjPath;
  readonly spec: Obj;
  readonly labels: Record<string, string>;
  /** Deployments, Rollouts, StatefulSets, DaemonSets: pods that serve and run for long. Jobs and CronJobs are not. */
  readonly longRunning: boolean;
}

const templatePaths: Record<string, { path: ObjPath; longRunning: boolean }> = {
  Deployment: { path: ["spec", "template"], longRunning: true },
  // Argo Rollouts' Deployment: a canary or blue-green service's pods.
  Rollout: { path: ["spec", "template"], longRunning: true },
  StatefulSet: { path: ["spec", "template"], longRunning: true },
  DaemonSet: { path: ["spec", "template"], longRunning: true },
  ReplicaSet: { path: ["spec", "template"], longRunning: true },
  ReplicationController: { path: ["spec", "template"], longRunning: true },
  Job: { path: ["spec", "template"], longRunning: false },
  CronJob: { path: ["spec", "jobTemplate", "spec", "template"], longRunning: false },
  Pod: { path: [], longRunning: true },
};

export function podTemplate(o: PolicyObject): PodTemplate | undefined {
  const at = templatePaths[kindOf(o)];
  if (!at) return undefined;
  const template = get(o.object, at.path);
  if (!isObj(template)) return undefined;
  return { object: o, path: at.path, spec: asObj(template.spec), labels: labelsOf(template), longRunning: at.longRunning };
}

export interface ContainerRef {
  readonly container: Obj;
  readonly path: ObjPath;
  readonly init: boolean;
}

/** Every container and init container of a pod template, with its path in the object. */
export function containersOf(t: PodTemplate): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const field of ["initContainers", "containers"] as const)
    asArr(t.spec[field]).forEach((c, i) => {
      if (isObj(c)) out.push({ container: c, path: [...t.path, "spec", field, i], init: field === "initContainers" });
    });
  return out;
}

/** Does a label selector (matchLabels and matchExpressions) select these labels? */
export function selects(selector: unknown, labels: Record<string, string>): boolean {
  if (!isObj(selector)) return false;
  const match = asObj(selector.matchLabels);
  const exprs = asArr(selector.matchExpressions);
  if (Object.keys(match).length === 0 && exprs.length === 0) return true;
  for (const [k, v] of Object.entries(match)) if (labels[k] !== v) return false;
  for (const e of exprs.map(asObj)) {
    const key = str(e.key) ?? "";
    const values = asArr(e.values).map(String);
    const has = key in labels;
    switch (e.operator) {
      case "In": if (!has || !values.includes(labels[key]!)) return false; break;
      case "NotIn": if (has && values.includes(labels[key]!)) return false; break;
      case "Exists": if (!has) return false; break;
      case "DoesNotExist": if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/** The context rules run in. */
export class Context {
  readonly estate: ResolvedEstate;
  readonly objects: readonly PolicyObject[];
  readonly files: ReadonlyMap<string, string>;
  readonly units: readonly Unit[];
  private readonly byFolder = new Map<string, Unit>();

  constructor(input: PolicyInput) {
    this.estate = input.estate;
    this.objects = input.objects;
    this.files = input.files;
    const folderObjects = new Map<string, PolicyObject[]>();
    for (const o of input.objects) {
      const folder = o.file.slice(0, o.file.lastIndexOf("/"));
      const list = folderObjects.get(folder);
      if (list) list.push(o);
      else folderObjects.set(folder, [o]);
    }
    const units: Unit[] = [];
    // A preview deployment's environment is the preview folder's name, so both kinds of folder are named alike.
    const add = (d: ResolvedDeployment, env: ResolvedEnvironment | undefined, preview: boolean) => {
      const service = input.estate.services.find((s) => s.name === d.service);
      const account = input.estate.accounts.find((a) => a.name === d.account);
      if (!env || !service || !account) return;
      const folder = `${d.account}/${d.environment}/${d.service}`;
      const unit: Unit = { d, env, tier: env.tier, service, account, folder, objects: folderObjects.get(folder) ?? [], preview };
      units.push(unit);
      this.byFolder.set(folder, unit);
    };
    for (const d of input.estate.deployments) add(d, input.estate.environments.find((e) => e.name === d.environment), false);
    const previewed = previewEnvironment(input.estate);
    for (const d of previewed ? previewDeployments(input.estate) : []) add(d, previewed, true);
    this.units = units;
  }

  /** The unit an object was rendered for; undefined for estate-level objects such as ArgoCD's. */
  unitOf(o: PolicyObject): Unit | undefined {
    return this.unitOfFile(o.file);
  }

  /** The unit whose folder holds a generated file (its kustomization too); undefined outside any unit's folder. */
  unitOfFile(file: string): Unit | undefined {
    return this.unitIn(file.slice(0, file.lastIndexOf("/")));
  }

  /** The unit rendered into a folder (relative to generated/), if any. */
  unitIn(folder: string): Unit | undefined {
    return this.byFolder.get(folder);
  }

  /**
   * The account an object is bound for: its unit's; the account whose platform folder holds it
   * (`<account>/platform/…`); or, for a platform release's Application in ArgoCD's folder, the release's account
   * (the cluster it installs into). Undefined for ArgoCD's own objects, which serve every account.
   */
  accountOf(o: PolicyObject): ResolvedAccount | undefined {
    const unit = this.unitOf(o);
    if (unit) return unit.account;
    const [account, folder] = o.file.split("/");
    const name = folder === PLATFORM_FOLDER ? account : this.releaseOf(o)?.account;
    return this.estate.accounts.find((a) => a.name === name);
  }

  /** The platform release an Application installs, matched by the release's Application name. */
  releaseOf(o: PolicyObject): PlatformRelease | undefined {
    if (kindOf(o) !== "Application" || !apiVersionOf(o).startsWith("argoproj.io/")) return undefined;
    return this.estate.platform.releases.find((r) => r.name === nameOf(o));
  }

  /** Objects bound for an account outside any unit: its platform folder and its platform Applications. */
  platformObjects(): { o: PolicyObject; account: ResolvedAccount }[] {
    return this.objects.flatMap((o) => {
      if (this.unitOf(o)) return [];
      const account = this.accountOf(o);
      return account ? [{ o, account }] : [];
    });
  }

  /** The environment a generated path lies in (`<account>/<env>/…`), if it names one. */
  environmentOf(file: string): ResolvedEnvironment | undefined {
    const [account, env] = file.split("/");
    return this.estate.environments.find((e) => e.name === env && e.account === account);
  }

  /** Where an estate-level object (no unit) comes from: its first source, whole file. */
  objectSource(o: PolicyObject): SourceRef {
    const unit = this.unitOf(o);
    if (unit) return { file: unit.service.file, path: "" };
    return { file: o.sources[0] ?? this.estate.file, path: "" };
  }

  /**
   * The typed source of a resolved field (`replicas`, `resources`, `config.KEY`, `urls.KEY`, `secrets.KEY`,
   * `logLevel`, `version`, …), from the deployment's origins: an override points at
   * `environments.<env>.<field>` in the service file, a tier value at the environment's `tier` field.
   */
  source(u: Unit, field: string): SourceRef {
    const o = u.d.origins[field];
    if (!o) return { file: u.service.file, path: field };
    switch (o.layer) {
      case "override":
        return { file: o.file, path: `environments.${u.env.name}.${field}` };
      case "service":
        return { file: o.file, path: field };
      case "tier":
        return this.tier(u);
      case "account":
        return { file: o.file, path: `accounts.${u.d.account}.${field}` };
      case "platform": {
        // Shared settings are declared under platform.config; the telemetry settings by the platform as a whole.
        const key = field.startsWith("config.") ? field.slice("config.".length) : undefined;
        return { file: o.file, path: key !== undefined && Object.hasOwn(this.estate.platform.config, key) ? `platform.config.${key}` : "platform" };
      }
      case "environment":
        return { file: o.file, path: field.startsWith("ingress.") ? "domain" : field };
      case "derived":
        return { file: o.file, path: field.startsWith("config.") ? "dependsOn" : field };
    }
  }

  /** The environment's choice of tier: where every tier figure comes from. */
  tier(u: Unit): SourceRef {
    return { file: u.env.file, path: "tier" };
  }

  /** The typed source of one ConfigMap/env key: config, urls (maybe overridden), a dependency, or the log level. */
  configSource(u: Unit, key: string): SourceRef {
    if (key === "LOG_LEVEL") return this.source(u, "logLevel");
    if (u.d.origins[`urls.${key}`]) return this.source(u, `urls.${key}`);
    if (u.d.origins[`config.${key}`]) return this.source(u, `config.${key}`);
    if (u.d.secrets.some((s) => s.env === key)) return this.source(u, `secrets.${key}`);
    return { file: u.service.file, path: `config.${key}` };
  }

  /**
   * The typed source behind a path in one of a unit's objects: ConfigMap keys and container env go back to
   * config/urls/secrets, images to the version, ingress hosts to the environment's domain, secret stores to
   * the account, resources to resources; anything else to the service file as a whole.
   */
  locate(u: Unit, o: PolicyObject, path: ObjPath): SourceRef {
    const kind = kindOf(o);
    const [a, b, c] = path;
    if (kind === "ConfigMap" && a === "data" && typeof b === "string") return this.configSource(u, b);
    if (kind === "ExternalSecret" && a === "spec") {
      if (b === "secretStoreRef") return this.source(u, "secretStore");
      if (b === "data" && typeof c === "number") {
        const key = str(asObj(get(o.object, ["spec", "data", c])).secretKey);
        if (key) return this.source(u, `secrets.${key}`);
      }
    }
    if (kind === "Ingress" && path.includes("host")) return this.source(u, "ingress.host");
    if (kind === "Ingress" && path.includes("hosts")) return this.source(u, "ingress.host");
    const i = path.indexOf("containers");
    if (i >= 0) {
      const field = path[i + 2];
      if (field === "image") return this.source(u, "version");
      if (field === "resources") return this.source(u, "resources");
      if (field === "env" && typeof path[i + 3] === "number") {
        const name = str(asObj(get(o.object, [...path.slice(0, i + 4)])).name);
        if (name) return this.configSource(u, name);
      }
      if (field === "command" || field === "args") return { file: u.service.file, path: field };
      if (field === "readinessProbe" || field === "livenessProbe" || field === "startupProbe") return { file: u.service.file, path: "health" };
    }
    return { file: u.service.file, path: "" };
  }

  /**
   * The typed source behind a path in any object: a unit's (see `locate`); for platform objects, the estate field
   * the value comes from (the account's store, issuer or ingress class, the platform's vault, ACME contact or chart
   * pins), else the platform block; for ArgoCD's own objects, their first source.
   */
  sourceOf(o: PolicyObject, path: ObjPath): SourceRef {
    const unit = this.unitOf(o);
    if (unit) return this.locate(unit, o, path);
    const account = this.accountOf(o);
    if (!account) return this.objectSource(o);
    const file = this.estate.file;
    const acc = (field: string) => ({ file, path: `accounts.${account.name}.${field}` });
    const kind = kindOf(o);
    const p = formatObjPath(path);
    if (path.includes("secretStoreRef") || path.includes("storeRef")) return acc("secretStore");
    if ((kind === "ClusterSecretStore" || kind === "SecretStore") && p === "metadata.name") return acc("secretStore");
    if (p.startsWith("spec.provider.vault.server")) return { file, path: "platform.vault" };
    if (kind === "ClusterIssuer" && p === "metadata.name") return acc("ingress.clusterIssuer");
    if (kind === "ClusterIssuer" && p === "spec.acme.email") return { file, path: "platform.acmeEmail" };
    if (p === 'metadata.annotations["cert-manager.io/cluster-issuer"]') return acc("ingress.clusterIssuer");
    if (kind === "Ingress" && p === "spec.ingressClassName") return acc("ingress.className");
    const release = this.releaseOf(o);
    if (release && /^spec\.sources\[0\]\.targetRevision$/.test(p)) return { file, path: `platform.charts.${release.component}` };
    if (release && p === "spec.destination.server") return acc("cluster.server");
    return { file, path: "platform" };
  }

  /** Builds a finding from "what is wrong — how to fix it", located at `at` and, optionally, at an object path. */
  finding(rule: string, at: SourceRef, text: string, where: { unit?: Unit | undefined; object?: PolicyObject; path?: ObjPath; environment?: string | null } = {}): Finding {
    const { message, fix } = split(text);
    const unit = where.unit ?? (where.object ? this.unitOf(where.object) : undefined);
    const environment =
      where.environment !== undefined ? where.environment : (unit?.env.name ?? (where.object ? (this.environmentOf(where.object.file)?.name ?? null) : null));
    return {
      rule,
      file: at.file,
      path: at.path,
      message,
      fix,
      environment,
      service: unit?.d.service ?? null,
      ...(where.object ? { generated: { file: where.object.file, path: formatObjPath(where.path ?? []) } } : {}),
    };
  }
}
