import { checkArgo, WAVE_ANNOTATION, type ArgoFinding, type ExpandedApp, type StandaloneApp } from "@gitops/argocd";
import { build, OUTPUT_DIR } from "@gitops/generator";
import { formatProblem } from "@gitops/model";
import type { Command } from "../command.ts";
import { EXIT, ExitError } from "../exit-codes.ts";

export interface AppsReport {
  readonly apps: readonly ExpandedApp[];
  /** Applications in ArgoCD's own folder (the root app, the platform's), synced by the root app in wave order. */
  readonly standalone: readonly StandaloneApp[];
  /** RollingSync steps across the ApplicationSets (a step with no app yet is one an environment without services has). */
  readonly steps: number;
  readonly findings: readonly ArgoFinding[];
  /** Cluster name by API server, from the estate's accounts (the clusters registered in ArgoCD). */
  readonly clusters: ReadonlyMap<string, string>;
}

/**
 * Every Application the generated ApplicationSets create, expanded offline against the tree `generate` would
 * write (not the tree on disk, which may be stale), in rollout order, with the reference checks' findings.
 */
export async function appsReport(root: string): Promise<AppsReport> {
  const result = await build(root);
  if (!result.ok) throw new ExitError(result.problems.map(formatProblem).join("\n"), EXIT.invalid);
  const { estate, objects, files } = result.build;
  const clusters = estate.accounts.map((a) => ({ ...a.cluster, account: a.name }));
  const { apps, standalone, findings } = checkArgo({ objects, files, clusters, argocdNamespace: estate.argocdNamespace, root: OUTPUT_DIR });
  const sorted = [...apps].sort((a, b) => (a.step ?? Infinity) - (b.step ?? Infinity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const steps = objects.filter((o) => o.object.kind === "ApplicationSet").reduce((n, o) => n + (((o.object.spec as { strategy?: { rollingSync?: { steps?: unknown[] } } }).strategy?.rollingSync?.steps?.length) ?? 0), 0);
  const byWave = [...standalone].sort((a, b) => Number(a.annotations[SYNC_WAVE] ?? 0) - Number(b.annotations[SYNC_WAVE] ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { apps: sorted, standalone: byWave, steps, findings, clusters: new Map(estate.accounts.map((a) => [a.cluster.server, a.cluster.name])) };
}

/** Standalone apps are ordered by ArgoCD's sync wave on their CR, in the root app (gated by argocd-cm's health check). */
const SYNC_WAVE = "argocd.argoproj.io/sync-wave";
const waveOf = (a: ExpandedApp) => (a.annotations[WAVE_ANNOTATION] === undefined ? null : Number(a.annotations[WAVE_ANNOTATION]));

export const appsCommand: Command = {
  name: "apps",
  summary: "Expand the ApplicationSets as ArgoCD will: every Application with project, destination, path and wave",
  usage: "gitops apps [--json]\n  --json  one object: applications (each with its rendered Application) and findings",
  options: { json: { type: "boolean" } },
  async run({ root, values, out }) {
    const { apps, standalone, steps, findings, clusters } = await appsReport(root);
    const sourceOf = (a: StandaloneApp) => a.sources.map((x) => (x.chart ? `${x.chart}@${x.targetRevision ?? "?"}` : (x.path ?? "."))).join(" + ");
    if (values.json) {
      const applications = apps.map((a) => ({
        name: a.name,
        project: a.project,
        cluster: clusters.get(a.destination.server ?? "") ?? a.destination.name ?? null,
        destination: a.destination,
        path: a.source.path,
        wave: waveOf(a),
        step: a.step === undefined ? null : a.step + 1,
        application: a.application,
      }));
      const platform = standalone.map((a) => ({
        name: a.name,
        project: a.project,
        cluster: clusters.get(a.destination.server ?? "") ?? a.destination.name ?? null,
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
      clusters.get(a.destination.server ?? "") ?? a.destination.name ?? "?",
      a.destination.server ?? "",
      a.destination.namespace,
      a.source.path,
      String(waveOf(a) ?? ""),
      a.step === undefined ? "none" : String(a.step + 1),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [head, ...rows]) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
    if (standalone.length > 0) {
      out("\nSynced by the root app, in wave order (each wave waits for the previous one's health):");
      const sHead = ["NAME", "PROJECT", "CLUSTER", "NAMESPACE", "SOURCES", "WAVE"];
      const sRows = standalone.map((a) => [a.name, a.project, clusters.get(a.destination.server ?? "") ?? a.destination.name ?? "?", a.destination.namespace, sourceOf(a), a.annotations[SYNC_WAVE] ?? ""]);
      const sWidths = sHead.map((h, i) => Math.max(h.length, ...sRows.map((r) => r[i]!.length)));
      for (const r of [sHead, ...sRows]) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(sWidths[i]!))).join("  "));
    }
    const used = new Set(apps.map((a) => a.step).filter((s) => s !== undefined)).size;
    out(`\n${apps.length} application${apps.length === 1 ? "" : "s"} in ${used} of ${steps} RollingSync step${steps === 1 ? "" : "s"}; each step starts when every app of the previous one is Healthy. ${standalone.length} more synced by the root app.`);
    if (findings.length > 0) {
      out("");
      for (const f of findings) out(`${f.subject}: ${f.check}: ${f.message}`);
      out(`\n${findings.length} finding${findings.length === 1 ? "" : "s"}: ArgoCD would not behave as these objects say — fix the generator (packages/argocd).`);
      return EXIT.policy;
    }
    return EXIT.ok;
  },
};
