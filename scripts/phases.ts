/**
 * tsx scripts/phases.ts ROOT [--repeat 2]
 *
 * Times each phase of a generate in one process, without writing anything: load (esbuild bundle + evaluate),
 * resolve (zod + model), render (cdk8s constructs → toJson), serialize (the emitter, and `yaml` for comparison).
 * The benchmark times whole CLI runs; this says where inside a run the time goes.
 */
import { parseArgs } from "node:util";
import { load, renderDeployment, toYaml } from "@gitops/generator";
import { resolve } from "@gitops/model";

const { values, positionals } = parseArgs({ options: { repeat: { type: "string" }, yaml: { type: "boolean" } }, allowPositionals: true });
const root = positionals[0] ?? process.cwd();
for (let run = 0; run < Number(values.repeat ?? 1); run++) {
  let t = performance.now();
  const lap = (what: string) => {
    const now = performance.now();
    console.log(`${what.padEnd(40)} ${(now - t).toFixed(0).padStart(6)} ms`);
    t = now;
  };
  const loaded = await load(root);
  lap("load");
  const r = resolve(loaded.sources!);
  if (!r.ok) throw new Error(`${root} does not resolve`);
  lap(`resolve (${r.estate.deployments.length} deployments)`);
  const objects = r.estate.deployments.flatMap(renderDeployment);
  lap(`render (${objects.length} objects)`);
  let bytes = 0;
  for (const o of objects) bytes += toYaml(o.object, o.sources).length;
  lap(`serialize (${(bytes / 2 ** 20).toFixed(1)} MiB)`);
  if (values.yaml) {
    const { referenceYaml } = await import("../packages/generator/src/serialize.ts");
    for (const o of objects) referenceYaml(o.object);
    lap("serialize with yaml (reference)");
  }
  console.log("");
}
