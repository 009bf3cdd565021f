/**
 * An offline ApplicationSet controller for the subset of features we emit: list, git directories, matrix,
 * goTemplate with missingkey=error, and templatePatch. It renders the Applications ArgoCD would create, so
 * tests and `gitops apps` can check them without a cluster. Anything outside the subset is an error, never a guess.
 */
import { parse } from "yaml";
import { pathMatch } from "./match.ts";

type Params = Record<string, unknown>;
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Resolves `.a.b.c` against params; missing keys are errors, as with missingkey=error. */
function lookup(params: Params, path: string): unknown {
  let current: unknown = params;
  for (const key of path.split(".").slice(1)) {
    if (!isObject(current) || !(key in current)) throw new Error(`map has no entry for key "${key}" (in ${path})`);
    current = current[key];
  }
  return current;
}

function goString(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  throw new Error(`cannot print ${JSON.stringify(v)} in a template`);
}

/** One `{{ … }}` action: a field path, `index X N|"k"`, or `toJson X`. */
function action(expr: string, params: Params): string {
  const words = expr.trim().match(/"[^"]*"|\S+/g) ?? [];
  const [head, ...args] = words;
  if (head?.startsWith(".") && args.length === 0) return goString(lookup(params, head));
  if (head === "toJson" && args.length === 1 && args[0]!.startsWith(".")) return JSON.stringify(lookup(params, args[0]!));
  if (head === "index" && args.length >= 2 && args[0]!.startsWith(".")) {
    let v: unknown = lookup(params, args[0]!);
    for (const key of args.slice(1)) {
      if (Array.isArray(v) && /^\d+$/.test(key)) {
        if (Number(key) >= v.length) throw new Error(`index out of range: ${key}`);
        v = v[Number(key)];
      } else if (isObject(v) && key.startsWith('"')) {
        const k = key.slice(1, -1);
        if (!(k in v)) throw new Error(`map has no entry for key "${k}"`);
        v = v[k];
      } else throw new Error(`cannot index ${args[0]} with ${key}`);
    }
    return goString(v);
  }
  throw new Error(`unsupported template action {{${expr}}}`);
}

export function renderString(template: string, params: Params): string {
  if (/\{\{[^}]*$/.test(template.replace(/\{\{[^}]*\}\}/g, ""))) throw new Error(`unterminated action in ${template}`);
  return template.replace(/\{\{-?([^}]*?)-?\}\}/g, (_, expr: string) => action(expr, params));
}

function renderDeep<T>(value: T, params: Params): T {
  if (typeof value === "string") return renderString(value, params) as T;
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, params)) as T;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [renderString(k, params), renderDeep(v, params)])) as T;
  return value;
}

/** Go-mode matrix merge: a deep merge in which the first child's values win. */
function mergeParams(first: Params, second: Params): Params {
  const out: Params = { ...second };
  for (const [k, v] of Object.entries(first)) out[k] = isObject(v) && isObject(out[k]) ? mergeParams(v, out[k] as Params) : v;
  return out;
}

/** JSON merge patch (RFC 7386), as the controller applies a rendered templatePatch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The repo's directories, as the repo-server lists them: relative, no leading `/`, dot-folders skipped. */
export function directoriesOf(files: Iterable<string>): string[] {
  const dirs = new Set<string>();
  for (const file of files) {
    const parts = file.split("/");
    for (let i = 1; i < parts.length; i++) {
      if (parts[i - 1]!.startsWith(".")) break;
      dirs.add(parts.slice(0, i).join("/"));
    }
  }
  return [...dirs].sort();
}

const normalize = (s: string) => s.replace(/[^a-zA-Z0-9-.]/g, "-");

function gitDirectories(gen: Json, dirs: readonly string[]): Params[] {
  const entries = (gen.directories as { path: string; exclude?: boolean }[] | undefined) ?? [];
  if (gen.files) throw new Error("git files generators are not supported by this expander");
  const include = entries.filter((e) => !e.exclude);
  const exclude = entries.filter((e) => e.exclude);
  return dirs
    .filter((d) => include.some((e) => pathMatch(e.path, d)) && !exclude.some((e) => pathMatch(e.path, d)))
    .map((d) => {
      const segments = d.split("/");
      const basename = segments.at(-1)!;
      return { path: { path: d, basename, basenameNormalized: normalize(basename), segments } };
    });
}

function generate(gen: Json, dirs: readonly string[], depth: number): Params[] {
  const kinds = Object.keys(gen).filter((k) => k !== "selector");
  if (kinds.length !== 1) throw new Error(`a generator must have exactly one kind, found ${kinds.join(", ") || "none"}`);
  const kind = kinds[0]!;
  const body = gen[kind] as Json;
  switch (kind) {
    case "list":
      if (body.elementsYaml) throw new Error("list.elementsYaml is not supported by this expander");
      return ((body.elements as Params[] | undefined) ?? []).map((e) => ({ ...e }));
    case "git":
      return gitDirectories(body, dirs);
    case "matrix": {
      if (depth > 0) throw new Error("matrix nests only one level deep");
      const children = body.generators as Json[];
      if (children?.length !== 2) throw new Error(`a matrix takes exactly two generators, found ${children?.length ?? 0}`);
      if (children.some((c) => "template" in c)) throw new Error("matrix children may not carry a template: it is ignored");
      return generate(children[0]!, dirs, depth + 1).flatMap((p1) =>
        generate(renderDeep(children[1]!, p1), dirs, depth + 1).map((p2) => mergeParams(p1, p2)),
      );
    }
    default:
      throw new Error(`the ${kind} generator is not supported by this expander`);
  }
}

export interface ExpandedApp {
  readonly name: string;
  readonly project: string;
  readonly server?: string;
  readonly clusterName?: string;
  readonly namespace: string;
  readonly path: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The RollingSync step that selects the app (0-based), or undefined if none does. */
  readonly step?: number;
  readonly application: Json;
}

function stepOf(strategy: Json | undefined, labels: Record<string, string>): number[] {
  const steps = ((strategy?.rollingSync as Json | undefined)?.steps as { matchExpressions: { key: string; operator: string; values: string[] }[] }[] | undefined) ?? [];
  return steps.flatMap((step, i) =>
    step.matchExpressions.every((m) => {
      if (m.operator === "In") return m.values.includes(labels[m.key] ?? "\u0000");
      if (m.operator === "NotIn") return !m.values.includes(labels[m.key] ?? "\u0000");
      throw new Error(`RollingSync supports only In and NotIn, not ${m.operator}`);
    })
      ? [i]
      : [],
  );
}

/** Renders every Application an ApplicationSet creates, given the repository's directories. */
export function expandApplicationSet(appset: Json, dirs: readonly string[]): ExpandedApp[] {
  const spec = appset.spec as Json;
  if (spec.goTemplate !== true) throw new Error("only goTemplate: true ApplicationSets are supported");
  if (!(spec.goTemplateOptions as string[] | undefined)?.includes("missingkey=error")) throw new Error("goTemplateOptions must include missingkey=error");
  const params = (spec.generators as Json[]).flatMap((g) => generate(g, dirs, 0));
  const names = new Set<string>();
  return params.map((p) => {
    let app = renderDeep(spec.template as Json, p);
    if (typeof spec.templatePatch === "string") {
      const patch = parse(renderString(spec.templatePatch, p)) as Json;
      if (isObject(patch.spec) && "project" in patch.spec) throw new Error("templatePatch may not change spec.project");
      app = mergePatch(app, patch) as Json;
    }
    const metadata = app.metadata as { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    const appSpec = app.spec as { project: string; destination: { server?: string; name?: string; namespace: string }; source: { path: string } };
    const name = metadata.name ?? "";
    if (!name) throw new Error("a rendered Application has an empty name");
    if (names.has(name)) throw new Error(`two rendered Applications are named ${name}`);
    names.add(name);
    const steps = stepOf(spec.strategy as Json | undefined, metadata.labels ?? {});
    if (steps.length > 1) throw new Error(`${name} is selected by RollingSync steps ${steps.join(" and ")}`);
    return {
      name,
      project: appSpec.project,
      ...(appSpec.destination.server ? { server: appSpec.destination.server } : {}),
      ...(appSpec.destination.name ? { clusterName: appSpec.destination.name } : {}),
      namespace: appSpec.destination.namespace,
      path: appSpec.source.path,
      labels: metadata.labels ?? {},
      annotations: metadata.annotations ?? {},
      ...(steps.length === 1 ? { step: steps[0] } : {}),
      application: { apiVersion: "argoproj.io/v1alpha1", kind: "Application", ...app, metadata: { ...metadata, namespace: (appset.metadata as Json).namespace } },
    };
  });
}
