/**
 * The generator owns generated/ and replaces it whole: the new tree is written beside it, then swapped in
 * with two renames. A crash at any point leaves either the old tree or the new one, and the next run finishes
 * or undoes an interrupted swap before doing anything else. Nothing outside generated/ and its two
 * scratch folders is ever written or removed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

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
