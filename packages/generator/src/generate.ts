/**
 * load → resolve → render → compare → write. `build` stops before touching the disk, so `check`, `diff`
 * and `apps` see exactly what `generate` would write.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { codeowners, estateReadme } from "@gitops/docs";
import { resolve, type Problem, type ResolvedEstate } from "@gitops/model";
import { load } from "./load.ts";
import { renderFiles, renderObjects, type RenderedObject } from "./render.ts";
import { diffTrees, isEmptyDiff, OUTPUT_DIR, readTree, recover, writeTree, type TreeDiff } from "./tree.ts";

export interface Build {
  readonly estate: ResolvedEstate;
  readonly objects: readonly RenderedObject[];
  /** Path relative to generated/ → file content. */
  readonly files: ReadonlyMap<string, string>;
  /** Generated files that must live outside generated/ (GitHub reads CODEOWNERS only from .github/): repo path → content. */
  readonly rootFiles: ReadonlyMap<string, string>;
}

export type BuildResult = { ok: true; build: Build } | { ok: false; problems: Problem[] };

export async function build(root: string): Promise<BuildResult> {
  const loaded = await load(root);
  if (!loaded.sources) return { ok: false, problems: loaded.problems };
  const resolution = resolve(loaded.sources);
  const problems = [...loaded.problems, ...(resolution.ok ? [] : resolution.problems)];
  if (!resolution.ok || problems.length > 0) return { ok: false, problems };
  const objects = renderObjects(resolution.estate);
  const files = new Map(renderFiles(objects)).set("README.md", estateReadme(resolution.estate));
  const rootFiles = new Map([[".github/CODEOWNERS", codeowners(resolution.estate)]]);
  return { ok: true, build: { estate: resolution.estate, objects, files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))), rootFiles } };
}

export interface GenerateSummary {
  readonly environments: number;
  readonly services: number;
  readonly objects: number;
  readonly diff: TreeDiff;
  /** Generated files outside generated/ that differ (or differed, before writing). */
  readonly rootChanged: readonly string[];
  /** False when generated/ already matched (nothing was written) or in check mode. */
  readonly written: boolean;
}

export type GenerateResult =
  | { kind: "invalid"; problems: Problem[] }
  | { kind: "stale"; summary: GenerateSummary }
  /** Another live `generate` holds the lock; nothing was touched. */
  | { kind: "busy"; pid: number }
  | { kind: "ok"; summary: GenerateSummary };

/** Generates into `root/generated`; with `check`, only compares and reports a stale tree. */
export async function generate(root: string, options: { check?: boolean } = {}): Promise<GenerateResult> {
  const result = await build(root);
  if (!result.ok) return { kind: "invalid", problems: result.problems };
  const { estate, objects, files, rootFiles } = result.build;
  if (options.check) return compareAndWrite(root, result.build, true);
  const lock = acquireLock(root);
  if (typeof lock === "number") return { kind: "busy", pid: lock };
  try {
    return compareAndWrite(root, result.build, false);
  } finally {
    lock();
  }
}

/**
 * Two runs must never interleave their swaps: the writer holds `.generated.lock` (O_EXCL, holding its pid).
 * A lock whose process is gone (a crash, SIGKILL) is stale and taken over. Returns a release function, or the
 * pid of the live holder.
 */
export function acquireLock(root: string): (() => void) | number {
  const path = join(root, ".generated.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(path, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) return pid;
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take ${path}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function compareAndWrite(root: string, build: Build, check: boolean): GenerateResult {
  const { estate, objects, files, rootFiles } = build;
  const rootChanged = [...rootFiles].filter(([path, content]) => !existsSync(join(root, path)) || readFileSync(join(root, path), "utf8") !== content).map(([p]) => p);
  if (!check) recover(root);
  const diff = diffTrees(readTree(join(root, OUTPUT_DIR)), files);
  const stale = !isEmptyDiff(diff) || rootChanged.length > 0;
  const summary = (written: boolean): GenerateSummary => ({
    environments: estate.environments.length,
    services: estate.services.length,
    objects: objects.length,
    diff,
    rootChanged,
    written,
  });
  if (check) return stale ? { kind: "stale", summary: summary(false) } : { kind: "ok", summary: summary(false) };
  if (!isEmptyDiff(diff)) writeTree(root, files);
  for (const path of rootChanged) writeAtomically(join(root, path), rootFiles.get(path)!);
  return { kind: "ok", summary: summary(stale) };
}

function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}
