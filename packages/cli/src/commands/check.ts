import { join } from "node:path";
import { build, diffTrees, isEmptyDiff, OUTPUT_DIR, readTree, type TreeDiff } from "@gitops/generator";
import { formatProblem, sortProblems } from "@gitops/model";
import { check, formatParityTables, formatReport, parityTables } from "@gitops/policy";
import type { Command } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { describeDiff } from "./generate.ts";

/**
 * The one gate CI and people run: the config is valid (else 2), generated/ is current (else 3), and every
 * policy rule and validation passes (else 4). Every finding is printed at once, grouped by environment.
 * When generated/ is stale and a rule fails too, the exit code is 4: regenerating alone would not fix it.
 */
export const checkCommand: Command = {
  name: "check",
  summary: "Verify generated/ is current, then run every policy rule and schema validation (exit 2 invalid, 3 stale, 4 policy)",
  usage: [
    "gitops check [--json] [--parity] [--kustomize]",
    "  --json       print one JSON document (findings, waivers, counts, stale files) instead of text",
    "  --parity     also print, per service, every difference between its environments and its kind",
    "  --kustomize  also render every folder with `kubectl kustomize` and compare with the generator (adds ~1-2 s)",
  ].join("\n"),
  options: { json: { type: "boolean" }, parity: { type: "boolean" }, kustomize: { type: "boolean" } },
  async run({ root, values, out }) {
    const started = performance.now();
    const json = values.json === true;
    const result = await build(root);
    if (!result.ok) {
      const problems = sortProblems(result.problems);
      if (json) out(JSON.stringify({ ok: false, exitCode: EXIT.invalid, problems }, null, 2));
      else {
        for (const p of problems) out(formatProblem(p));
        out(`\n${problems.length} problem${problems.length === 1 ? "" : "s"} in the config; nothing was checked.`);
      }
      return EXIT.invalid;
    }
    const { estate, objects, files } = result.build;
    const diff = diffTrees(readTree(join(root, OUTPUT_DIR)), files);
    const stale = !isEmptyDiff(diff);
    const report = await check({ estate, objects, files }, { kustomize: values.kustomize === true });
    const exitCode = report.findings.length > 0 ? EXIT.policy : stale ? EXIT.stale : EXIT.ok;
    const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
    if (json) {
      out(
        JSON.stringify(
          {
            ok: exitCode === EXIT.ok,
            exitCode,
            stale: stale ? { added: diff.added, changed: diff.changed, removed: diff.removed } : null,
            findings: report.findings,
            waived: report.waived,
            waivers: report.waivers,
            counts: report.counts,
            rules: report.rules,
            ...(values.parity ? { parity: parityTables(estate) } : {}),
            seconds,
          },
          null,
          2,
        ),
      );
      return exitCode;
    }
    if (values.parity) for (const line of formatParityTables(parityTables(estate))) out(line);
    for (const line of formatReport(report, { estate })) out(line);
    if (stale) {
      out("");
      for (const line of describeDiff(diff)) out(line);
      out(`generated/ is stale: ${counts(diff)}. Run \`pnpm generate\` and commit the result.`);
    } else out("generated/ is current.");
    out(`check: ${exitCode === EXIT.ok ? "ok" : `exit ${exitCode}`}; ${estate.environments.length} environments, ${estate.services.length} services, ${objects.length} objects; ${seconds}s`);
    return exitCode;
  },
};

const counts = (d: TreeDiff) => `${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to remove`;
