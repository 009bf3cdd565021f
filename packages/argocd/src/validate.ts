/**
 * Schema validation for ArgoCD's kinds with `@kubernetes-models/argo-cd` (generated from Argo CD v3.3's Go
 * types), plus the check the models lack: fields the schema does not declare. The package's ajv validators
 * accept unknown keys, so each object is validated through a recording proxy: a compiled validator reads
 * exactly the properties its schema declares and enumerates map-typed values (labels, annotations). A key it
 * neither read nor enumerated is unknown — a typo such as `syncOption` that the API server would drop.
 * Objects it read nothing of are free-form (`x-kubernetes-preserve-unknown-fields`: list generator elements).
 */
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";

const MODELS: Readonly<Record<string, { prototype: { validate(): void } }>> = { Application, ApplicationSet, AppProject };

export interface SchemaProblem {
  /** Where in the object, as a dotted path with [i] for list items; "" for the object itself. */
  readonly path: string;
  readonly message: string;
}

/** True when `validateArgoObject` knows the object's kind (argoproj.io/v1alpha1 Application, ApplicationSet, AppProject). */
export const isArgoKind = (object: Readonly<Record<string, unknown>>): boolean => object.apiVersion === "argoproj.io/v1alpha1" && typeof object.kind === "string" && object.kind in MODELS;

const formatPath = (parts: readonly (string | number)[]) => parts.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");

/**
 * Validates one ArgoCD object: schema errors first (required fields, enums, types, non-string annotations),
 * then every field the schema does not declare. Empty when the object is valid.
 */
export function validateArgoObject(object: Readonly<Record<string, unknown>>): SchemaProblem[] {
  if (!isArgoKind(object)) return [{ path: "kind", message: `${String(object.apiVersion)} ${String(object.kind)} is not an ArgoCD kind this validator knows` }];
  const model = MODELS[object.kind as string]!;
  const read = new Map<string, Set<string>>();
  const open = new Set<string>();
  const proxies = new WeakMap<object, Map<string, object>>();
  const note = (at: string, key: string) => {
    let keys = read.get(at);
    if (!keys) read.set(at, (keys = new Set()));
    keys.add(key);
  };
  const wrap = (value: unknown, at: string): unknown => {
    if (typeof value !== "object" || value === null) return value;
    let byPath = proxies.get(value);
    if (!byPath) proxies.set(value, (byPath = new Map()));
    const existing = byPath.get(at);
    if (existing) return existing;
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof key !== "string") return v;
        note(at, key);
        return wrap(v, `${at}/${key}`);
      },
      has(target, key) {
        if (typeof key === "string") note(at, key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        open.add(at);
        return Reflect.ownKeys(target);
      },
    });
    byPath.set(at, proxy);
    return proxy;
  };

  const problems: SchemaProblem[] = [];
  try {
    model.prototype.validate.call(wrap(object, ""));
  } catch (error) {
    const list = (error as { errors?: { instancePath?: string; message?: string }[] }).errors;
    if (Array.isArray(list))
      for (const e of list) {
        const parts = (e.instancePath ?? "").split("/").slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, "/").replace(/~0/g, "~")));
        problems.push({ path: formatPath(parts), message: e.message ?? "is invalid" });
      }
    else problems.push({ path: "", message: error instanceof Error ? error.message : String(error) });
  }

  const walk = (value: unknown, pointer: string, parts: (string | number)[]) => {
    if (typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${pointer}/${i}`, [...parts, i]));
      return;
    }
    const keys = read.get(pointer);
    if (!open.has(pointer) && (!keys || keys.size === 0)) return;
    for (const [k, v] of Object.entries(value)) {
      if (!open.has(pointer) && !keys?.has(k)) problems.push({ path: formatPath([...parts, k]), message: "is not a field of the schema (a typo is dropped silently by the API server)" });
      else walk(v, `${pointer}/${k}`, [...parts, k]);
    }
  };
  walk(object, "", []);
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(`${p.path} ${p.message}`) && seen.add(`${p.path} ${p.message}`));
}
