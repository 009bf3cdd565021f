import { load } from "@gitops/generator";
import { resolve } from "@gitops/model";
const root = process.argv[2]!;
const loaded = await load(root);
const r = resolve(loaded.sources!) as any;
const srcs = { ...loaded.sources!, estate: { ...loaded.sources!.estate, parsed: r.parsed.get(loaded.sources!.estate.file) }, environments: loaded.sources!.environments.map((s) => ({ ...s, parsed: r.parsed.get(s.file) })), services: loaded.sources!.services.map((s) => ({ ...s, parsed: r.parsed.get(s.file) })) };
const times: number[] = [];
let keep: unknown[] = [];
for (let i = 0; i < 12; i++) { const s = performance.now(); keep.push(resolve(srcs)); if (keep.length > 1) keep.shift(); times.push(performance.now() - s); }
times.sort((a, b) => a - b);
console.log("resolve cached median", times[6]!.toFixed(0), "min", times[0]!.toFixed(0));
