import { BRANCH_ANNOTATION, pullRequestParams, WAVE_ANNOTATION, type ExpandedApp, type PullRequest } from "@gitops/argocd";
import { checkArgo, pullRequestGenerators, type ArgoFinding, type StandaloneApp } from "@gitops/argocd/checking";
import { build, OUTPUT_DIR } from "@gitops/generator";
import { formatProblem } from "@gitops/model";
import type { Command } from "../command.ts";
import { EXIT, ExitError } from "../exit-codes.ts";
import { committedTree, currentBranch, defaultBase, revParse } from "../git.ts";

export interface AppsReport {
  /** The Applications of the ApplicationSets that are not pull-request sets, in rollout order. */
  readonly apps: readonly ExpandedApp[];
  /** Those of the pull-request sets (previews), for `pullRequest` or else a sample pull request; by name. */
  readonly previews: readonly ExpandedApp[];
  /** The labels a pull request needs for the pull-request sets to list it. */
  readonly previewLabels: readonly string[];
  /** Applications in ArgoCD's own folder (the root app, the platform's), synced by the root app in wave order. */
  readonly standalone: readonly StandaloneApp[];
  /** RollingSync steps across the ApplicationSets (a step with no app yet is one an environment without services has). */
  readonly steps: number;
  readonly findings: readonly ArgoFinding[];
  /** Cluster name by API server, from the estate's accounts (the clusters registered in ArgoCD). */
  readonly clusters: ReadonlyMap<string, string>;
  /** The tree `generate` would write: path relative to generated/ → content. */
  readonly files: ReadonlyMap<string, string>;
}

/**
 * Every Application the generated ApplicationSets create, expanded offline against the tree `generate` would
 * write (not the tree on disk, which may be stale), in rollout order, with the reference checks' findings.
 */
export async function appsReport(root: string, options: { pullRequest?: Omit<PullRequest, "labels"> } = {}): Promise<AppsReport> {
  const result = await build(root);
  if (!result.ok) throw new ExitError(result.problems.map(formatProblem).join("\n"), EXIT.invalid);
  const { estate, objects, files } = result.build;
  const clusters = estate.accounts.map((a) => ({ ...a.cluster, account: a.name }));
  const prSets = objects.filter((o) => o.object.kind === "ApplicationSet" && pullRequestGenerators((o.object.spec ?? {}) as Record<string, unknown>).length > 0);
  const previewLabels = [...new Set(prSets.flatMap((o) => pullRequestGenerators(o.object.spec as Record<string, unknown>).flatMap((g) => ((g.github as { labels?: string[] } | undefined)?.labels ?? []).map(String))))].sort();
  const pullRequests = options.pullRequest ? [{ ...options.pullRequest, labels: previewLabels }] : undefined;
  const names = new Set(prSets.map((o) => String((o.object.metadata as { name?: unknown }).name)));
  const checked = checkArgo({ objects, files, clusters, argocdNamespace: estate.argocdNamespace, root: OUTPUT_DIR, ...(pullRequests ? { pullRequests } : {}) });
  const { standalone, findings } = checked;
  const apps = checked.apps.filter((a) => !names.has(a.applicationSet));
  const previews = checked.apps.filter((a) => names.has(a.applicationSet)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sorted = [...apps].sort((a, b) => (a.step ?? Infinity) - (b.step ?? Infinity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const steps = objects.filter((o) => o.object.kind === "ApplicationSet").reduce((n, o) => n + (((o.object.spec as { strategy?: { rollingSync?: { steps?: unknown[] } } }).strategy?.rollingSync?.steps?.length) ?? 0), 0);
  const byWave = [...standalone].sort((a, b) => Number(a.annotations[SYNC_WAVE] ?? 0) - Number(b.annotations[SYNC_WAVE] ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { apps: sorted, previews, previewLabels, standalone: byWave, steps, findings, clusters: new Map(estate.accounts.map((a) => [a.cluster.server, a.cluster.name])), files };
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
function table(out: (line: string) => void, head: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
}

/** The registered cluster an Application's destination names (by server, else by name), or null. */
/** The reference checks' findings after a listing, and the exit code they mean. */
function reportFindings(out: (line: string) => void, findings: readonly ArgoFinding[]): number {
  if (findings.length === 0) return EXIT.ok;
  out("");
  for (const f of findings) out(`${f.subject}: ${f.check}: ${f.message}`);
  out(`\n${findings.length} finding${findings.length === 1 ? "" : "s"}: ArgoCD would not behave as these objects say — fix the generator (packages/argocd).`);
  return EXIT.policy;
}

/** Where an expanded Application syncs, as the JSON output writes it first for every app. */
const placement = (a: ExpandedApp, clusters: ReadonlyMap<string, string>) => ({
  name: a.name,
  project: a.project,
  cluster: clusterOf(clusters, a.destination),
  destination: a.destination,
  path: a.source.path,
});

const clusterOf = (clusters: ReadonlyMap<string, string>, d: { readonly server?: string; readonly name?: string }) => clusters.get(d.server ?? "") ?? d.name ?? null;

/** Standalone apps are ordered by ArgoCD's sync wave on their CR, in the root app (gated by argocd-cm's health check). */
const SYNC_WAVE = "argocd.argoproj.io/sync-wave";
const waveOf = (a: ExpandedApp) => (a.annotations[WAVE_ANNOTATION] === undefined ? null : Number(a.annotations[WAVE_ANNOTATION]));

export const appsCommand: Command = {
  name: "apps",
  summary: "Expand the ApplicationSets as ArgoCD will: every Application with project, destination, path and wave",
  usage:
    "gitops apps [--json] [--pr NUMBER [--sha SHA] [--branch NAME]]\n" +
    "  --json    one object: applications (each with its rendered Application) and findings\n" +
    "  --pr      the preview Applications ArgoCD creates for that pull request once it is labelled, expanded offline\n" +
    "  --sha     the pull request's head commit (default: git rev-parse HEAD)\n" +
    "  --branch  its branch (default: the checked-out branch, else pr-NUMBER)\n" +
    "  --base    with --pr, mark the previews whose folder this working tree changes against REF (default: where this branch left main)",
  options: { json: { type: "boolean" }, pr: { type: "string" }, sha: { type: "string" }, branch: { type: "string" }, base: { type: "string" } },
  async run({ root, values, out }) {
    if (values.pr === undefined && (values.sha !== undefined || values.branch !== undefined || values.base !== undefined)) throw new ExitError("--sha, --branch and --base describe a pull request: give its number with --pr", EXIT.usage);
    if (values.pr !== undefined) return previewsRun(root, values, out);
    const { apps, standalone, steps, findings, clusters, previews, previewLabels } = await appsReport(root);
    const sourceOf = (a: StandaloneApp) => a.sources.map((x) => (x.chart ? `${x.chart}@${x.targetRevision ?? "?"}` : (x.path ?? "."))).join(" + ");
    if (values.json) {
      const applications = apps.map((a) => ({
        ...placement(a, clusters),
        wave: waveOf(a),
        step: a.step === undefined ? null : a.step + 1,
        application: a.application,
      }));
      const platform = standalone.map((a) => ({
        name: a.name,
        project: a.project,
        cluster: clusterOf(clusters, a.destination),
        destination: a.destination,
        sources: a.sources,
        wave: a.annotations[SYNC_WAVE] === undefined ? null : Number(a.annotations[SYNC_WAVE]),
        application: a.application,
      }));
      out(JSON.stringify({ applications, standalone: platform, findings }, null, 2));
      return findings.length > 0 ? EXIT.policy : EXIT.ok;
    }
    const head = ["NAME", "PROJECT", "CLUSTER", "SERVER", "NAMESPACE", "PATH", "WAVE", "STEP"];
    const rows = apps.map((a) => [
      a.name,
      a.project,
      clusterOf(clusters, a.destination) ?? "?",
      a.destination.server ?? "",
      a.destination.namespace,
      a.source.path,
      String(waveOf(a) ?? ""),
      a.step === undefined ? "none" : String(a.step + 1),
    ]);
    table(out, head, rows);
    if (standalone.length > 0) {
      out("\nSynced by the root app, in wave order (each wave waits for the previous one's health):");
      const sHead = ["NAME", "PROJECT", "CLUSTER", "NAMESPACE", "SOURCES", "WAVE"];
      const sRows = standalone.map((a) => [a.name, a.project, clusterOf(clusters, a.destination) ?? "?", a.destination.namespace, sourceOf(a), a.annotations[SYNC_WAVE] ?? ""]);
      table(out, sHead, sRows);
    }
    const used = new Set(apps.map((a) => a.step).filter((s) => s !== undefined)).size;
    const perPullRequest = previews.length > 0 ? ` ${previews.length} more for each open pull request labelled ${previewLabels.join(", ")} (gitops apps --pr NUMBER).` : "";
    out(`\n${apps.length} application${apps.length === 1 ? "" : "s"} in ${used} of ${steps} RollingSync step${steps === 1 ? "" : "s"}; each step starts when every app of the previous one is Healthy. ${standalone.length} more synced by the root app.${perPullRequest}`);
    return reportFindings(out, findings);
  },
};

/**
 * `gitops apps --pr N`: the preview Applications of pull request N, expanded offline with the pull request as GitHub
 * would list it once labelled (number, head commit, branch), its head being this working tree; the checks run with it.
 */
async function previewsRun(root: string, values: Record<string, string | boolean | undefined>, out: (line: string) => void): Promise<number> {
  const number = Number(values.pr);
  if (typeof values.pr !== "string" || !/^[1-9]\d*$/.test(values.pr) || !Number.isSafeInteger(number)) throw new ExitError(`--pr takes a pull request's number, not "${String(values.pr)}"`, EXIT.usage);
  const sha = typeof values.sha === "string" ? values.sha : revParse(root, "HEAD");
  if (!sha) throw new ExitError("no commit to preview: this is not a git work tree with a commit — pass the pull request's head with --sha", EXIT.usage);
  if (!/^[0-9a-f]{7,64}$/.test(sha)) throw new ExitError(`--sha takes a commit's hexadecimal id, not "${sha}"`, EXIT.usage);
  const branch = typeof values.branch === "string" && values.branch !== "" ? values.branch : (currentBranch(root) ?? `pr-${number}`);
  const pullRequest = { number, headSha: sha, branch };
  try {
    // What the generator would make of it (a branch name whose slug is not certain, say), before any build.
    pullRequestParams(pullRequest);
  } catch (error) {
    throw new ExitError(`--pr ${number}: ${(error as Error).message}`, EXIT.usage);
  }
  const report = await appsReport(root, { pullRequest });
  const { previews, previewLabels, findings, clusters, files } = report;
  // What the pull request changes: the previews whose folder differs from the base's (ArgoCD deploys them all;
  // the others are dev's services as they are). Only where there is a base commit to compare with.
  const baseRef = typeof values.base === "string" ? values.base : revParse(root, "HEAD") ? defaultBase(root) : undefined;
  const base = baseRef === undefined ? undefined : committedTree(root, baseRef);
  const changed = (a: ExpandedApp): boolean | null => {
    if (!base) return null;
    const folder = `${a.source.path.startsWith(`${OUTPUT_DIR}/`) ? a.source.path.slice(OUTPUT_DIR.length + 1) : a.source.path}/`;
    const mine = [...files].filter(([f]) => f.startsWith(folder));
    const theirs = [...base].filter(([f]) => f.startsWith(folder));
    return mine.length !== theirs.length || mine.some(([f, content]) => base.get(f) !== content);
  };
  if (values.json) {
    const applications = previews.map((a) => ({
      ...placement(a, clusters),
      revision: a.source.targetRevision ?? null,
      changed: changed(a),
      application: a.application,
    }));
    out(JSON.stringify({ pullRequest: { ...pullRequest, labels: previewLabels }, ...(base ? { base: revParse(root, baseRef!) ?? baseRef } : {}), applications, findings }, null, 2));
    return findings.length > 0 ? EXIT.policy : EXIT.ok;
  }
  if (previewLabels.length === 0) out("No ApplicationSet has a pull-request generator: nothing is previewed.");
  else {
    out(`Pull request #${number} (branch ${branch}, head ${sha.slice(0, 12)}), once labelled ${previewLabels.join(", ")}:`);
    const head = ["NAME", "PROJECT", "CLUSTER", "NAMESPACE", "PATH", "REVISION", ...(base ? ["CHANGED"] : [])];
    const rows = previews.map((a) => [
      a.name,
      a.project,
      clusterOf(clusters, a.destination) ?? "?",
      a.destination.namespace,
      a.source.path,
      (a.source.targetRevision ?? "").slice(0, 12),
      ...(base ? [changed(a) ? "yes" : "no"] : []),
    ]);
    table(out, head, rows);
    const branchOf = previews[0]?.annotations[BRANCH_ANNOTATION];
    const changedCount = previews.filter((a) => changed(a)).length;
    const differ = base ? ` ${changedCount} of them ${changedCount === 1 ? "differs" : "differ"} from ${baseRef!.slice(0, 12)}: what this pull request changes.` : "";
    out(`\n${previews.length} preview application${previews.length === 1 ? "" : "s"}${branchOf ? ` for ${branchOf}` : ""}, each syncing on its own; they and everything they deployed are deleted when the pull request closes or loses ${previewLabels.length === 1 ? "the label" : "a label"}.${differ}`);
  }
  return reportFindings(out, findings);
}
