/**
 * Every generated object against the Kubernetes schemas from kubernetes-models (core and built-in kinds,
 * Kubernetes 1.36) and the CRD model packages (External Secrets, Argo CD, Argo Rollouts, Prometheus Operator,
 * cert-manager), plus unknown-field detection, which works the same for every package.
 *
 * The models' validators are ajv code compiled from the OpenAPI schemas; they accept unknown fields. To
 * find those, each object is validated through a recording proxy: a compiled validator reads exactly the
 * properties its schema declares (`data.replicas`, …) and enumerates the keys of map-typed values
 * (additionalProperties, e.g. labels). A key the validator neither read nor enumerated is not in the
 * schema: `replicaz` is an error, not silently dropped by the API server. Objects the validator read nothing
 * of are free-form (`{}` or x-kubernetes-preserve-unknown-fields: list generator elements, Helm values).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { asObj, formatObjPath, type Context, type ObjPath, type PolicyObject } from "../context.ts";
import type { Finding } from "../finding.ts";
import { rule, type Rule } from "../rule.ts";
import { validateLocal, veleroSchema } from "./velero.ts";

/**
 * Model packages for CRD groups; everything else comes from kubernetes-models. Each package's own engines field
 * says node >= 22 (as the whole @kubernetes-models family does), but they are plain ES2022 modules that import and
 * validate on Node 20, which the schema tests exercise.
 */
const crdPackages: Readonly<Record<string, string>> = {
  "external-secrets.io": "@kubernetes-models/external-secrets",
  "argoproj.io": "@kubernetes-models/argo-cd",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "cert-manager.io": "@kubernetes-models/cert-manager",
};

/**
 * Kinds of a group that another project defines, by `group/kind`: argoproj.io holds Argo CD's kinds (above) and
 * Argo Rollouts', which @kubernetes-models/argo-rollouts models (Argo Rollouts v1.8's CRDs).
 */
const kindPackages: Readonly<Record<string, string>> = Object.fromEntries(
  ["Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun", "Experiment"].map((k) => [`argoproj.io/${k}`, "@kubernetes-models/argo-rollouts"]),
);

interface ModelClass {
  prototype: { validate(): void };
}

const cache = new Map<string, Promise<ModelClass | undefined>>();

/** The model class for an apiVersion and kind, or undefined when no installed package has one. */
export function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const key = `${apiVersion}/${kind}`;
  let found = cache.get(key);
  if (!found) {
    found = load(apiVersion, kind);
    cache.set(key, found);
  }
  return found;
}

async function load(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
  const pkg = kindPackages[`${group}/${kind}`] ?? crdPackages[group] ?? "kubernetes-models";
  try {
    const url = moduleUrl(pkg, apiVersion, kind);
    if (url === undefined) return undefined;
    const mod = (await import(url)) as Record<string, unknown>;
    const model = mod[kind] as (ModelClass & (new () => unknown)) | undefined;
    return typeof model === "function" && typeof (model as ModelClass).prototype?.validate === "function" ? model : undefined;
  } catch {
    return undefined;
  }
}

const packageExports = new Map<string, { dir: string; exports: Record<string, { import?: string } | string> } | undefined>();

/**
 * The URL of `pkg/<apiVersion>/<kind>` (the package's `exports` pattern `./<apiVersion>/*`), the package found as
 * Node finds it from this file (the nearest node_modules/<pkg> up the tree): the CLI's bundle, which lives
 * elsewhere, resolves the models from here too.
 */
function moduleUrl(pkg: string, apiVersion: string, kind: string): string | undefined {
  if (!packageExports.has(pkg)) {
    let found: { dir: string; exports: Record<string, { import?: string } | string> } | undefined;
    for (let dir = dirname(fileURLToPath(import.meta.url)); !found; dir = dirname(dir)) {
      const candidate = join(dir, "node_modules", pkg, "package.json");
      if (existsSync(candidate)) found = { dir: dirname(candidate), exports: (JSON.parse(readFileSync(candidate, "utf8")) as { exports?: Record<string, { import?: string } | string> }).exports ?? {} };
      if (dirname(dir) === dir) break;
    }
    packageExports.set(pkg, found);
  }
  const found = packageExports.get(pkg);
  const target = found?.exports[`./${apiVersion}/*`];
  const file = typeof target === "string" ? target : target?.import;
  return found && file ? pathToFileURL(join(found.dir, file.replace("*", kind))).href : undefined;
}

export interface SchemaResult {
  /** Schema violations: path inside the object and ajv's message. */
  readonly errors: readonly { readonly path: ObjPath; readonly message: string }[];
  /** Paths of fields the schema does not declare. */
  readonly unknown: readonly ObjPath[];
}

const pointerToPath = (pointer: string): ObjPath =>
  pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** Validates one object with its model and reports unknown fields (see the file comment). */
export function validateWith(model: ModelClass, object: unknown): SchemaResult {
  const read = new Map<string, Set<string>>();
  const open = new Set<string>();
  const note = (path: string, key: string) => {
    let keys = read.get(path);
    if (!keys) read.set(path, (keys = new Set()));
    keys.add(key);
  };
  const proxies = new WeakMap<object, Map<string, object>>();
  const wrap = (value: unknown, path: string): unknown => {
    if (typeof value !== "object" || value === null) return value;
    let byPath = proxies.get(value);
    if (!byPath) proxies.set(value, (byPath = new Map()));
    const existing = byPath.get(path);
    if (existing) return existing;
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof key !== "string") return v;
        note(path, key);
        return wrap(v, `${path}/${key}`);
      },
      has(target, key) {
        if (typeof key === "string") note(path, key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        open.add(path);
        return Reflect.ownKeys(target);
      },
    });
    byPath.set(path, proxy);
    return proxy;
  };

  const errors: { path: ObjPath; message: string }[] = [];
  try {
    model.prototype.validate.call(wrap(object, ""));
  } catch (error) {
    const list = (error as { errors?: { instancePath?: string; message?: string }[] }).errors;
    if (Array.isArray(list))
      for (const e of list) errors.push({ path: pointerToPath(e.instancePath ?? ""), message: e.message ?? "is invalid" });
    else errors.push({ path: [], message: error instanceof Error ? error.message : String(error) });
  }

  const unknown: ObjPath[] = [];
  const walk = (value: unknown, pointer: string, path: ObjPath) => {
    if (typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${pointer}/${i}`, [...path, i]));
      return;
    }
    const keys = read.get(pointer);
    // A validator reads every property its schema declares, present or not. An object it read nothing of
    // (and did not enumerate) has a free-form schema (`{}`, preserve-unknown-fields): any key goes.
    if (!open.has(pointer) && (!keys || keys.size === 0)) return;
    for (const [k, v] of Object.entries(value)) {
      if (!open.has(pointer) && !keys?.has(k)) {
        unknown.push([...path, k]);
        continue;
      }
      walk(v, `${pointer}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`, [...path, k]);
    }
  };
  walk(object, "", []);
  return { errors: dedupe(errors), unknown };
}

function dedupe(errors: { path: ObjPath; message: string }[]) {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${formatObjPath(e.path)} ${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where to point a schema finding: the unit's typed source for that path, or the object's source. */
function at(ctx: Context, o: PolicyObject, path: ObjPath) {
  const u = ctx.unitOf(o);
  return u ? ctx.locate(u, o, path) : ctx.objectSource(o);
}

/**
 * Validation needs the model classes, which load asynchronously; `loadModels` fetches them once so the rules
 * themselves stay synchronous like every other rule.
 */
export async function loadModels(objects: readonly PolicyObject[]): Promise<Map<string, ModelClass | undefined>> {
  const keys = [...new Set(objects.map((o) => `${String(o.object.apiVersion)}\u0000${String(o.object.kind)}`))];
  const models = await Promise.all(keys.map((k) => modelFor(...(k.split("\u0000") as [string, string]))));
  return new Map(keys.map((k, i) => [k, models[i]]));
}

/** The schema rules, bound to preloaded models. */
export function schemaRules(models: ReadonlyMap<string, ModelClass | undefined>): Rule[] {
  const results = new WeakMap<PolicyObject, SchemaResult | undefined>();
  const resultOf = (o: PolicyObject) => {
    if (!results.has(o)) {
      const model = models.get(`${String(o.object.apiVersion)}\u0000${String(o.object.kind)}`);
      const local = veleroSchema(String(o.object.apiVersion), String(o.object.kind));
      results.set(o, model ? validateWith(model, o.object) : local ? validateLocal(local, o.object) : undefined);
    }
    return results.get(o);
  };
  const kubernetes = rule(
    "schema/kubernetes",
    "Every generated object validates against its Kubernetes or CRD schema (kubernetes-models).",
    (ctx: Context) => {
      const out: Finding[] = [];
      for (const o of ctx.objects) {
        const r = resultOf(o);
        if (!r) {
          out.push(ctx.finding("schema/kubernetes", ctx.objectSource(o), `${String(o.object.apiVersion)} ${String(o.object.kind)} has no schema in kubernetes-models or the CRD model packages — emit a known kind, or add its @kubernetes-models package to @gitops/policy`, { object: o, path: ["kind"] }));
          continue;
        }
        for (const e of r.errors)
          out.push(ctx.finding("schema/kubernetes", at(ctx, o, e.path), `${String(o.object.kind)} ${String(asObj(o.object.metadata).name ?? "")} ${e.path.length ? formatObjPath(e.path) : "(object)"} ${e.message} — fix the value the base or config renders there`, { object: o, path: e.path }));
      }
      return out;
    },
    false,
  );
  const unknownFields = rule(
    "schema/unknown-field",
    "No generated object carries a field its schema does not declare (a typo is an error, not silently dropped).",
    (ctx: Context) => {
      const out: Finding[] = [];
      for (const o of ctx.objects)
        for (const path of resultOf(o)?.unknown ?? [])
          out.push(ctx.finding("schema/unknown-field", at(ctx, o, path), `${String(o.object.kind)} ${String(asObj(o.object.metadata).name ?? "")} has ${formatObjPath(path)}, a field its schema does not know — fix its spelling or remove it (the API server would drop it silently)`, { object: o, path }));
      return out;
    },
    false,
  );
  return [kubernetes, unknownFields];
}
