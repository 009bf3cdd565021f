/**
 * An offline ApplicationSet controller for the features we emit, following the controller's code path
 * (argocd.md §1–3): generators (list, git directories with Go `path.Match`, matrix with parameter passing
 * and Go-mode deep merge), the goTemplate render of `template`, the resources-finalizer rule, `templatePatch`
 * (a strategic merge that cannot change the project), the app's namespace, and RollingSync step selection.
 * The pull-request generator (GitHub) reads sample pull requests given by the caller, since there is no GitHub
 * offline; a git generator evaluated at a pull request's head reads the same directories as any other (offline, the
 * tree under test is that head).
 * Anything outside that subset throws, naming what it met: the expander never guesses what ArgoCD would do.
 */
import { parse } from "yaml";
import { goPathMatch } from "./match.ts";
import { isTemplated, renderTemplate, templateOptions, type TemplateOptions } from "./template.ts";

type Params = Record<string, unknown>;
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io";

/**
 * The repository's directories as the repo-server lists them for the git directories generator: every depth,
 * relative, no leading `/`, folders whose name starts with `.` skipped with everything under them.
 */
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

/** ArgoCD's SanitizeName (`basenameNormalized`, `normalize`): lowercase, other characters to `-`, ≤253, trimmed. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-a-z0-9.]/g, "-")
    .slice(0, 253)
    .replace(/^[-.]+|[-.]+$/g, "");
}

/** Renders every string (and map key) in a value, as the controller's deeplyReplace does. */
export function renderDeep<T>(value: T, params: Params, options: TemplateOptions): T {
  if (typeof value === "string") return (isTemplated(value) ? renderTemplate(value, params, options) : value) as T;
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, params, options)) as T;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [renderDeep(k, params, options), renderDeep(v, params, options)])) as T;
  return value;
}

/** The Go-mode matrix merge (mergo, override): maps merge deeply, and on a conflict the first child's value wins. */
export function mergeParams(first: Params, second: Params): Params {
  const out: Params = structuredClone(second);
  const into = (dst: Params, src: Params) => {
    for (const [k, v] of Object.entries(src)) {
      if (isObject(v) && isObject(dst[k])) into(dst[k] as Params, v);
      else dst[k] = structuredClone(v);
    }
  };
  into(out, first);
  return out;
}

/**
 * The controller's templatePatch merge (strategicpatch.StrategicMergePatch against the Application type):
 * maps merge, `null` deletes, lists are replaced, except `metadata.finalizers`, which ObjectMeta merges as a set.
 * Patch directives (`$patch`, `$retainKeys`, …) are outside the subset.
 */
export function strategicMerge(target: unknown, patch: unknown, path: readonly string[] = []): unknown {
  if (!isObject(patch)) {
    if (path.join(".") === "metadata.finalizers" && Array.isArray(patch) && Array.isArray(target)) return [...target, ...patch.filter((f) => !target.includes(f))];
    return patch;
  }
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$")) throw new Error(`templatePatch directive ${k} is not supported by this expander`);
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v, [...path, k]);
  }
  return out;
}

/**
 * An open pull request as the GitHub pull-request generator lists it (applicationset/services/pull_request/github.go):
 * the expander's stand-in for GitHub's API.
 */
export interface PullRequest {
  readonly number: number;
  readonly branch: string;
  /** The head commit's full SHA. */
  readonly headSha: string;
  readonly labels?: readonly string[];
  readonly title?: string;
  /** The branch it merges into; default main. */
  readonly targetBranch?: string;
  readonly author?: string;
}

export interface ExpandOptions {
  /** What GitHub would answer a pull-request generator; required when a set has one. */
  readonly pullRequests?: readonly PullRequest[];
}

interface Context {
  readonly dirs: readonly string[];
  readonly options: TemplateOptions;
  readonly pullRequests?: readonly PullRequest[];
}

/**
 * `slug.Make` as the pull-request generator calls it (gosimple/slug with MaxLength 50 and `_` → `-`): lowercase,
 * runs of other characters to one `-`, trimmed, cut at the last `-` within 50 characters. Branch names with
 * characters whose slug differs between the slug versions ArgoCD v2.13–v3.5 ship (non-ASCII, quotes, `&`, `@`) are
 * refused rather than guessed.
 */
export function branchSlug(branch: string): string {
  if (!/^[\x20-\x7e]*$/.test(branch) || /["'&@]/.test(branch)) throw new Error(`branch ${JSON.stringify(branch)}: its slug depends on the gosimple/slug version (non-ASCII, quotes, & or @ in it) — use letters, digits, '.', '_', '/' and '-'`);
  let slug = branch
    .trim()
    .replaceAll("_", "-")
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "-")
    .replace(/-+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "");
  if (slug.length > 50) {
    const cut = slug.lastIndexOf("-", 50);
    slug = cut >= 0 ? slug.slice(0, cut) : slug.slice(0, 50);
  }
  return slug;
}

/** The pull-request generator's parameters for one pull request (pull_request.go GenerateParams, goTemplate mode). */
export function pullRequestParams(pr: PullRequest): Params {
  if (!Number.isInteger(pr.number) || pr.number < 1) throw new Error(`pull request number ${pr.number} is not a positive integer`);
  if (!/^[0-9a-f]{7,64}$/.test(pr.headSha)) throw new Error(`pull request ${pr.number}: head SHA ${JSON.stringify(pr.headSha)} is not a hexadecimal commit id`);
  const target = pr.targetBranch ?? "main";
  return {
    number: String(pr.number),
    title: pr.title ?? "",
    branch: pr.branch,
    branch_slug: branchSlug(pr.branch),
    target_branch: target,
    target_branch_slug: branchSlug(target),
    head_sha: pr.headSha,
    head_short_sha: pr.headSha.slice(0, 8),
    head_short_sha_7: pr.headSha.slice(0, 7),
    author: pr.author ?? "",
    // Labels are parameters in goTemplate mode only, as a list.
    labels: [...(pr.labels ?? [])],
  };
}

/** Keys of a pullRequest generator that are not its provider. */
const PULL_REQUEST_COMMON = new Set(["requeueAfterSeconds", "filters", "values", "continueOnRepoNotFoundError"]);

/**
 * GitHub's pull-request generator over the sample pull requests: those carrying every label in `labels`
 * (containLabels), in the order given. Other providers, `filters` and a missing owner or repo are refused.
 */
function pullRequestGenerator(body: Json, ctx: Context): Params[] {
  const providers = Object.keys(body).filter((k) => !PULL_REQUEST_COMMON.has(k));
  if (providers.length !== 1 || providers[0] !== "github") throw new Error(`the pull-request generator's ${providers.join(", ") || "(no)"} provider is not supported by this expander; only github is`);
  if (Array.isArray(body.filters) && body.filters.length > 0) throw new Error("pull-request filters are not supported by this expander");
  const github = body.github;
  if (!isObject(github) || typeof github.owner !== "string" || github.owner === "" || typeof github.repo !== "string" || github.repo === "")
    throw new Error("the pull-request generator's github needs owner and repo");
  const labels = github.labels ?? [];
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== "string")) throw new Error("pullRequest.github.labels must be a list of strings");
  if (!ctx.pullRequests) throw new Error("a pull-request generator needs sample pull requests offline (there is no GitHub here)");
  const open = ctx.pullRequests.filter((pr) => labels.every((l) => (pr.labels ?? []).includes(l as string)));
  return withValues(open.map(pullRequestParams), body.values, ctx);
}

/** Adds a generator's `values` (each rendered with its params) under `.values`. */
function withValues(params: Params[], values: unknown, ctx: Context): Params[] {
  if (values === undefined) return params;
  if (!isObject(values)) throw new Error("generator values must be a map of strings");
  return params.map((p) => ({ ...p, values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, renderTemplate(String(v), p, ctx.options)])) }));
}

function listGenerator(body: Json, ctx: Context): Params[] {
  const elements = (body.elements as unknown[] | undefined) ?? [];
  const fromYaml = typeof body.elementsYaml === "string" ? (parse(body.elementsYaml) as unknown) : [];
  if (!Array.isArray(fromYaml)) throw new Error("list.elementsYaml must be a YAML list of objects");
  const all = [...elements, ...fromYaml];
  for (const e of all) if (!isObject(e)) throw new Error(`a list element must be an object, not ${JSON.stringify(e)}`);
  return withValues(all.map((e) => structuredClone(e as Params)), body.values, ctx);
}

function gitGenerator(body: Json, ctx: Context): Params[] {
  if (body.files !== undefined) throw new Error("git files generators are not supported by this expander");
  const entries = (body.directories as { path: string; exclude?: boolean }[] | undefined) ?? [];
  if (entries.length === 0) throw new Error("a git generator needs directories or files");
  const prefix = typeof body.pathParamPrefix === "string" && body.pathParamPrefix !== "" ? body.pathParamPrefix : undefined;
  // filterApps: a directory is in when some include matches and no exclude does, whatever the order; a bad pattern is skipped.
  const picked = ctx.dirs.filter((d) => {
    let include = false;
    let exclude = false;
    for (const e of entries) {
      if (!goPathMatch(e.path, d).matched) continue;
      if (e.exclude) exclude = true;
      else include = true;
    }
    return include && !exclude;
  });
  const params = picked.map((d) => {
    const segments = d.split("/");
    const basename = segments.at(-1)!;
    const path = { path: d, basename, basenameNormalized: sanitizeName(basename), segments };
    return prefix ? { [prefix]: { path } } : { path };
  });
  return withValues(params, body.values, ctx);
}

function generate(gen: Json, ctx: Context, depth: number): Params[] {
  if (gen.selector !== undefined) throw new Error("generator selectors are not supported by this expander");
  if (gen.template !== undefined && depth === 0) throw new Error("generator-level templates are not supported by this expander");
  const kinds = Object.keys(gen).filter((k) => k !== "template");
  if (kinds.length !== 1) throw new Error(`a generator must have exactly one kind, found ${kinds.join(", ") || "none"}`);
  const kind = kinds[0]!;
  const body = gen[kind];
  if (!isObject(body)) throw new Error(`the ${kind} generator must be an object`);
  switch (kind) {
    case "list":
      return listGenerator(body, ctx);
    case "git":
      return gitGenerator(body, ctx);
    case "pullRequest":
      return pullRequestGenerator(body, ctx);
    case "matrix": {
      if (depth > 1) throw new Error("matrix and merge generators nest only one level deep");
      const children = body.generators as Json[] | undefined;
      if (children?.length !== 2) throw new Error(`a matrix takes exactly two generators, found ${children?.length ?? 0}`);
      if (children.some((c) => c.template !== undefined)) throw new Error("a matrix child's template is ignored by ArgoCD; remove it");
      // The second child is rendered with each of the first child's parameter sets (matrix.go getParams).
      return generate(children[0]!, ctx, depth + 1).flatMap((first) => {
        const second = Object.keys(first).length > 0 ? renderDeep(children[1]!, first, ctx.options) : children[1]!;
        return generate(second, ctx, depth + 1).map((p) => mergeParams(first, p));
      });
    }
    default:
      throw new Error(`the ${kind} generator is not supported by this expander`);
  }
}

export interface ExpandedApp {
  readonly name: string;
  /** The ApplicationSet that creates it. */
  readonly applicationSet: string;
  readonly project: string;
  readonly destination: { readonly server?: string; readonly name?: string; readonly namespace: string };
  readonly source: { readonly repoURL: string; readonly targetRevision?: string; readonly path: string };
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The RollingSync step (0-based) whose expressions select the app; undefined when none does. */
  readonly step?: number;
  /**
   * The Application as the controller writes it. With RollingSync the controller then turns its auto-sync off
   * (v3.3+: `automated.enabled: false`; up to v3.2 it drops `automated`) and syncs it itself, step by step.
   */
  readonly application: Json;
}

interface MatchExpression {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/**
 * The RollingSync steps that select an app, as buildAppDependencyList decides: expressions are ANDed; a
 * missing label fails `In` and passes `NotIn`; an operator other than In/NotIn deselects (and is reported).
 */
export function selectingSteps(strategy: unknown, labels: Readonly<Record<string, string>>): number[] {
  if (!isObject(strategy) || strategy.type !== "RollingSync") return [];
  const steps = ((strategy.rollingSync as Json | undefined)?.steps as { matchExpressions?: MatchExpression[] }[] | undefined) ?? [];
  const out: number[] = [];
  steps.forEach((step, i) => {
    const selected = (step.matchExpressions ?? []).every((m) => {
      if (m.operator !== "In" && m.operator !== "NotIn") throw new Error(`RollingSync step ${i + 1} uses operator ${m.operator}; only In and NotIn are valid`);
      const value = labels[m.key];
      if (value === undefined) return m.operator === "NotIn";
      return (m.values ?? []).includes(value) === (m.operator === "In");
    });
    if (selected) out.push(i);
  });
  return out;
}

/** RFC 1123 subdomain, as the controller and the API server require of an Application's name. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Renders every Application an ApplicationSet creates, given the repository's directories (`directoriesOf`).
 * Throws on what makes the controller fail the whole set (a generator or render error) and on what it refuses
 * per app (an empty, invalid or duplicate name; a destination without exactly one of server and name).
 */
/**
 * Apps of one environment render the same patch text, in every expansion (the generator expands once per runbook
 * batch): each text is parsed once per process (YAML parsing dominated the expansion), and every app gets its own
 * copy, so nothing merged into one app is shared with another. Bounded: an estate has a few patch texts per
 * ApplicationSet; a process that sees many more starts over.
 */
const patches = new Map<string, unknown>();
function patchOf(text: string): unknown {
  if (!patches.has(text)) {
    if (patches.size >= 1000) patches.clear();
    patches.set(text, parse(text, { version: "1.1" }) as unknown);
  }
  return structuredClone(patches.get(text));
}

export function expandApplicationSet(appset: Json, dirs: readonly string[], expandOptions: ExpandOptions = {}): ExpandedApp[] {
  const metadata = (appset.metadata ?? {}) as Json;
  const spec = appset.spec as Json | undefined;
  if (!isObject(spec)) throw new Error("an ApplicationSet needs a spec");
  if (spec.goTemplate !== true) throw new Error("only goTemplate: true ApplicationSets are supported by this expander (fasttemplate is not)");
  const ctx: Context = { dirs, options: templateOptions(spec.goTemplateOptions as string[] | undefined), ...(expandOptions.pullRequests ? { pullRequests: expandOptions.pullRequests } : {}) };
  const template = spec.template as Json | undefined;
  if (!isObject(template) || !isObject(template.metadata) || !isObject(template.spec)) throw new Error("spec.template needs metadata and spec");
  const params = ((spec.generators as Json[] | undefined) ?? []).flatMap((g) => generate(g, ctx, 0));
  const tm = template.metadata;
  // GetTempApplication keeps only these metadata fields of the template.
  const base: Json = {
    metadata: Object.fromEntries(Object.entries({ name: tm.name, namespace: tm.namespace, labels: tm.labels, annotations: tm.annotations, finalizers: tm.finalizers }).filter(([, v]) => v !== undefined)),
    spec: template.spec,
  };
  const preserve = isObject(spec.syncPolicy) && spec.syncPolicy.preserveResourcesOnDeletion === true;
  const names = new Set<string>();
  return params.map((p) => {
    // renderDeep builds every map and list anew: nothing of `base` is shared with the app it renders.
    let app = renderDeep(base, p, ctx.options);
    const m = app.metadata as Json;
    if (!preserve && (!Array.isArray(m.finalizers) || m.finalizers.length === 0)) m.finalizers = [RESOURCES_FINALIZER];
    if (typeof spec.templatePatch === "string") {
      const project = (app.spec as Json).project;
      const patch = patchOf(renderTemplate(spec.templatePatch, p, ctx.options));
      if (patch !== null && !isObject(patch)) throw new Error("a rendered templatePatch must be a map");
      app = strategicMerge(app, patch ?? {}) as Json;
      // applyTemplatePatch restores the project: a patch can never move an app to another project.
      (app.spec as Json).project = project;
    }
    const meta = app.metadata as Json;
    // Every generated app lives in the ApplicationSet's namespace, whatever the template says.
    if (metadata.namespace !== undefined) meta.namespace = metadata.namespace;
    else delete meta.namespace;
    const name = typeof meta.name === "string" ? meta.name : "";
    if (name === "") throw new Error("a rendered Application has an empty name");
    if (!SUBDOMAIN.test(name) || name.length > 253) throw new Error(`a rendered Application name "${name}" is not an RFC 1123 subdomain`);
    if (names.has(name)) throw new Error(`two rendered Applications are named ${name}`);
    names.add(name);
    const appSpec = app.spec as { project?: unknown; destination?: Json; source?: Json; sources?: unknown };
    const destination = appSpec.destination ?? {};
    if ((typeof destination.server === "string" && destination.server !== "") === (typeof destination.name === "string" && destination.name !== ""))
      throw new Error(`${name}: the destination must set exactly one of server and name`);
    if (appSpec.sources !== undefined || !isObject(appSpec.source)) throw new Error(`${name}: only a single spec.source is supported by this expander`);
    const labels = (meta.labels ?? {}) as Record<string, string>;
    const steps = selectingSteps(spec.strategy, labels);
    if (steps.length > 1) throw new Error(`${name} is selected by RollingSync steps ${steps.map((s) => s + 1).join(" and ")}; ArgoCD reports that as invalid`);
    const source = appSpec.source;
    return {
      name,
      applicationSet: String(metadata.name ?? ""),
      project: String(appSpec.project ?? ""),
      destination: {
        ...(typeof destination.server === "string" && destination.server !== "" ? { server: destination.server } : {}),
        ...(typeof destination.name === "string" && destination.name !== "" ? { name: destination.name } : {}),
        namespace: String(destination.namespace ?? ""),
      },
      source: { repoURL: String(source.repoURL ?? ""), ...(source.targetRevision !== undefined ? { targetRevision: String(source.targetRevision) } : {}), path: String(source.path ?? "") },
      labels,
      annotations: (meta.annotations ?? {}) as Record<string, string>,
      ...(steps.length === 1 ? { step: steps[0]! } : {}),
      application: { apiVersion: "argoproj.io/v1alpha1", kind: "Application", ...app },
    };
  });
}
