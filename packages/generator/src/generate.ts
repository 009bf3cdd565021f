/**
 * load → resolve → render → compare → write. `build` stops before touching the disk, so `check`, `diff`
 * and `apps` see exactly what `generate` would write. `generate` itself writes through incremental.ts, which
 * skips work an earlier run already did; `generate --check` always builds everything and compares file contents.
 *
 * The modules that load config and render are imported when first needed, so a no-op `generate` never pays for them.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Problem, ResolvedEstate } from "@gitops/model";
import type { RenderedObject } from "./render.ts";
import { diffTrees, isEmptyDiff, OUTPUT_DIR, readTree, recover, writeTree, type TreeDiff } from "./tree.ts";
export { workersProblem } from "./workers.ts";

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
  const [{ load }, { resolve }, { renderFiles, renderObjects, sortedByPath }, { codeowners, estateReadme }, { runbookFiles }, { storeKeysOfObjects }] = await Promise.all([
    import("./load.ts"),
    import("@gitops/model"),
    import("./render.ts"),
    import("@gitops/docs"),
    import("./runbooks.ts"),
    import("./store-keys.ts"),
  ]);
  const loaded = await load(root);
  if (!loaded.sources) return { ok: false, problems: loaded.problems };
  const resolution = resolve(loaded.sources);
  const problems = [...loaded.problems, ...(resolution.ok ? [] : resolution.problems)];
  if (!resolution.ok || problems.length > 0) return { ok: false, problems };
  const objects = renderObjects(resolution.estate);
  const manifests = renderFiles(objects);
  // Documents beside the manifests: the estate README and one runbook per service (generated/runbooks/).
  const runbooks = runbookFiles(resolution.estate, objects);
  const files = new Map([...manifests, ...runbooks]).set("README.md", estateReadme(resolution.estate, storeKeysOfObjects(resolution.estate, objects)));
  const rootFiles = new Map([[".github/CODEOWNERS", codeowners(resolution.estate)]]);
  return { ok: true, build: { estate: resolution.estate, objects, files: sortedByPath(files), rootFiles } };
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
  /**
   * What an incremental run rendered (the rest it reused): deployments (previews included) and runbooks, of how
   * many, and on how many worker threads besides the main one. Absent when nothing was loaded (a no-op) or in a full build.
   */
  readonly rendered?: { readonly deployments: number; readonly of: number; readonly runbooks: number; readonly runbooksOf: number; readonly workers: number };
}

export type GenerateResult =
  | { kind: "invalid"; problems: Problem[] }
  | { kind: "stale"; summary: GenerateSummary }
  /** Another live `generate` holds the lock; nothing was touched. */
  | { kind: "busy"; pid: number }
  | { kind: "ok"; summary: GenerateSummary };

/**
 * Generates into `root/generated`; with `check`, only compares and reports a stale tree. With `cache: false`, a
 * run ignores and leaves alone everything incremental.ts remembers, and writes the whole tree like `writeTree`.
 */
export async function generate(root: string, options: { check?: boolean; cache?: boolean } = {}): Promise<GenerateResult> {
  if (options.check) {
    const result = await build(root);
    if (!result.ok) return { kind: "invalid", problems: result.problems };
    return compareAndWrite(root, result.build, true);
  }
  const lock = acquireLock(root);
  if (typeof lock === "number") return { kind: "busy", pid: lock };
  try {
    if (options.cache !== false) return await (await import("./incremental.ts")).generateIncremental(root);
    const result = await build(root);
    if (!result.ok) return { kind: "invalid", problems: result.problems };
    return compareAndWrite(root, result.build, false);
  } finally {
    lock();
  }
}

/**
 * Two runs must never interleave their swaps: the writer holds `.generated.lock` (its pid, boot id and start time). The lock is
 * created whole (a temp file hard-linked into place: O_EXCL semantics, never seen empty). A lock whose process is
 * gone (a crash, SIGKILL) is stale and taken over, but only by the one run that creates `.generated.lock.takeover`,
 * and only if the lock still holds what it read: two runs that both saw the same stale lock can never remove each
 * other's fresh one. A lock released while we looked is simply tried again. Returns a release function, or the pid of
 * the live holder.
 */
export function acquireLock(root: string): (() => void) | number {
  const path = join(root, ".generated.lock");
  const guard = `${path}.takeover`;
  const release = () => {
    if (readPid(path)?.pid === process.pid) rmSync(path, { force: true });
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createWhole(path)) return release;
    const held = readPid(path);
    if (!held) continue; // released meanwhile
    if (held.pid !== process.pid && holds(held)) return held.pid;
    if (!createWhole(guard)) {
      const taker = readPid(guard);
      if (taker && taker.pid !== process.pid && holds(taker)) return taker.pid;
      if (taker) rmSync(guard, { force: true }); // its taker was killed mid-takeover
      continue;
    }
    try {
      if (readPid(path)?.text === held.text) rmSync(path, { force: true });
      if (createWhole(path)) return release;
    } finally {
      rmSync(guard, { force: true });
    }
  }
  throw new Error(`could not take ${path}`);
}

/**
 * Who we are, as a lock records it: pid, boot id and start time (Linux). Pids are reused (soon, in containers, which
 * count from 1 again), so a lock left by a killed run may name a pid that now belongs to another live process; the
 * boot and start time tell the two apart. Elsewhere, the pid alone.
 */
function identity(pid: number): { boot: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return start && boot ? { boot, start } : undefined;
  } catch {
    return undefined;
  }
}

/** Creates `path` holding our identity, complete from the first moment it exists; false if it already exists. */
function createWhole(path: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  const me = identity(process.pid);
  writeFileSync(tmp, me ? `${process.pid} ${me.boot} ${me.start}` : String(process.pid));
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The lock file's text, pid and (when recorded) boot and start time, or undefined when it does not exist. */
function readPid(path: string): { text: string; pid: number; boot?: string; start?: string } | undefined {
  try {
    const text = readFileSync(path, "utf8");
    const [first, boot, start] = text.split(" ");
    const pid = Number(first);
    return { text, pid: Number.isInteger(pid) && pid > 0 ? pid : 0, ...(boot && start ? { boot, start } : {}) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Whether the process a lock names still runs: its pid is alive and, when recorded, it is the same process. */
function holds(held: { pid: number; boot?: string; start?: string }): boolean {
  if (!alive(held.pid)) return false;
  if (held.boot === undefined) return true; // pid-only lock (another OS, or an older generator)
  const now = identity(held.pid);
  // Another boot (a lock from before a restart, or from another machine), or another process on a reused pid.
  return now === undefined || (now.boot === held.boot && now.start === held.start);
}

function alive(pid: number): boolean {
  if (pid <= 0) return false;
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
  if (!check) {
    recover(root);
    // A run killed inside writeAtomically leaves its temp file; nothing else would ever remove it.
    for (const path of rootFiles.keys()) rmSync(join(root, `${path}.tmp`), { force: true });
  }
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
