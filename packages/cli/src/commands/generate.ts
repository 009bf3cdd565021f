// The generator's light entry point (no config loading or rendering modules until a run needs them).
import { generate, workersProblem } from "@gitops/generator/generate";
import type { GenerateSummary, TreeDiff } from "@gitops/generator";
import type { Command } from "../command.ts";
import { EXIT } from "../exit-codes.ts";

export const generateCommand: Command = {
  name: "generate",
  summary: "Compile environments/ and services/ into generated/ (or, with --check, verify it is current)",
  usage: "gitops generate [--check]\n  --check  write nothing; exit 3 and list the differences if generated/ is stale",
  options: { check: { type: "boolean" } },
  async run({ root, values, out }) {
    const started = performance.now();
    const check = values.check === true;
    const workers = process.env.GITOPS_WORKERS;
    const problem = workers ? workersProblem(workers) : undefined;
    if (problem) {
      out(problem);
      return EXIT.usage;
    }
    const result = await generate(root, { check });
    if (result.kind === "invalid") {
      const { formatProblem, sortProblems } = await import("@gitops/model");
      for (const p of sortProblems(result.problems)) out(formatProblem(p));
      out(`\n${result.problems.length} problem${result.problems.length === 1 ? "" : "s"} in the config; nothing was written.`);
      return EXIT.invalid;
    }
    if (result.kind === "busy") {
      out(`Another \`gitops generate\` (pid ${result.pid}) is writing generated/; nothing was touched. Run again when it ends.`);
      return EXIT.busy;
    }
    const { summary } = result;
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (result.kind === "stale") {
      for (const line of describeDiff(summary.diff)) out(line);
      for (const path of summary.rootChanged) out(`  changed  ${path}`);
      out(`\ngenerated/ is stale: ${counts(summary.diff)}. Run \`pnpm generate\` and commit the result.`);
      return EXIT.stale;
    }
    const d = summary.diff;
    const written = summary.written ? d.added.length + d.changed.length + summary.rootChanged.length : 0;
    out(
      `${check ? "generated/ is current" : "generated"}: ${summary.environments} environments, ${summary.services} services, ${summary.objects} objects; ` +
        `files ${written} written, ${d.unchanged} unchanged, ${d.removed.length} removed; ${rendered(summary.rendered)}${seconds}s`,
    );
    return EXIT.ok;
  },
};

export function describeDiff(d: TreeDiff): string[] {
  return [
    ...d.added.map((f) => `  added    generated/${f}`),
    ...d.changed.map((f) => `  changed  generated/${f}`),
    ...d.removed.map((f) => `  removed  generated/${f}`),
  ];
}

/** "rendered 2/8000 deployments, 1/2000 runbooks; " (on N threads when workers helped), or nothing for a no-op. */
const rendered = (r: GenerateSummary["rendered"]) =>
  r ? `rendered ${r.deployments}/${r.of} deployments, ${r.runbooks}/${r.runbooksOf} runbooks${r.workers > 0 ? ` on ${r.workers + 1} threads` : ""}; ` : "";

const counts = (d: TreeDiff) => `${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to remove`;
