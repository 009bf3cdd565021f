/**
 * The generator owns generated/ and replaces it whole: the new tree is written beside it, then swapped in
 * with two renames. A crash at any point leaves either the old tree or the new one, and the next run finishes
 * or undoes an interrupted swap before doing anything else. Nothing outside generated/ and its two
 * scratch folders is ever written or removed.
 */
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hashText, type FileEntry } from "./cache.ts";
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

/** Finishes or rolls back a swap a crashed run left behind, and clears its staging folder. */
export function recover(root: string): void {
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
// Incremental writing. The new tree is still complete before it is swapped in with the same two renames; only the
// way it is built changes: the previous tree (kept in the cache as a "spare") is patched where it differs, and
// files whose content was not rendered this run are hard-linked from generated/, whose content was verified.

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

export interface Spare {
  /** Folder name under the cache. */
  readonly dir: string;
  readonly files: ReadonlyMap<string, FileEntry>;
}

/**
 * Checks the spare tree against its manifest by its snapshot, as generated/ is checked: a file whose stat moved (an
 * edit, also one made in place to a generated file that shares the inode through a hard link), that changed at or
 * after the manifest was written, or that the manifest does not know, is removed, so it is never reused.
 */
export function verifySpare(cache: string, spare: Spare, snapshotText: string, racyFromNs: bigint, latestRecordedNs: bigint): Spare {
  // Untouched since it was recorded (the common case): the snapshot is what its manifest says, line for line.
  if (latestRecordedNs < racyFromNs && snapshotText === snapshotOf(spare.files)) return spare;
  const dir = join(cache, spare.dir);
  const lines = parseSnapshot(snapshotText) ?? parseSnapshot(snapshotSync(dir))!;
  const files = new Map<string, FileEntry>();
  for (const { type, path, stat } of lines) {
    const known = spare.files.get(path);
    if (known && type === "f" && known.stat === stat && latestNs(stat) < racyFromNs) files.set(path, known);
    else rmSync(join(dir, path), { force: true, recursive: true });
  }
  return { dir: spare.dir, files };
}

/**
 * Builds the new tree in the staging folder and swaps it in: from the spare when there is one (patching only what
 * differs), else from scratch. Files with content are written (`held` ones by `writeHeld`, on the renderers' threads);
 * files without (unchanged deployments) are hard-linked
 * from generated/, where `current` shows they hold that hash. Then generated/ → previous, staging → generated/
 * (the same two renames as writeTree), and the previous tree becomes the next spare. Returns the new tree's
 * manifest and snapshot, and the new spare.
 */
export async function stageAndSwap(
  root: string,
  cache: string,
  target: ReadonlyMap<string, TargetFile>,
  current: ScannedTree,
  spare: Spare | null,
  writeHeld: (dir: string, paths: readonly string[]) => Promise<ReadonlyMap<string, string>> = async () => new Map(),
): Promise<{ tree: Map<string, FileEntry>; snapshot: string; spare: Spare | null }> {
  const staging = join(root, STAGING);
  const output = join(root, OUTPUT_DIR);
  const have = new Map<string, FileEntry>(spare?.files ?? []);
  if (spare) renameSync(join(cache, spare.dir), staging);
  else mkdirSync(staging, { recursive: true });

  // The tree that becomes the next spare: generated/ as found. A hard link added to or removed from one of its
  // inodes changes that inode's ctime, so such entries are stat'ed again to stay verifiable.
  const nextSpare = new Map([...current.files].filter(([path]) => !current.irregular.has(path)));
  const restat = (path: string) => {
    const known = nextSpare.get(path);
    if (!known) return;
    try {
      nextSpare.set(path, { hash: known.hash, stat: statText(lstatSync(join(output, path), { bigint: true })) });
    } catch {
      nextSpare.delete(path);
    }
  };
  const unlinkStaged = (path: string) => {
    const shared = have.get(path)?.stat.split("\t")[3] === nextSpare.get(path)?.stat.split("\t")[3];
    rmSync(join(staging, path), { force: true });
    have.delete(path);
    if (shared) restat(path);
  };

  // Drop what the new tree does not hold: folders no target file lives in, then single files.
  const dirs = new Set<string>();
  for (const path of target.keys()) for (let at = path.lastIndexOf("/"); at > 0; at = path.lastIndexOf("/", at - 1)) dirs.add(path.slice(0, at));
  const gone = new Set<string>();
  for (const path of [...have.keys()]) {
    if (target.has(path)) continue;
    let top: string | undefined;
    for (let at = path.indexOf("/"); at > 0; at = path.indexOf("/", at + 1)) {
      const dir = path.slice(0, at);
      if (!dirs.has(dir)) {
        top = dir;
        break;
      }
    }
    if (top === undefined) unlinkStaged(path);
    else {
      // (Files in it that share an inode with generated/ leave stale ctimes in the next spare's manifest: the next
      // verifySpare drops them, which costs a rewrite, never a wrong file.)
      if (!gone.has(top)) rmSync(join(staging, top), { recursive: true, force: true }), gone.add(top);
      have.delete(path);
    }
  }

  const made = new Set<string>();
  const parent = (path: string) => {
    const at = path.lastIndexOf("/");
    if (at < 0) return;
    const dir = path.slice(0, at);
    if (!made.has(dir)) mkdirSync(join(staging, dir), { recursive: true }), made.add(dir);
  };
  const tree = new Map<string, FileEntry>();
  const held: string[] = [];
  for (const [path, t] of target) {
    if (t.stat !== undefined) {
      if (spare) throw new Error(`internal: ${path} was written into a staging folder that the spare replaces`);
      tree.set(path, { hash: t.hash, stat: t.stat });
      continue;
    }
    const existing = have.get(path);
    if (existing && existing.hash === t.hash) {
      tree.set(path, existing);
      continue;
    }
    const full = join(staging, path);
    if (existing) unlinkStaged(path);
    else parent(path);
    let linked = false;
    if (t.held) {
      held.push(path);
      tree.set(path, { hash: t.hash, stat: "" }); // the stat comes from the writer, below; set now to keep the order
      continue;
    }
    if (t.content !== undefined) {
      writeFileSync(full, t.content);
    } else {
      const source = current.files.get(path);
      if (!source || source.hash !== t.hash || current.irregular.has(path)) throw new Error(`internal: no verified copy of ${path} to reuse`);
      try {
        linkSync(join(output, path), full);
        linked = true;
      } catch {
        copyFileSync(join(output, path), full);
      }
    }
    // Stat after writing: a hard link changes the inode's ctime, for generated/'s name of it too.
    const entry = { hash: t.hash, stat: statText(lstatSync(full, { bigint: true })) };
    tree.set(path, entry);
    if (linked && nextSpare.has(path)) nextSpare.set(path, entry);
  }
  if (held.length > 0) {
    const stats = await writeHeld(staging, held);
    for (const path of held) {
      const stat = stats.get(path);
      if (stat === undefined) throw new Error(`internal: ${path} was not written`);
      tree.set(path, { hash: target.get(path)!.hash, stat });
    }
  }

  const hadOutput = existsSync(output);
  if (hadOutput) renameSync(output, join(root, PREVIOUS));
  renameSync(staging, output);
  let result: Spare | null = null;
  if (hadOutput) {
    const dir = `spare-${process.pid}-${Date.now().toString(36)}`;
    mkdirSync(cache, { recursive: true });
    renameSync(join(root, PREVIOUS), join(cache, dir));
    result = { dir, files: nextSpare };
  }
  return { tree, snapshot: snapshotOf(tree), spare: result };
}

/** The snapshot (snapshot.ts) of a tree of regular files as a manifest records them, in its (sorted) order. */
export function snapshotOf(files: ReadonlyMap<string, FileEntry>): string {
  let out = "";
  for (const [path, e] of files) out += `f\t${path}\t${e.stat}\n`;
  return out;
}
