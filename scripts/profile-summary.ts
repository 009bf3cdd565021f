/**
 * tsx scripts/profile-summary.ts FILE.cpuprofile [--top 25]
 *
 * Summarises a `node --cpu-prof` profile: self time by function, and by package (node_modules/<pkg>,
 * packages/<pkg>, node internals), so the README can say where the time goes.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const { values, positionals } = parseArgs({ options: { top: { type: "string" } }, allowPositionals: true });
const top = Number(values.top ?? 25);
for (const file of positionals) {
  const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const total = (prof.endTime - prof.startTime) / 1000;
  const where = (url: string) => {
    if (!url) return "(native/vm)";
    const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (nm) return nm[1]!;
    const pk = /packages\/([^/]+)\/src\/([^/?]+)/.exec(url);
    if (pk) return `@gitops/${pk[1]} ${pk[2]}`;
    if (url.startsWith("node:")) return url;
    return url.replace(/^file:\/\//, "").slice(-60);
  };
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const w = where(n.callFrame.url);
    const name = `${n.callFrame.functionName || "(anonymous)"} ${w}:${n.callFrame.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    pkg.set(w, (pkg.get(w) ?? 0) + us);
  }
  const show = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${(us / 1000).toFixed(0).padStart(7)} ms ${((us / 1000 / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  };
  console.log(`${file}: ${(total / 1000).toFixed(2)} s profiled`);
  show("self time by package/file", pkg);
  show("self time by function", fn);
}
