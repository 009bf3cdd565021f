/**
 * load → resolve → render → compare → write. `build` stops before touching the disk, so `check`, `diff`
 * and `apps` see exactly what `generate` would write.
 */
import { join } from "node:path";
import { resolve, type Problem, type ResolvedEstate } from "@gitops/model";
import { load } from "./load.ts";
import { renderFiles, renderObjects, type RenderedObject } from "./render.ts";
import { diffTrees, isEmptyDiff, OUTPUT_DIR, readTree, recover, writeTree, type TreeDiff } from "./tree.ts";

export interface Build {
  readonly estate: ResolvedEstate;
  readonly objects: readonly RenderedObject[];
  /** Path relative to generated/ → file content. */
  readonly files: ReadonlyMap<string, string>;
}

export type BuildResult = { ok: true; build: Build } | { ok: false; problems: Problem[] };

export async function build(root: string): Promise<BuildResult> {
  const loaded = await load(root);
  if (!loaded.sources) return { ok: false, problems: loaded.problems };
  const resolution = resolve(loaded.sources);
  const problems = [...loaded.problems, ...(resolution.ok ? [] : resolution.problems)];
  if (!resolution.ok || problems.length > 0) return { ok: false, problems };
  const objects = renderObjects(resolution.estate);
  return { ok: true, build: { estate: resolution.estate, objects, files: renderFiles(objects) } };
}

export interface GenerateSummary {
  readonly environments: number;
  readonly services: number;
  readonly objects: number;
  readonly diff: TreeDiff;
  /** False when generated/ already matched (nothing was written) or in check mode. */
  readonly written: boolean;
}

export type GenerateResult =
  | { kind: "invalid"; problems: Problem[] }
  | { kind: "stale"; summary: GenerateSummary }
  | { kind: "ok"; summary: GenerateSummary };

/** Generates into `root/generated`; with `check`, only compares and reports a stale tree. */
export async function generate(root: string, options: { check?: boolean } = {}): Promise<GenerateResult> {
  const result = await build(root);
  if (!result.ok) return { kind: "invalid", problems: result.problems };
  const { estate, objects, files } = result.build;
  if (!options.check) recover(root);
  const diff = diffTrees(readTree(join(root, OUTPUT_DIR)), files);
  const stale = !isEmptyDiff(diff);
  const summary = (written: boolean): GenerateSummary => ({
    environments: estate.environments.length,
    services: estate.services.length,
    objects: objects.length,
    diff,
    written,
  });
  if (options.check) return stale ? { kind: "stale", summary: summary(false) } : { kind: "ok", summary: summary(false) };
  if (stale) writeTree(root, files);
  return { kind: "ok", summary: summary(stale) };
}
