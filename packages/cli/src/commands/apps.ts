import { directoriesOf, expandApplicationSet, WAVE_ANNOTATION, type ExpandedApp } from "@gitops/argocd";
import { build, OUTPUT_DIR } from "@gitops/generator";
import { formatProblem } from "@gitops/model";
import type { Command } from "../command.ts";
import { EXIT, ExitError } from "../exit-codes.ts";

/** Every Application the generated ApplicationSets create, expanded offline against the tree `generate` would write. */
export async function expandedApps(root: string): Promise<ExpandedApp[]> {
  const result = await build(root);
  if (!result.ok) throw new ExitError(result.problems.map(formatProblem).join("\n"), EXIT.invalid);
  const dirs = directoriesOf([...result.build.files.keys()].map((f) => `${OUTPUT_DIR}/${f}`));
  return result.build.objects
    .filter((o) => o.object.kind === "ApplicationSet")
    .flatMap((o) => expandApplicationSet(o.object, dirs))
    .sort((a, b) => (a.step ?? 99) - (b.step ?? 99) || (a.name < b.name ? -1 : 1));
}

export const appsCommand: Command = {
  name: "apps",
  summary: "Expand the ApplicationSets as ArgoCD will: every Application with project, destination, path and wave",
  usage: "gitops apps [--json]",
  options: { json: { type: "boolean" } },
  async run({ root, values, out }) {
    const apps = await expandedApps(root);
    if (values.json) {
      out(JSON.stringify(apps.map(({ application: _, ...rest }) => rest), null, 2));
      return EXIT.ok;
    }
    const rows = apps.map((a) => [a.name, a.project, `${a.server ?? a.clusterName}/${a.namespace}`, a.path, a.annotations[WAVE_ANNOTATION] ?? "", a.step === undefined ? "none" : String(a.step + 1)]);
    const head = ["NAME", "PROJECT", "DESTINATION", "PATH", "WAVE", "STEP"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [head, ...rows]) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
    out(`\n${apps.length} applications in ${new Set(apps.map((a) => a.step)).size} RollingSync steps.`);
    return EXIT.ok;
  },
};
