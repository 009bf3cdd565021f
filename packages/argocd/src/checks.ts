/**
 * The reference's checks that need no cluster (argocd.md, last section), run over what the generator renders:
 * schemas and unknown fields, identity, names, template hygiene, expansion, git patterns, combinators,
 * projects, sync options, waves and hooks, deletion safety, progressive sync and source types. Each finding
 * names the check, the object or app, and what is wrong, so `gitops apps` and the tests share one truth.
 */
import { parse } from "yaml";
import { directoriesOf, expandApplicationSet, renderDeep, type ExpandedApp, type PullRequest } from "./expand.ts";
import { goPathMatch, isDestinationMatched, isGroupKindPermitted, isSourcePermitted, type Destination, type GroupKind } from "./match.ts";
import { ACCOUNT_LABEL, isClusterScoped, RESOURCES_FINALIZER } from "./objects.ts";
import { renderTemplate, templateOptions } from "./template.ts";
import { validateArgoObject } from "./validate.ts";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const asObj = (v: unknown): Json => (isObject(v) ? v : {});
const API = "argoproj.io/v1alpha1";
/** Argo Rollouts' kinds share the argoproj.io group: services' workloads (in their own namespaces), not ArgoCD's objects. */
const ROLLOUTS_KINDS = new Set(["Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun", "Experiment"]);

/** Sync options ArgoCD understands, by where they may appear (argocd.md §5). Strings are matched exactly. */
export const ALLOWED_SYNC_OPTIONS = {
  application: new Set([
    "CreateNamespace=true",
    "ApplyOutOfSyncOnly=true",
    "RespectIgnoreDifferences=true",
    "PrunePropagationPolicy=foreground",
    "PrunePropagationPolicy=background",
    "PrunePropagationPolicy=orphan",
    "FailOnSharedResource=true",
    "ClientSideApplyMigration=false",
    "PruneLast=true",
    "ServerSideApply=true",
    "Validate=false",
    "Replace=true",
    "SkipDryRunOnMissingResource=true",
    "Prune=false",
    "Prune=confirm",
    "Delete=false",
    "Delete=confirm",
  ]),
  resource: new Set(["PruneLast=true", "ServerSideApply=true", "ServerSideApply=false", "Validate=false", "Replace=true", "SkipDryRunOnMissingResource=true", "Prune=false", "Prune=confirm", "Delete=false", "Delete=confirm", "Force=true"]),
} as const;

const HOOKS = new Set(["PreSync", "Sync", "PostSync", "SyncFail", "Skip", "PostDelete", "PreDelete"]);
const HOOK_DELETE_POLICIES = new Set(["HookSucceeded", "HookFailed", "BeforeHookCreation"]);
/** Template functions our ApplicationSets may use; the expander implements exactly these. */
const APPROVED_FUNCTIONS = new Set(["index", "toJson"]);
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PROJECT_RESOURCES = new Set(["applications", "applicationsets", "repositories", "exec", "logs", "clusters"]);
const PROJECT_ACTIONS = new Set(["get", "create", "update", "delete", "sync", "override", "rollback", "*"]);
const HEALTH_KEY = "resource.customizations.health.argoproj.io_Application";

export interface ArgoCheckInput {
  /** Every object the generator renders, `file` relative to the generated folder. */
  readonly objects: readonly { readonly file: string; readonly object: Readonly<Record<string, unknown>> }[];
  /** Every generated file (path relative to the generated folder → content). */
  readonly files: ReadonlyMap<string, string>;
  /**
   * The clusters registered in ArgoCD, which destinations must resolve to (one per account). With `account`, an
   * account's folders (`<root>/<account>/…`) and its Applications (labelled `gitops.dev/account`) must go to its
   * cluster only, whatever their projects permit.
   */
  readonly clusters: readonly { readonly name: string; readonly server: string; readonly account?: string }[];
  /** ArgoCD's namespace, where every ArgoCD object must live. */
  readonly argocdNamespace: string;
  /** The generated folder's path in the repository, as ArgoCD sees it. Default `generated`. */
  readonly root?: string;
  /**
   * What GitHub answers every pull-request generator (there is no GitHub offline). Default: one sample pull request
   * carrying each set's required labels, so that a preview set is expanded and checked like any other.
   */
  readonly pullRequests?: readonly PullRequest[];
}

/** The head commit of the default sample pull request. */
export const SAMPLE_HEAD_SHA = "5ea1ed0000000000000000000000000000c0ffee";

/** Every pull-request generator of a set's spec: top level, or a child of a matrix or merge. */
export function pullRequestGenerators(spec: Readonly<Record<string, unknown>>): Json[] {
  const out: Json[] = [];
  const visit = (g: Json, depth: number) => {
    if (isObject(g.pullRequest)) out.push(g.pullRequest);
    if (depth < 2) for (const c of (asObj(g.matrix ?? g.merge).generators as Json[] | undefined) ?? []) visit(asObj(c), depth + 1);
  };
  for (const g of (spec.generators as Json[] | undefined) ?? []) visit(asObj(g), 0);
  return out;
}

/** The labels a pull request must carry for a pull-request generator to list it (GitHub's `labels` filter). */
const requiredLabels = (generator: Json): string[] => ((asObj(generator.github).labels as unknown[] | undefined) ?? []).map(String);

export interface ArgoFinding {
  /** The reference checklist item, e.g. `projects` or `sync-options`. */
  readonly check: string;
  /** The file or Application the finding is about. */
  readonly subject: string;
  readonly message: string;
}

/**
 * An Application emitted as itself rather than by an ApplicationSet (the root app, the platform's), for
 * `gitops apps` to list beside the expanded ones: ArgoCD syncs it by its own sync policy, in no RollingSync step.
 */
export interface StandaloneApp {
  readonly name: string;
  /** Its file, relative to the generated folder. */
  readonly file: string;
  readonly project: string;
  readonly destination: { readonly server?: string; readonly name?: string; readonly namespace: string };
  /** What ArgoCD renders, in order: a chart from a Helm repository, or a path in git, each. */
  readonly sources: readonly { readonly repoURL: string; readonly targetRevision?: string; readonly chart?: string; readonly path?: string }[];
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly application: Json;
}

/**
 * What a source is to ArgoCD: a chart from a Helm repository (`chart` set; nothing of it is in this repository),
 * a path in git (no path is the repository's root), or only a `ref` that lends its files to the other sources.
 */
const sourceKind = (s: Json): "chart" | "path" | "ref" => (typeof s.chart === "string" && s.chart !== "" ? "chart" : s.path === undefined && typeof s.ref === "string" ? "ref" : "path");

/**
 * The sources ArgoCD renders for an Application (types.go `GetSources`): `sources` when it lists any, and then
 * `source` is ignored; otherwise `source`. `problem` when it has neither, or both.
 */
function sourcesOf(spec: Json): { sources: Json[]; multiple: boolean; problem?: string } {
  if (Array.isArray(spec.sources) && spec.sources.length > 0)
    return { sources: spec.sources.map(asObj), multiple: true, ...(spec.source !== undefined ? { problem: "sets both source and sources: ArgoCD ignores source" } : {}) };
  if (isObject(spec.source)) return { sources: [spec.source], multiple: false };
  return { sources: [], multiple: false, problem: "has neither source nor sources: ArgoCD has nothing to render" };
}

interface AppUnderTest {
  readonly name: string;
  readonly subject: string;
  readonly application: Json;
  /** The ApplicationSet that generates it, if any. */
  readonly set?: Json;
}

/** Port of AppProject role policy validation (validatePolicy in ArgoCD's types.go). */
export function policyProblem(project: string, role: string, policy: string): string | undefined {
  const parts = policy.split(",").map((s) => s.trim());
  if (parts.length !== 6 || parts[0] !== "p") return "must be of the form 'p, sub, res, act, obj, eft'";
  if (parts[1] !== `proj:${project}:${role}`) return `subject must be proj:${project}:${role}`;
  if (!PROJECT_RESOURCES.has(parts[2]!)) return `resource ${parts[2]} is not a project resource`;
  if (!PROJECT_ACTIONS.has(parts[3]!) && !/action\/.*|update\/.*|delete\/.*/.test(parts[3]!)) return `invalid action ${parts[3]}`;
  const escaped = project.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  if (!new RegExp(`^${escaped}(/[*\\w.-]+)?/[*\\w.-]+$`).test(parts[4]!)) return `object must be ${project}/<app>, not ${parts[4]}`;
  if (parts[5] !== "allow" && parts[5] !== "deny") return "effect must be allow or deny";
  return undefined;
}

/** Deep equality of JSON values, ignoring key order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameJson(a[k], b[k]));
  }
  return Object.is(a, b);
}

const groupOf = (apiVersion: unknown) => (String(apiVersion).includes("/") ? String(apiVersion).split("/")[0]! : "");

/** Every `{{ … }}` action in a string, with the function it calls (if any). */
function actionsIn(s: string): { body: string; fn?: string }[] {
  return [...s.matchAll(/\{\{-?\s*(.*?)\s*-?\}\}/gs)].map((m) => {
    const head = m[1]!.split(/\s+/)[0] ?? "";
    return { body: m[1]!, ...(head && !head.startsWith(".") && !head.startsWith('"') && !/^-?\d/.test(head) ? { fn: head } : {}) };
  });
}

function* strings(v: unknown, path: string): Generator<[string, string]> {
  if (typeof v === "string") yield [path, v];
  else if (Array.isArray(v)) for (const [i, x] of v.entries()) yield* strings(x, `${path}[${i}]`);
  else if (isObject(v))
    for (const [k, x] of Object.entries(v)) {
      yield [`${path}.${k} (key)`, k];
      yield* strings(x, `${path}.${k}`);
    }
}

/**
 * Runs every check and returns the Applications the ApplicationSets create (expanded offline), the standalone
 * Applications, and the findings. An empty `findings` means ArgoCD accepts the objects and behaves as they say,
 * as far as can be known without a cluster.
 */
export function checkArgo(input: ArgoCheckInput): { apps: ExpandedApp[]; standalone: StandaloneApp[]; findings: ArgoFinding[] } {
  const root = input.root ?? "generated";
  const findings: ArgoFinding[] = [];
  const add = (check: string, subject: string, message: string) => findings.push({ check, subject, message });
  const dirs = directoriesOf([...input.files.keys()].map((f) => `${root}/${f}`));
  const argo = input.objects.filter((o) => String(o.object.apiVersion).startsWith("argoproj.io/") && !ROLLOUTS_KINDS.has(String(o.object.kind)));
  const ofKind = (kind: string) => argo.filter((o) => o.object.kind === kind);
  const projects = new Map(ofKind("AppProject").map((o) => [String(asObj(o.object.metadata).name), o]));
  const cmdParams = input.objects.find((o) => o.object.kind === "ConfigMap" && asObj(o.object.metadata).name === "argocd-cmd-params-cm");
  const argocdCm = input.objects.find((o) => o.object.kind === "ConfigMap" && asObj(o.object.metadata).name === "argocd-cm");

  // 1 Schemas (and 2 identity) of every ArgoCD object as emitted.
  for (const o of argo) {
    for (const p of validateArgoObject(o.object)) add("schema", o.file, `${p.path || "(object)"} ${p.message}`);
    if (o.object.apiVersion !== API) add("identity", o.file, `apiVersion is ${String(o.object.apiVersion)}, not ${API}`);
    if (asObj(o.object.metadata).namespace !== input.argocdNamespace) add("identity", o.file, `lives in namespace ${String(asObj(o.object.metadata).namespace)}, not ArgoCD's ${input.argocdNamespace}`);
  }
  // Templated strings must survive YAML: an unquoted `{{…}}` parses as a flow mapping (argocd.md §9.1).
  for (const o of argo) {
    const text = input.files.get(o.file);
    if (text === undefined) continue;
    if (!sameJson(parse(text, { version: "1.1" }), o.object)) add("template-hygiene", o.file, "the YAML file does not read back as the object (quote templated strings)");
  }

  // 4–7, 11, 12 per ApplicationSet, and 5 its expansion.
  const apps: ExpandedApp[] = [];
  /** The folders each pull-request set syncs (once per pull request), by path. */
  const pullRequestCoverage = new Map<string, string[]>();
  const under: AppUnderTest[] = [];
  for (const o of ofKind("ApplicationSet")) {
    const spec = asObj(o.object.spec);
    const subject = o.file;
    if (spec.goTemplate !== true) add("template-hygiene", subject, "goTemplate must be true");
    if (JSON.stringify(spec.goTemplateOptions) !== JSON.stringify(["missingkey=error"])) add("template-hygiene", subject, 'goTemplateOptions must be ["missingkey=error"]');
    for (const [path, s] of strings(spec.template, "template"))
      for (const a of actionsIn(s)) {
        if (/^[A-Za-z_][\w.]*$/.test(a.body) && !APPROVED_FUNCTIONS.has(a.body)) add("template-hygiene", subject, `${path}: {{${a.body}}} is fasttemplate syntax; under goTemplate write {{.${a.body}}}`);
        else if (a.fn && !APPROVED_FUNCTIONS.has(a.fn)) add("template-hygiene", subject, `${path}: function ${a.fn} is not in the approved subset (${[...APPROVED_FUNCTIONS].join(", ")})`);
      }
    if (typeof spec.templatePatch === "string")
      for (const a of actionsIn(spec.templatePatch)) if (a.fn && !APPROVED_FUNCTIONS.has(a.fn)) add("template-hygiene", subject, `templatePatch: function ${a.fn} is not in the approved subset`);
    const template = asObj(spec.template);
    if (String(asObj(template.spec).project ?? "").includes("{{") && !/^\{\{\s*\.project\s*\}\}$/.test(String(asObj(template.spec).project))) add("projects", subject, "spec.project may come only from the generator's own list elements ({{.project}})");
    // A pull-request set runs code nobody has merged: only a literal project and cluster may bound it, and only
    // pull requests a maintainer labelled may reach it (Generators-Pull-Request.md's security note).
    const pullRequestGens = pullRequestGenerators(spec);
    if (pullRequestGens.length > 0) {
      if (String(asObj(template.spec).project ?? "").includes("{{")) add("projects", subject, "a pull-request set's spec.project must be a literal: a templated project lets pull-request data choose what the apps may deploy");
      const dest = asObj(asObj(template.spec).destination);
      if (String(dest.server ?? "").includes("{{") || String(dest.name ?? "").includes("{{")) add("projects", subject, "a pull-request set's destination cluster must be a literal");
      for (const g of pullRequestGens) {
        if (requiredLabels(g).length === 0) add("pull-requests", subject, "the pull-request generator lists every open pull request, forks included: filter it by a label only maintainers can set (labels)");
        const tokenRef = asObj(asObj(g.github).tokenRef);
        if (g.github !== undefined && typeof tokenRef.secretName === "string") {
          const external = input.objects.find((x) => x.object.kind === "ExternalSecret" && asObj(x.object.metadata).namespace === input.argocdNamespace && String(asObj(asObj(x.object.spec).target).name ?? asObj(x.object.metadata).name) === tokenRef.secretName);
          if (!external) add("pull-requests", subject, `tokenRef names Secret ${tokenRef.secretName}, which no emitted ExternalSecret in ${input.argocdNamespace} creates: the token must come from the secret store, never from git`);
          else if (!((asObj(external.object.spec).data as Json[] | undefined) ?? []).some((d) => asObj(d).secretKey === tokenRef.key))
            add("pull-requests", subject, `the ExternalSecret ${external.file} has no key ${String(tokenRef.key)} for the tokenRef`);
          else if (asObj(asObj(asObj(asObj(asObj(external.object.spec).target).template).metadata).labels)["argocd.argoproj.io/secret-type"] !== "scm-creds")
            add("pull-requests", subject, `the Secret ${tokenRef.secretName} lacks the label argocd.argoproj.io/secret-type: scm-creds, without which tokenRef strict mode (v2.14+) refuses it`);
          for (const x of input.objects) if (x.object.kind === "Secret" && asObj(x.object.metadata).name === tokenRef.secretName) add("pull-requests", x.file, `holds the pull-request generator's token in git — let an ExternalSecret create Secret ${tokenRef.secretName} from the store`);
        }
      }
      const revision = String(asObj(asObj(template.spec).source).targetRevision ?? "");
      if (!/\{\{\s*\.head_sha\s*\}\}/.test(revision)) add("pull-requests", subject, `its Applications sync ${revision || "the default branch"}, not the pull request's head ({{.head_sha}}): a preview would show code that is not the pull request's`);
    }

    // Combinators and git patterns.
    const generators = (spec.generators as Json[] | undefined) ?? [];
    const options = (() => {
      try {
        return templateOptions(spec.goTemplateOptions as string[] | undefined);
      } catch {
        return templateOptions([]);
      }
    })();
    const visit = (g: Json, depth: number, params: Json[]) => {
      if (isObject(g.matrix) || isObject(g.merge)) {
        const body = asObj(g.matrix ?? g.merge);
        const children = (body.generators as Json[] | undefined) ?? [];
        if (depth > 0) add("combinators", subject, "matrix and merge nest only one level deep");
        if (isObject(g.matrix) && children.length !== 2) add("combinators", subject, `a matrix takes exactly 2 generators, not ${children.length}`);
        if (children.some((c) => c.template !== undefined)) add("combinators", subject, "a combinator child's template is ignored");
        const gits = children.filter((c) => isObject(c.git));
        if (gits.length > 1 && gits.some((c) => !asObj(c.git).pathParamPrefix)) add("combinators", subject, "two git children need pathParamPrefix");
        const first = children[0] ?? {};
        const firstParams = isObject(first.list) ? ((asObj(first.list).elements as Json[] | undefined) ?? []) : [{}];
        visit(first, depth + 1, [{}]);
        for (const c of children.slice(1)) visit(c, depth + 1, firstParams);
      } else if (isObject(g.git)) {
        for (const d of (asObj(g.git).directories as { path: string; exclude?: boolean }[] | undefined) ?? []) {
          if (d.path.startsWith("/")) add("git-patterns", subject, `${d.path}: a leading / never matches`);
          if (d.path.includes("**")) add("git-patterns", subject, `${d.path}: ** is not recursive under path.Match`);
          // Rendered with each parameter set of the first matrix child; across them all it must match something
          // (one environment without services yet legitimately matches nothing).
          let matchedAny = false;
          for (const p of params) {
            let pattern: string;
            try {
              pattern = Object.keys(p).length > 0 ? renderDeep(d.path, p, options) : d.path;
            } catch (error) {
              add("git-patterns", subject, `${d.path}: ${(error as Error).message}`);
              continue;
            }
            if (goPathMatch(pattern, "").error) add("git-patterns", subject, `${pattern}: not a valid path.Match pattern`);
            else if (dirs.some((x) => goPathMatch(pattern, x).matched)) matchedAny = true;
          }
          if (!matchedAny) add("git-patterns", subject, `${d.path} matches no generated folder`);
        }
        if (asObj(g.git).files !== undefined) add("git-patterns", subject, "git files generators are outside the checked subset");
      }
    };
    for (const g of generators) visit(g, 0, [{}]);

    // Progressive sync.
    const strategy = asObj(spec.strategy);
    if (spec.strategy !== undefined && strategy.type === "RollingSync") {
      if (asObj(cmdParams?.object.data)["applicationsetcontroller.enable.progressive.syncs"] !== "true") add("progressive-sync", subject, "RollingSync is ignored unless argocd-cmd-params-cm sets applicationsetcontroller.enable.progressive.syncs: \"true\"");
      const steps = (asObj(strategy.rollingSync).steps as Json[] | undefined) ?? [];
      if (steps.length === 0) add("progressive-sync", subject, "No steps defined for rollout");
    }

    // Deletion safety: the controller adds the resources-finalizer unless preserveResourcesOnDeletion is set.
    const syncPolicy = asObj(spec.syncPolicy);
    const templateFinalizers = (asObj(template.metadata).finalizers as unknown[] | undefined) ?? [];
    if (pullRequestGens.length > 0) {
      // The opposite of the estate's set: a preview is temporary, and what it deployed must go with it.
      if (syncPolicy.applicationsSync !== "sync") add("deletion-safety", subject, `applicationsSync ${String(syncPolicy.applicationsSync ?? "sync (default)")}: a pull-request set must be "sync", to update Applications to a new head and delete those of closed pull requests`);
      if (syncPolicy.preserveResourcesOnDeletion === true || !templateFinalizers.includes(RESOURCES_FINALIZER))
        add("deletion-safety", subject, `a closed pull request's Application must take its resources with it: list ${RESOURCES_FINALIZER} in template.metadata.finalizers and do not preserveResourcesOnDeletion`);
    } else {
      if (syncPolicy.preserveResourcesOnDeletion === true && templateFinalizers.length > 0) add("deletion-safety", subject, "preserveResourcesOnDeletion with template finalizers: deleting the set would still cascade");
      if (syncPolicy.preserveResourcesOnDeletion !== true && templateFinalizers.length === 0) add("deletion-safety", subject, "without preserveResourcesOnDeletion the controller adds resources-finalizer to every app: deleting the set deletes every workload");
      if (syncPolicy.applicationsSync !== undefined && syncPolicy.applicationsSync !== "create-update" && syncPolicy.applicationsSync !== "create-only")
        add("deletion-safety", subject, `applicationsSync ${String(syncPolicy.applicationsSync)} lets a transiently empty generator delete Applications`);
    }

    let expanded: ExpandedApp[] = [];
    const labels = [...new Set(pullRequestGens.flatMap(requiredLabels))];
    const sample = [{ number: 1, branch: "sample", headSha: SAMPLE_HEAD_SHA, labels }];
    const pullRequests = input.pullRequests ?? sample;
    try {
      expanded = expandApplicationSet(o.object as Json, dirs, { pullRequests });
    } catch (error) {
      add("expansion", subject, (error as Error).message);
    }
    // A pull-request set legitimately creates nothing while no open pull request carries its labels.
    const expectsApps = pullRequestGens.length === 0 || pullRequests.some((pr) => labels.every((l) => (pr.labels ?? []).includes(l)));
    if (expanded.length === 0 && expectsApps) add("expansion", subject, "creates no Application");
    // Which folders it syncs does not depend on which pull requests are open: for coverage, any labelled one will do.
    if (pullRequestGens.length > 0) {
      let covering: ExpandedApp[] = [];
      try {
        covering = expectsApps ? expanded : expandApplicationSet(o.object as Json, dirs, { pullRequests: sample });
      } catch {
        // Reported above.
      }
      for (const a of covering) pullRequestCoverage.set(a.source.path, [...new Set([...(pullRequestCoverage.get(a.source.path) ?? []), String(asObj(o.object.metadata).name)])]);
    }
    // No element's rendered templatePatch may set the project (ArgoCD would silently keep the template's).
    for (const g of generators) {
      const children = asObj(g.matrix).generators as Json[] | undefined;
      const elements = isObject(g.list) ? asObj(g.list).elements : asObj(children?.[0]?.list).elements;
      for (const e of (elements as Json[] | undefined) ?? []) {
        if (typeof spec.templatePatch !== "string") break;
        try {
          const patch = asObj(parse(renderTemplate(spec.templatePatch, e, options), { version: "1.1" }));
          if ("project" in asObj(patch.spec)) add("template-hygiene", subject, "templatePatch sets spec.project, which ArgoCD ignores");
        } catch {
          // Needs the second child's parameters too: rendered in full during expansion.
        }
      }
    }
    const steps = (asObj(strategy.rollingSync).steps as Json[] | undefined) ?? [];
    if (strategy.type === "RollingSync") {
      for (const a of expanded) if (a.step === undefined) add("progressive-sync", a.name, "no RollingSync step selects it, so the controller never syncs it");
      for (const [i, step] of steps.entries())
        for (const m of (step.matchExpressions as Json[] | undefined) ?? []) {
          if (m.operator !== "In" && m.operator !== "NotIn") add("progressive-sync", subject, `step ${i + 1}: operator ${String(m.operator)}; only In and NotIn are valid`);
          if (!Object.keys(asObj(asObj(template.metadata).labels)).includes(String(m.key))) add("progressive-sync", subject, `step ${i + 1} selects on ${String(m.key)}, which the template does not label`);
        }
    }
    for (const a of expanded) {
      apps.push(a);
      under.push({ name: a.name, subject: a.name, application: a.application, set: o.object as Json });
    }
  }
  const standalone: StandaloneApp[] = [];
  for (const o of ofKind("Application")) {
    const app = o.object as Json;
    const metadata = asObj(app.metadata);
    const spec = asObj(app.spec);
    const destination = asObj(spec.destination);
    under.push({ name: String(metadata.name), subject: o.file, application: app });
    standalone.push({
      name: String(metadata.name),
      file: o.file,
      project: String(spec.project ?? ""),
      destination: { ...(typeof destination.server === "string" ? { server: destination.server } : {}), ...(typeof destination.name === "string" ? { name: destination.name } : {}), namespace: String(destination.namespace ?? "") },
      sources: sourcesOf(spec).sources.map((s) => ({
        repoURL: String(s.repoURL ?? ""),
        ...(s.targetRevision !== undefined ? { targetRevision: String(s.targetRevision) } : {}),
        ...(sourceKind(s) === "chart" ? { chart: String(s.chart) } : s.path !== undefined ? { path: String(s.path) } : {}),
      })),
      labels: asObj(metadata.labels) as Record<string, string>,
      annotations: asObj(metadata.annotations) as Record<string, string>,
      application: app,
    });
  }

  // 3 Names, unique across every set and standalone app.
  const seen = new Map<string, string>();
  for (const a of under) {
    if (!SUBDOMAIN.test(a.name) || a.name.length > 253) add("names", a.subject, `${a.name} is not an RFC 1123 subdomain`);
    if (a.name.length > 63) add("names", a.subject, `${a.name} is longer than 63 characters, which breaks label tracking`);
    const other = seen.get(a.name);
    if (other) add("names", a.subject, `${a.name} is also the name of ${other}: the two apps would fight over resources`);
    seen.set(a.name, a.subject);
  }

  // Per Application: schema, leftovers, sources, projects, sync options, namespaces, source types.
  const clustersMatching = (d: Json) => input.clusters.filter((c) => (typeof d.server === "string" && d.server === c.server) || (typeof d.name === "string" && d.name === c.name));
  const accountCluster = new Map(input.clusters.filter((c) => c.account !== undefined).map((c) => [c.account!, c]));
  /** Who creates each namespace with managedNamespaceMetadata, by cluster: ArgoCD re-applies it on every sync. */
  const managedNamespaces = new Map<string, { subject: string; metadata: unknown }>();
  for (const a of under) {
    const app = a.application;
    const spec = asObj(app.spec);
    const text = JSON.stringify(app);
    if (a.set) {
      for (const p of validateArgoObject(app)) add("schema", a.subject, `${p.path || "(object)"} ${p.message}`);
      if (text.includes("{{") || text.includes("<no value>")) add("expansion", a.subject, "renders with a leftover {{ or <no value>");
    }
    const { sources, multiple, problem } = sourcesOf(spec);
    if (problem) add("source-type", a.subject, problem);
    // Messages name the source only in a multi-source Application.
    const which = (i: number) => (multiple ? `sources[${i}] ` : "");
    for (const [i, s] of sources.entries()) {
      const tools = ["helm", "kustomize", "directory", "plugin"].filter((t) => s[t] !== undefined);
      if (tools.length > 1) add("source-type", a.subject, `${which(i)}sets ${tools.join(" and ")}: multiple application sources defined`);
    }
    if (sources.length > 0 && sources.every((s) => sourceKind(s) === "ref")) add("source-type", a.subject, "every source is only a ref: nothing renders manifests");
    const project = projects.get(String(spec.project));
    if (!project) {
      add("projects", a.subject, `project ${String(spec.project)} is not an emitted AppProject`);
      continue;
    }
    const pspec = asObj(project.object.spec);
    for (const [i, s] of sources.entries())
      if (!isSourcePermitted((pspec.sourceRepos as string[] | undefined) ?? [], String(s.repoURL))) add("projects", a.subject, `${which(i)}repoURL ${String(s.repoURL)} is not in project ${String(spec.project)}'s sourceRepos`);
    const destination = asObj(spec.destination);
    const clusters = clustersMatching(destination);
    if (clusters.length !== 1) {
      add("projects", a.subject, `destination ${String(destination.server ?? destination.name)} resolves to ${clusters.length} registered clusters, not one`);
      continue;
    }
    const cluster = clusters[0]!;
    const destinations = (pspec.destinations as Destination[] | undefined) ?? [];
    for (const rules of ["v2.13", "v2.14+"] as const)
      if (!isDestinationMatched(destinations, { server: cluster.server, name: cluster.name, namespace: String(destination.namespace ?? "") }, rules))
        add("projects", a.subject, `project ${String(spec.project)} does not permit ${cluster.server} namespace ${String(destination.namespace)} (ArgoCD ${rules})`);
    // An account's Applications go to its cluster only, whatever their project permits.
    const labelled = asObj(asObj(app.metadata).labels)[ACCOUNT_LABEL];
    const own = typeof labelled === "string" ? accountCluster.get(labelled) : undefined;
    if (own && own.server !== cluster.server) add("projects", a.subject, `is labelled ${ACCOUNT_LABEL}: ${String(labelled)} but targets cluster ${cluster.name}, not ${own.name}`);

    const syncPolicy = asObj(spec.syncPolicy);
    const options = (syncPolicy.syncOptions as string[] | undefined) ?? [];
    for (const option of options) if (!ALLOWED_SYNC_OPTIONS.application.has(option)) add("sync-options", a.subject, `syncOptions ${JSON.stringify(option)} is not an app-level option ArgoCD knows (a typo does nothing)`);
    if (syncPolicy.managedNamespaceMetadata !== undefined && !options.includes("CreateNamespace=true")) add("sync-options", a.subject, "managedNamespaceMetadata has no effect without CreateNamespace=true");
    if (syncPolicy.managedNamespaceMetadata !== undefined && options.includes("CreateNamespace=true")) {
      const key = `${cluster.server} ${String(destination.namespace)}`;
      const other = managedNamespaces.get(key);
      if (!other) managedNamespaces.set(key, { subject: a.subject, metadata: syncPolicy.managedNamespaceMetadata });
      else if (!sameJson(other.metadata, syncPolicy.managedNamespaceMetadata))
        add("sync-options", a.subject, `its managedNamespaceMetadata for namespace ${String(destination.namespace)} differs from ${other.subject}'s: each app's sync undoes the other's labels and annotations`);
    }

    // The folders its git sources sync (a chart has none here), and every object in them. A kustomize.namespace
    // override moves every namespaced object of its folder there and renames its Namespace objects (kustomize's
    // namespace transformer): the namespaces ArgoCD applies are the override's.
    const folders: string[] = [];
    const moved = new Map<string, string>();
    for (const [i, s] of sources.entries()) {
      if (sourceKind(s) !== "path") continue;
      const path = String(s.path ?? "");
      const folder = path.startsWith(`${root}/`) ? path.slice(root.length + 1) : undefined;
      const names = folder === undefined ? [] : [...input.files.keys()].filter((f) => f.startsWith(`${folder}/`));
      if (folder === undefined || names.length === 0) {
        add("expansion", a.subject, `${which(i)}path ${path || "(the repository root)"} is not a generated folder`);
        continue;
      }
      folders.push(folder);
      const override = asObj(s.kustomize).namespace;
      if (typeof override === "string" && override !== "") {
        moved.set(folder, override);
        if (override !== destination.namespace) add("projects", a.subject, `${which(i)}kustomize.namespace ${override} differs from destination.namespace ${String(destination.namespace)}: its objects land outside the app's destination`);
      }
      const ownFiles = names.filter((f) => !f.slice(folder.length + 1).includes("/")).map((f) => f.slice(folder.length + 1));
      const kustomize = ownFiles.some((f) => f === "kustomization.yaml" || f === "kustomization.yml" || f === "Kustomization");
      if (ownFiles.some((f) => f.endsWith("Chart.yaml"))) add("source-type", a.subject, `${which(i)}a *Chart.yaml file makes ArgoCD treat the folder as Helm`);
      if (!kustomize && names.some((f) => f.slice(folder.length + 1).includes("/")) && asObj(s.directory).recurse !== true) add("source-type", a.subject, `${which(i)}a plain folder with subfolders needs directory.recurse`);
      // generated/<account>/… is that account's: synced to its cluster only.
      const folderCluster = accountCluster.get(folder.split("/")[0]!);
      if (folderCluster && folderCluster.server !== cluster.server) add("projects", a.subject, `syncs ${path}, account ${folder.split("/")[0]}'s folder, into cluster ${cluster.name}`);
    }
    const folderOf = (o: { file: string }) => o.file.slice(0, o.file.lastIndexOf("/"));
    const inFolder = input.objects.filter((o) => folders.includes(folderOf(o)));
    /** The object's name and namespace as ArgoCD applies them, after any kustomize.namespace override. */
    const applied = (o: (typeof inFolder)[number]) => {
      const m = asObj(o.object.metadata);
      const override = moved.get(folderOf(o));
      if (override === undefined) return { name: m.name, namespace: m.namespace };
      return o.object.kind === "Namespace" ? { name: override, namespace: m.namespace } : { name: m.name, namespace: isClusterScoped({ group: groupOf(o.object.apiVersion), kind: String(o.object.kind) }) ? m.namespace : override };
    };
    if (destination.namespace !== input.argocdNamespace && !options.includes("CreateNamespace=true") && !inFolder.some((o) => o.object.kind === "Namespace" && applied(o).name === destination.namespace))
      add("sync-options", a.subject, `nothing creates namespace ${String(destination.namespace)}: no CreateNamespace=true and no Namespace object`);
    for (const o of inFolder) {
      const gk: GroupKind = { group: groupOf(o.object.apiVersion), kind: String(o.object.kind) };
      const named = `${gk.group || "core"}/${gk.kind}`;
      const clusterScoped = isClusterScoped(gk);
      const namespace = applied(o).namespace;
      // Without API discovery the scope comes from CLUSTER_SCOPED_KINDS; the object must agree with it.
      if (clusterScoped && namespace !== undefined) add("projects", o.file, `${named} is cluster-scoped but sets metadata.namespace`);
      if (!clusterScoped && namespace === undefined) add("projects", o.file, `${named} sets no metadata.namespace and is not in CLUSTER_SCOPED_KINDS: list it there if it is cluster-scoped, else give it its namespace`);
      if (!isGroupKindPermitted(pspec as never, gk, !clusterScoped)) add("projects", o.file, `${named} is not permitted by project ${String(spec.project)}`);
      if (!clusterScoped && !isDestinationMatched(destinations, { server: cluster.server, name: cluster.name, namespace: String(namespace ?? destination.namespace) }))
        add("projects", o.file, `namespace ${String(namespace)} is not a destination of project ${String(spec.project)}`);
    }
    if (options.includes("CreateNamespace=true") && !isGroupKindPermitted(pspec as never, { group: "", kind: "Namespace" }, false)) add("projects", a.subject, "CreateNamespace=true needs Namespace in the project's clusterResourceWhitelist");
  }

  // Coverage: every folder ArgoCD can render (it holds a kustomization) is the path of exactly one Application,
  // counting every git source of multi-source Applications.
  // A pull-request set syncs a folder once per pull request: it counts as one owner however many there are.
  const paths = new Map<string, string[]>([...pullRequestCoverage].map(([path, sets]) => [path, sets.map((s) => `${s} (one Application per pull request)`)]));
  for (const a of under) {
    if (a.set && pullRequestGenerators(asObj(a.set.spec)).length > 0) continue;
    for (const path of new Set(sourcesOf(asObj(a.application.spec)).sources.filter((s) => sourceKind(s) === "path").map((s) => String(s.path ?? ""))))
      paths.set(path, [...(paths.get(path) ?? []), a.name]);
  }
  for (const file of input.files.keys()) {
    if (!file.endsWith("/kustomization.yaml")) continue;
    const path = `${root}/${file.slice(0, -"/kustomization.yaml".length)}`;
    const owners = paths.get(path) ?? [];
    if (owners.length !== 1) add("expansion", path, owners.length === 0 ? "no Application syncs this folder" : `${owners.length} Applications sync this folder: ${owners.join(", ")}`);
  }

  // 8 Projects themselves.
  for (const [name, o] of projects) {
    const spec = asObj(o.object.spec);
    if (Array.isArray(spec.namespaceResourceWhitelist) && spec.namespaceResourceWhitelist.length === 0) add("projects", o.file, "namespaceResourceWhitelist: [] permits no namespaced kind");
    if (spec.namespaceResourceWhitelist === undefined) add("projects", o.file, "an omitted namespaceResourceWhitelist permits every namespaced kind");
    for (const d of (spec.destinations as Destination[] | undefined) ?? [])
      for (const v of [d.server, d.name]) if (v !== undefined && /[*!?[{]/.test(v)) add("projects", o.file, `destination ${v} is a pattern; list exact servers or names only`);
    // One project, exactly one cluster: no registered cluster but its own may match, whatever the namespace. Probed
    // with every app's namespace, some ArgoCD-wide ones, and a sample of each of the project's own namespace globs.
    const destinations = (spec.destinations as Destination[] | undefined) ?? [];
    const samples = destinations.map((d) => d.namespace ?? "").filter((n) => !/^!|[?[{\\]/.test(n)).map((n) => n.replaceAll("*", "x"));
    const probe = [...new Set([...under.map((a) => String(asObj(asObj(a.application.spec).destination).namespace)), ...samples, "default", "kube-system", input.argocdNamespace])];
    const reachable = input.clusters.filter((c) => probe.some((namespace) => isDestinationMatched(destinations, { server: c.server, name: c.name, namespace })));
    if (reachable.length > 1) add("projects", o.file, `reaches ${reachable.length} clusters (${reachable.map((c) => c.name).join(", ")}); a project must reach only its account's`);
    if (reachable.length === 0) add("projects", o.file, "reaches no registered cluster, so its Applications can deploy nowhere");
    for (const role of (spec.roles as Json[] | undefined) ?? []) {
      if (!/^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(String(role.name))) add("projects", o.file, `role name ${String(role.name)} is invalid`);
      for (const p of (role.policies as string[] | undefined) ?? []) {
        const problem = policyProblem(name, String(role.name), p);
        if (problem) add("projects", o.file, `policy "${p}": ${problem}`);
      }
      for (const g of (role.groups as string[] | undefined) ?? []) if (g.trim() === "" || /[,"\n\r\t]/.test(g)) add("projects", o.file, `group "${g}" is empty or holds , " or a control character`);
    }
  }

  // 10 Waves, hooks and sync-option annotations on every object.
  for (const o of input.objects) {
    const annotations = asObj(asObj(o.object.metadata).annotations);
    const wave = annotations["argocd.argoproj.io/sync-wave"];
    if (wave !== undefined && (typeof wave !== "string" || !/^-?\d+$/.test(wave))) add("waves", o.file, `sync-wave ${JSON.stringify(wave)} is not a quoted integer`);
    const hook = annotations["argocd.argoproj.io/hook"];
    if (hook !== undefined) {
      for (const h of String(hook).split(",").map((s) => s.trim())) if (!HOOKS.has(h)) add("waves", o.file, `hook ${h} is not one ArgoCD knows`);
      const policies = String(annotations["argocd.argoproj.io/hook-delete-policy"] ?? "BeforeHookCreation").split(",").map((s) => s.trim());
      for (const p of policies) if (!HOOK_DELETE_POLICIES.has(p)) add("waves", o.file, `hook-delete-policy ${p} is not one ArgoCD knows`);
      if (asObj(o.object.metadata).generateName === undefined && !policies.includes("BeforeHookCreation")) add("waves", o.file, "a hook with a fixed name runs once unless it uses BeforeHookCreation or generateName");
    }
    const syncOptions = annotations["argocd.argoproj.io/sync-options"];
    if (syncOptions !== undefined) for (const s of String(syncOptions).split(",").map((x) => x.trim())) if (!ALLOWED_SYNC_OPTIONS.resource.has(s)) add("sync-options", o.file, `sync-options annotation ${s} is not a resource-level option`);
    // An Application CR inside a synced folder with a wave implies cross-app ordering, which needs the health Lua.
    if (o.object.kind === "Application" && wave !== undefined && asObj(argocdCm?.object.data)[HEALTH_KEY] === undefined) add("waves", o.file, `a sync-wave on an Application orders nothing without ${HEALTH_KEY} in argocd-cm`);
  }
  if (ofKind("ApplicationSet").length === 0 && cmdParams === undefined) add("progressive-sync", "argocd-cmd-params-cm", "not emitted");
  return { apps, standalone, findings };
}
