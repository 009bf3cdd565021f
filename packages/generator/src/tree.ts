/**
 * The generator owns generated/ and replaces it whole: the new tree is written beside it, then swapped in
 * with two renames. A crash at any point leaves either the old tree or the new one, and the next run finishes
 * or undoes an interrupted swap before doing anything else. Nothing outside generated/ and its two
 * scratch folders is ever written or removed.
 */
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fitsLine, hashText, manifestLine, type FileEntry } from "./cache.ts";
import { latestNs, parseSnapshot, snapshotSync, statText } from "./snapshot.ts";

export const OUTPUT_DIR = "generated";
const STAGING = ".generated.staging";
const PREVIOUS = ".generated.previous";

export interface TreeDiff {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
  readonly unchanged: number;
}

/** Every file under `dir`, keyed by its path relative to `dir` with `/` separators, in sorted order. */
export function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else out.set(path, readFileSync(join(dir, path), "utf8"));
    }
  };
  if (existsSync(dir)) walk("");
  return out;
}

export function diffTrees(current: ReadonlyMap<string, string>, next: ReadonlyMap<string, string>): TreeDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  let unchanged = 0;
  for (const [path, content] of next) {
    const old = current.get(path);
    if (old === undefined) added.push(path);
    else if (old !== content) changed.push(path);
    else unchanged++;
  }
  for (const path of current.keys()) if (!next.has(path)) removed.push(path);
  return { added, changed, removed, unchanged };
}

export const isEmptyDiff = (d: TreeDiff) => d.added.length + d.changed.length + d.removed.length === 0;

/** Finishes or rolls back a swap or patch a crashed run left behind, and clears its staging folder. */
export function recover(root: string): void {
  recoverPatch(root);
  const target = join(root, OUTPUT_DIR);
  const previous = join(root, PREVIOUS);
  if (!existsSync(target) && existsSync(previous)) renameSync(previous, target);
  rmSync(previous, { recursive: true, force: true });
  rmSync(join(root, STAGING), { recursive: true, force: true });
}

/** Replaces generated/ with exactly `files`, atomically as seen by any later reader. */
export function writeTree(root: string, files: ReadonlyMap<string, string>): void {
  recover(root);
  const staging = join(root, STAGING);
  const made = new Set<string>();
  for (const [path, content] of files) {
    const dir = dirname(join(staging, path));
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(join(staging, path), content);
  }
  if (files.size === 0) mkdirSync(staging, { recursive: true });
  const target = join(root, OUTPUT_DIR);
  if (existsSync(target)) renameSync(target, join(root, PREVIOUS));
  renameSync(staging, target);
  rmSync(join(root, PREVIOUS), { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------------
// Incremental writing. A change of a few files patches generated/ in place through a journal; anything bigger builds
// the new tree beside it and swaps it in as writeTree does. Either way a reader, and a run after a crash, finds the
// old tree or the new one, never a mix:
//
// - patch: the new files are written into .generated.journal/files/ and the plan (what to put, remove) into
//   .generated.journal/plan.json, last, by a rename; then generated/ → .generated.patching, the plan is applied
//   there (renames and removals only), and .generated.patching → generated/. A crash before the first rename leaves
//   generated/ as it was (the journal is dropped); after it, `recover` applies the plan again (each step can be
//   repeated) and finishes the rename.
// - build: every file of the new tree is written (or, unchanged, hard-linked from generated/) into
//   .generated.staging, then generated/ → .generated.previous, staging → generated/.

/** What a tree on disk holds: per file its content hash and stat, as found now. */
export interface ScannedTree {
  readonly files: Map<string, FileEntry>;
  /** Files whose stat did not match the manifest, or that it does not list: their hash was read from content. */
  readonly dirty: readonly string[];
  /** Entries that are not regular files (symlinks): never reused, always replaced. */
  readonly irregular: ReadonlySet<string>;
  /** Manifest entries no longer on disk. */
  readonly missing: number;
}

/**
 * What each file of `dir` holds, from its snapshot (snapshot.ts). A file the manifest lists with the same stat, last
 * changed before `racyFromNs` (when the manifest was written), holds the hash the manifest records; every other
 * file is read and hashed.
 */
export function scanTree(dir: string, snapshotText: string, manifest: ReadonlyMap<string, FileEntry> | undefined, racyFromNs: bigint): ScannedTree {
  const lines = parseSnapshot(snapshotText) ?? parseSnapshot(snapshotSync(dir))!;
  const files = new Map<string, FileEntry>();
  const dirty: string[] = [];
  const irregular = new Set<string>();
  for (const { type, path, stat } of lines) {
    const known = manifest?.get(path);
    if (type !== "f") irregular.add(path);
    if (known && type === "f" && known.stat === stat && latestNs(stat) < racyFromNs) {
      files.set(path, known);
      continue;
    }
    let hash: string;
    try {
      hash = hashText(readFileSync(join(dir, path)));
    } catch {
      hash = "unreadable";
      irregular.add(path);
    }
    files.set(path, { hash, stat });
    if (!known || known.hash !== hash || type !== "f") dirty.push(path);
  }
  let missing = 0;
  if (manifest) for (const path of manifest.keys()) if (!files.has(path)) missing++;
  return { files, dirty, irregular, missing };
}

/** generated/ as the last run wrote it, when its snapshot shows it untouched since: the manifest, as is. */
export function untouchedTree(manifest: Map<string, FileEntry>): ScannedTree {
  return { files: manifest, dirty: [], irregular: new Set(), missing: 0 };
}

/**
 * A file of the new tree: its hash and size, and its content when it was rendered this run, in this thread
 * (`content`) or by a renderer that writes it (`held`, renderer.ts).
 */
export interface TargetFile {
  readonly hash: string;
  readonly size: number;
  readonly content?: string;
  readonly held?: boolean;
  /** Already written into the staging folder (a tree built from nothing, renderer.ts's `writeTo`): its stat text. */
  readonly stat?: string;
}

/** Where the next tree is built before it is swapped in (cleared by `recover`). */
export const stagingDir = (root: string): string => join(root, STAGING);

/** A regular file's line in a snapshot (snapshot.ts). */
const snapshotLine = (path: string, stat: string) => `f\t./${path}\t${stat}`;

/** The snapshot (snapshot.ts) of a tree of regular files as a manifest records them, in its (sorted) order. */
export function snapshotOf(files: ReadonlyMap<string, FileEntry>): string {
  // Joined once, not appended to: a 12 MB string built by `+=` is a rope that hashing must flatten first.
  const lines = new Array<string>(files.size + 1);
  let i = 0;
  for (const [path, e] of files) lines[i++] = snapshotLine(path, e.stat);
  lines[i] = "";
  return lines.join("\n");
}

/**
 * Some files of a tree as its manifest and its snapshot list them: their lines (each ending in a newline), in path
 * order, from the first path to the last. A renderer makes one for each deployment it writes, in its own thread,
 * so that a tree built from nothing is recorded by joining blocks instead of formatting 120,000 lines at the end
 * (0.3 s of one thread, at S=2000, while the others idled).
 */
export interface TreeBlock {
  readonly first: string;
  readonly last: string;
  readonly files: number;
  readonly manifest: string;
  readonly snapshot: string;
}

/** The block of some written files ([path, hash, stat]), or undefined when a path holds a tab or a newline (no line can). */
export function treeBlock(files: readonly (readonly [string, string, string])[]): TreeBlock | undefined {
  if (files.length === 0 || !files.every(([path]) => fitsLine(path))) return undefined;
  const sorted = [...files].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  // Joined, not appended: a flat string, which the final join copies as it is (a rope it must walk first).
  const manifest = [...sorted.map(([path, hash, stat]) => manifestLine(path, hash, stat)), ""].join("\n");
  const snapshot = [...sorted.map(([path, , stat]) => snapshotLine(path, stat)), ""].join("\n");
  return { first: sorted[0]![0], last: sorted.at(-1)![0], files: sorted.length, manifest, snapshot };
}

/**
 * A tree's manifest (as text) and its snapshot's hash, from the blocks of its files, when they are exactly its files
 * (`tree`: the tree as written, whose `loose` files have no block and get one here) and do not interleave: the
 * blocks are then its lines in order, as formatting `tree` whole gives them. Undefined otherwise (the caller formats
 * `tree`). `blocksLatestNs`: the latest mtime or ctime among the blocks' files (the renderers saw their stats).
 */
export function recordOfBlocks(blocks: readonly TreeBlock[], loose: readonly string[], tree: ReadonlyMap<string, FileEntry>, blocksLatestNs: bigint): { tree: { text: string; latestNs: bigint }; snapshotHash: string } | undefined {
  const all = [...blocks];
  let latest = blocksLatestNs;
  for (const path of loose) {
    const e = tree.get(path);
    const block = e && treeBlock([[path, e.hash, e.stat]]);
    if (!block) return undefined;
    all.push(block);
    const ns = latestNs(e.stat);
    if (ns > latest) latest = ns;
  }
  if (all.reduce((n, b) => n + b.files, 0) !== tree.size) return undefined;
  all.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  for (let i = 1; i < all.length; i++) if (!(all[i - 1]!.last < all[i]!.first)) return undefined;
  return { tree: { text: all.map((b) => b.manifest).join(""), latestNs: latest }, snapshotHash: hashText(all.map((b) => b.snapshot).join("")) };
}

/** Renderers write the files they hold (renderer.ts): under `dir`, whose parent folders exist; path → stat text. */
export type HeldWriter = (dir: string, paths: readonly string[]) => Promise<ReadonlyMap<string, string>>;

/**
 * Writes `target` (every file of the new tree) over generated/, whose files `current` describes and from which
 * `diff` was taken: a patch when only a few files change and the paths are plain, else a build. Returns the new
 * tree as its manifest records it (`snapshotOf` gives its snapshot).
 */
export async function stageAndSwap(
  root: string,
  target: ReadonlyMap<string, TargetFile>,
  current: ScannedTree,
  diff: TreeDiff,
  writeHeld: HeldWriter = async () => new Map(),
): Promise<Map<string, FileEntry>> {
  let folders: Set<string> | undefined;
  const whole: PatchTarget = {
    size: target.size,
    get: (path) => target.get(path),
    holdsFile: (folder) => (folders ??= foldersOf(target.keys())).has(folder),
  };
  const stats = await patchInPlace(root, whole, current.files.size, diff, writeHeld);
  let tree: Map<string, FileEntry>;
  if (stats) {
    tree = new Map();
    for (const [path, t] of target) {
      const stat = stats.get(path);
      tree.set(path, stat !== undefined ? { hash: t.hash, stat } : current.files.get(path)!);
    }
  } else tree = await buildAndSwap(root, target, current, writeHeld);
  return tree;
}

/** Every folder (and parent folder) of some paths. */
export function foldersOf(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const path of paths) for (let at = path.lastIndexOf("/"); at > 0; at = path.lastIndexOf("/", at - 1)) out.add(path.slice(0, at));
  return out;
}

/**
 * What a patch reads of the new tree: how many files it has, a changed file's target, and whether a folder holds
 * any of its files (a folder that holds none is removed whole). The incremental generate gives this without
 * listing the files it carries over unchanged.
 */
export interface PatchTarget {
  readonly size: number;
  get(path: string): TargetFile | undefined;
  holdsFile(folder: string): boolean;
}

/**
 * Patches generated/ (of `currentSize` files) by `diff` through the journal: the stat text of every file put, or
 * undefined, having touched nothing, when the tree must be built instead (see `patchPlan`).
 */
export async function patchInPlace(root: string, target: PatchTarget, currentSize: number, diff: TreeDiff, writeHeld: HeldWriter = async () => new Map()): Promise<Map<string, string> | undefined> {
  const plan = patchPlan(root, target, currentSize, diff);
  return plan ? patch(root, target, plan, writeHeld) : undefined;
}

/** What a patch does to generated/: files to put (from the journal), files to remove, folders left empty to remove. */
interface Plan {
  readonly puts: readonly string[];
  readonly removes: readonly string[];
  readonly folders: readonly string[];
}

/** A patch is worth it below this share of the tree; above, writing the whole tree costs about the same. */
const PATCH_SHARE = 0.1;

/**
 * The plan of a patch, or undefined when the tree must be built: generated/ missing, many files changing, a file
 * already written into the staging folder, or a path whose folders are not plain folders (a symbolic link, a file
 * where a folder must be, a folder where a file must be: a patch never follows or rearranges those).
 */
function patchPlan(root: string, target: PatchTarget, currentSize: number, diff: TreeDiff): Plan | undefined {
  const output = join(root, OUTPUT_DIR);
  const puts = [...diff.added, ...diff.changed];
  if (!existsSync(output) || currentSize === 0 || puts.length + diff.removed.length > PATCH_SHARE * Math.max(target.size, currentSize)) return undefined;
  if (puts.some((path) => target.get(path)!.stat !== undefined)) return undefined;
  const checked = new Set<string>();
  const plainFolders = (path: string) => {
    for (let at = path.indexOf("/"); at > 0; at = path.indexOf("/", at + 1)) {
      const dir = path.slice(0, at);
      if (checked.has(dir)) continue;
      const st = lstatSync(join(output, dir), { throwIfNoEntry: false });
      if (st && !st.isDirectory()) return false;
      checked.add(dir);
    }
    return true;
  };
  for (const path of puts) {
    const st = lstatSync(join(output, path), { throwIfNoEntry: false });
    if ((st && !st.isFile()) || !plainFolders(path)) return undefined;
  }
  if (!diff.removed.every(plainFolders)) return undefined;
  // Folders that hold no file of the new tree go whole (with anything else in them).
  const gone = new Set<string>();
  const removes: string[] = [];
  for (const path of diff.removed) {
    let top: string | undefined;
    for (let at = path.indexOf("/"); at > 0 && top === undefined; at = path.indexOf("/", at + 1)) if (!target.holdsFile(path.slice(0, at))) top = path.slice(0, at);
    if (top === undefined) removes.push(path);
    else gone.add(top);
  }
  return { puts, removes, folders: [...gone].sort() };
}

const JOURNAL = ".generated.journal";
const PATCHING = ".generated.patching";

/** Where tests make a patch crash (a throw stands for the process dying there): unset, they do nothing. */
export const crashPoints: { afterJournal?: () => void; afterMove?: () => void; midApply?: () => void } = {};

/** Applies `plan` through the journal: the stat text of each file put. */
async function patch(root: string, target: PatchTarget, plan: Plan, writeHeld: HeldWriter): Promise<Map<string, string>> {
  const journal = join(root, JOURNAL);
  const files = join(journal, "files");
  rmSync(journal, { recursive: true, force: true });
  mkdirSync(files, { recursive: true });
  const made = new Set<string>([files]);
  const held: string[] = [];
  for (const path of plan.puts) {
    const dir = dirname(join(files, path));
    if (!made.has(dir)) mkdirSync(dir, { recursive: true }), made.add(dir);
    const t = target.get(path)!;
    if (t.content !== undefined) writeFileSync(join(files, path), t.content);
    else if (t.held) held.push(path);
    else throw new Error(`internal: ${path} changes but has no content to write`);
  }
  if (held.length > 0) await writeHeld(files, held);
  writeFileSync(join(journal, "plan.json.tmp"), JSON.stringify(plan));
  renameSync(join(journal, "plan.json.tmp"), join(journal, "plan.json"));
  crashPoints.afterJournal?.();
  renameSync(join(root, OUTPUT_DIR), join(root, PATCHING));
  crashPoints.afterMove?.();
  applyPlan(root, plan);
  const stats = new Map<string, string>();
  for (const path of plan.puts) stats.set(path, statText(lstatSync(join(root, PATCHING, path), { bigint: true })));
  renameSync(join(root, PATCHING), join(root, OUTPUT_DIR));
  rmSync(journal, { recursive: true, force: true });
  return stats;
}

/** Applies a patch's plan to .generated.patching; every step can be repeated (what was moved is no longer in the journal). */
function applyPlan(root: string, plan: Plan): void {
  const tree = join(root, PATCHING);
  const files = join(root, JOURNAL, "files");
  for (const dir of plan.folders) rmSync(join(tree, dir), { recursive: true, force: true });
  for (const path of plan.removes) rmSync(join(tree, path), { force: true });
  plan.puts.forEach((path, i) => {
    if (i === 1) crashPoints.midApply?.();
    if (!existsSync(join(files, path))) return; // moved before a crash
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    renameSync(join(files, path), join(tree, path));
  });
}

/** Finishes a patch a crashed run left behind, or drops its journal when generated/ was not touched yet. */
function recoverPatch(root: string): void {
  const journal = join(root, JOURNAL);
  const patching = join(root, PATCHING);
  if (existsSync(patching)) {
    if (existsSync(join(root, OUTPUT_DIR))) rmSync(patching, { recursive: true, force: true }); // generated/ was made again by hand: it stays, and is regenerated
    else {
      let plan: Plan | undefined;
      try {
        plan = JSON.parse(readFileSync(join(journal, "plan.json"), "utf8")) as Plan; // always written before generated/ moves
      } catch {
        plan = undefined; // (never): then nothing was applied either
      }
      if (plan) applyPlan(root, plan);
      renameSync(patching, join(root, OUTPUT_DIR));
    }
  }
  rmSync(journal, { recursive: true, force: true });
}

/**
 * Builds the new tree in the staging folder and swaps it in: files with content are written (`held` ones by the
 * renderers, on their threads; `stat` ones are there already), unchanged ones are hard-linked from generated/, where
 * `current` shows they hold that hash. Then the same two renames as writeTree.
 */
async function buildAndSwap(root: string, target: ReadonlyMap<string, TargetFile>, current: ScannedTree, writeHeld: HeldWriter): Promise<Map<string, FileEntry>> {
  const staging = join(root, STAGING);
  const output = join(root, OUTPUT_DIR);
  mkdirSync(staging, { recursive: true });
  const made = new Set<string>();
  const tree = new Map<string, FileEntry>();
  const held: string[] = [];
  const linked: string[] = [];
  for (const [path, t] of target) {
    if (t.stat !== undefined) {
      tree.set(path, { hash: t.hash, stat: t.stat });
      continue;
    }
    const full = join(staging, path);
    const dir = dirname(full);
    if (!made.has(dir)) mkdirSync(dir, { recursive: true }), made.add(dir);
    if (t.held) {
      held.push(path);
      tree.set(path, { hash: t.hash, stat: "" }); // the stat comes from the writer, below; set now to keep the order
      continue;
    }
    if (t.content !== undefined) writeFileSync(full, t.content);
    else {
      const source = current.files.get(path);
      if (!source || source.hash !== t.hash || current.irregular.has(path)) throw new Error(`internal: no verified copy of ${path} to reuse`);
      try {
        linkSync(join(output, path), full);
        // Stat once the old tree is gone: removing its link changes the inode's ctime again.
        linked.push(path);
        tree.set(path, { hash: t.hash, stat: "" }); // set now to keep the order
        continue;
      } catch {
        copyFileSync(join(output, path), full);
      }
    }
    tree.set(path, { hash: t.hash, stat: statText(lstatSync(full, { bigint: true })) });
  }
  if (held.length > 0) {
    const stats = await writeHeld(staging, held);
    for (const path of held) {
      const stat = stats.get(path);
      if (stat === undefined) throw new Error(`internal: ${path} was not written`);
      tree.set(path, { hash: target.get(path)!.hash, stat });
    }
  }
  if (existsSync(output)) renameSync(output, join(root, PREVIOUS));
  renameSync(staging, output);
  rmSync(join(root, PREVIOUS), { recursive: true, force: true });
  for (const path of linked) tree.set(path, { hash: target.get(path)!.hash, stat: statText(lstatSync(join(output, path), { bigint: true })) });
  return tree;
}
