/**
 * What `generate` remembers between runs, in `.generated.cache/` (gitignored, never committed, safe to delete):
 *
 * - fingerprints of its inputs: every file under environments/ and services/ plus any other file the config
 *   imported (from the loader's bundle), and of its own code (packages/ sources and templates, package.json files,
 *   the lockfile, the Node version). When both match the last successful run and generated/ is verifiably what
 *   that run wrote, the run is a no-op that loads no config at all: the same reasoning turbo applies to the
 *   `generate` task (turbo.json), made safe against edits to generated/ itself by the manifest below;
 * - a manifest of generated/ as last written: each file's content hash with its size, mtime and inode. A file
 *   whose size, mtime or inode differs, or whose mtime is not older than the manifest itself (a "racily clean"
 *   file, as git calls it), is read and hashed again: correctness never rests on a stat alone when in doubt;
 * - per deployment, keyed by a hash of the resolved deployment and the code fingerprint: the files its base
 *   rendered (path, content hash) and the kinds of its objects, so an edit to one service renders only that
 *   service's deployments;
 * - the previous tree (`spare-*`), which the next change patches into the new tree instead of writing every
 *   file again; its manifest says what each of its files holds.
 *
 * A missing, stale or unreadable cache only costs time: any entry that cannot be verified is recomputed, and
 * `generate --check` and `check` (what CI runs) never read the cache.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

export const CACHE_DIR = ".generated.cache";
const FORMAT = "gitops-generate-cache 1";

/** The repository the generator's code lives in (packages/generator/src → ../../..). */
const CODE_ROOT = resolve(import.meta.dirname, "../../..");

export const hashText = (text: string | Buffer): string => createHash("sha1").update(text).digest("base64url");

/** A file as recorded: content hash, size in bytes, and the stat fields that show it was not touched since. */
export interface FileEntry {
  readonly hash: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** ctime cannot be set back by hand (utimes itself changes it), so an edit hidden by restoring mtime still shows. */
  readonly ctimeMs: number;
  readonly ino: number;
}

/** A stat result as a FileEntry for content with `hash`. */
export const entryOf = (hash: string, st: { size: number; mtimeMs: number; ctimeMs: number; ino: number }): FileEntry => ({
  hash,
  size: st.size,
  mtimeMs: st.mtimeMs,
  ctimeMs: st.ctimeMs,
  ino: st.ino,
});

/** Whether a stat result still matches what was recorded. */
export const sameStat = (e: FileEntry, st: { size: number; mtimeMs: number; ctimeMs: number; ino: number }) =>
  e.size === st.size && e.mtimeMs === st.mtimeMs && e.ctimeMs === st.ctimeMs && e.ino === st.ino;

/** One deployment's rendered output: its files in render order, and each object's identity for ArgoCD's projects. */
export interface DeploymentEntry {
  /** [path relative to generated/, content hash, size] */
  readonly files: readonly (readonly [string, string, number])[];
  /** [file, apiVersion, kind, name, namespace] per object, in render order. */
  readonly objects: readonly (readonly [string, string, string, string, string])[];
}

export interface State {
  readonly code: string;
  /** Fingerprint of every input file, or null when the inputs could not be enumerated (no no-op shortcut). */
  readonly inputs: string | null;
  /** Files outside environments/ and services/ the config imported (repository-relative), part of `inputs`. */
  readonly extraInputs: readonly string[];
  readonly summary: { readonly environments: number; readonly services: number; readonly objects: number };
  /** Files generated outside generated/ (.github/CODEOWNERS): path → content hash. */
  readonly rootFiles: Readonly<Record<string, string>>;
  /** generated/ as last written. */
  readonly tree: ReadonlyMap<string, FileEntry>;
  /** The previous tree, kept to be patched into the next one: its folder under the cache and its files. */
  readonly spare: { readonly dir: string; readonly files: ReadonlyMap<string, FileEntry> } | null;
  readonly deployments: ReadonlyMap<string, DeploymentEntry>;
  /** mtime of the state file: files modified at or after it are verified by content. */
  readonly writtenAtMs: number;
}

interface StateHead {
  format: string;
  code: string;
  inputs: string | null;
  extraInputs: string[];
  summary: State["summary"];
  rootFiles: Record<string, string>;
  treeFile: string;
  treeHash: string;
  spare: { dir: string; file: string; hash: string } | null;
  deploymentsFile: string;
  deploymentsHash: string;
}

const stateFile = (root: string) => join(root, CACHE_DIR, "state.json");

/** Manifests are tab-separated lines (path, hash, size, mtime, ctime, inode): quick to parse for 60,000 files. */
function formatManifest(files: ReadonlyMap<string, FileEntry>): string {
  let out = "";
  for (const [path, e] of files) out += `${path}\t${e.hash}\t${e.size}\t${e.mtimeMs}\t${e.ctimeMs}\t${e.ino}\n`;
  return out;
}

function parseManifest(text: string): Map<string, FileEntry> {
  const out = new Map<string, FileEntry>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const [path, hash, size, mtimeMs, ctimeMs, ino] = line.split("\t");
    if (!path || !hash || ino === undefined) throw new Error("malformed manifest line");
    out.set(path, { hash, size: Number(size), mtimeMs: Number(mtimeMs), ctimeMs: Number(ctimeMs), ino: Number(ino) });
  }
  return out;
}

/** Reads one part of the state, checking it is the part the state file names (same hash): else the cache is unusable. */
function readPart(root: string, name: string, hash: string): string {
  const text = readFileSync(join(root, CACHE_DIR, name), "utf8");
  if (hashText(text) !== hash) throw new Error(`${name} does not match state.json`);
  return text;
}

/** The state of the last successful run, or undefined when there is none or it cannot be trusted whole. */
export function readState(root: string, parts: { deployments?: boolean; spare?: boolean } = {}): State | undefined {
  try {
    const path = stateFile(root);
    const text = readFileSync(path, "utf8");
    const head = JSON.parse(text) as StateHead;
    if (head.format !== FORMAT) return undefined;
    const tree = parseManifest(readPart(root, head.treeFile, head.treeHash));
    let spare: State["spare"] = null;
    if (parts.spare && head.spare && existsSync(join(root, CACHE_DIR, head.spare.dir)))
      spare = { dir: head.spare.dir, files: parseManifest(readPart(root, head.spare.file, head.spare.hash)) };
    const deployments = new Map<string, DeploymentEntry>();
    if (parts.deployments)
      for (const [key, entry] of Object.entries(JSON.parse(readPart(root, head.deploymentsFile, head.deploymentsHash)) as Record<string, DeploymentEntry>))
        deployments.set(key, entry);
    return {
      code: head.code,
      inputs: head.inputs,
      extraInputs: head.extraInputs,
      summary: head.summary,
      rootFiles: head.rootFiles,
      tree,
      spare,
      deployments,
      writtenAtMs: statSync(path).mtimeMs,
    };
  } catch {
    return undefined;
  }
}

/**
 * Writes the state: each part under a new name first, then state.json (naming the parts and their hashes) by an
 * atomic rename, so a crash leaves either the old state or the new one. Parts no longer named are removed.
 */
export function writeState(root: string, state: Omit<State, "writtenAtMs">): void {
  const dir = join(root, CACHE_DIR);
  mkdirSync(dir, { recursive: true });
  const id = `${process.pid}-${Date.now().toString(36)}`;
  const part = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return { name, hash: hashText(text) };
  };
  for (const path of state.tree.keys()) if (/[\t\n]/.test(path)) return; // not representable; the next run starts cold
  const tree = part(`tree-${id}.tsv`, formatManifest(state.tree));
  const spare = state.spare ? part(`spare-${id}.tsv`, formatManifest(state.spare.files)) : null;
  const deployments = part(`deployments-${id}.json`, JSON.stringify(Object.fromEntries(state.deployments)));
  const head: StateHead = {
    format: FORMAT,
    code: state.code,
    inputs: state.inputs,
    extraInputs: [...state.extraInputs],
    summary: state.summary,
    rootFiles: state.rootFiles,
    treeFile: tree.name,
    treeHash: tree.hash,
    spare: state.spare && spare ? { dir: state.spare.dir, file: spare.name, hash: spare.hash } : null,
    deploymentsFile: deployments.name,
    deploymentsHash: deployments.hash,
  };
  writeFileSync(`${stateFile(root)}.tmp`, JSON.stringify(head));
  renameSync(`${stateFile(root)}.tmp`, stateFile(root));
  const keep = new Set([tree.name, deployments.name, "state.json", ...(spare ? [spare.name] : []), ...(state.spare ? [state.spare.dir] : [])]);
  removeUnreferenced(root, keep);
}

/** Removes whatever in the cache folder the current state does not name (older parts, spare trees of crashed runs). */
function removeUnreferenced(root: string, keep: ReadonlySet<string>): void {
  const dir = join(root, CACHE_DIR);
  if (existsSync(dir)) for (const name of readdirSync(dir)) if (!keep.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
}

/** Every file under `dir` (recursively), repository-relative, sorted. */
function filesUnder(root: string, dir: string, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) filesUnder(root, path, out);
    else if (e.isFile() || e.isSymbolicLink()) out.push(path);
  }
  return out;
}

/** One hash over paths and contents. */
function fingerprintFiles(base: string, paths: readonly string[]): string {
  const h = createHash("sha1");
  for (const path of paths) {
    let content: Buffer | string;
    try {
      content = readFileSync(join(base, path));
    } catch {
      content = "\0missing";
    }
    h.update(path).update("\0").update(hashText(content)).update("\n");
  }
  return h.digest("base64url");
}

let codeFingerprintMemo: string | undefined;
/**
 * The generator's own code and dependencies, as turbo.json's `generate` inputs name them: packages/*\/src,
 * packages/*\/templates, packages/*\/package.json, package.json and pnpm-lock.yaml, plus the Node version.
 */
export function codeFingerprint(): string {
  if (codeFingerprintMemo) return codeFingerprintMemo;
  const paths: string[] = [];
  for (const pkg of readdirSync(join(CODE_ROOT, "packages")).sort()) {
    filesUnder(CODE_ROOT, `packages/${pkg}/src`, paths);
    filesUnder(CODE_ROOT, `packages/${pkg}/templates`, paths);
    paths.push(`packages/${pkg}/package.json`);
  }
  paths.push("package.json", "pnpm-lock.yaml");
  return (codeFingerprintMemo = `${FORMAT}/${process.version}/${fingerprintFiles(CODE_ROOT, paths)}`);
}

/** Every input file of the config: all of environments/ and services/, plus the extra files the bundle named. */
export function inputFingerprint(root: string, extraInputs: readonly string[]): string {
  const paths = [...filesUnder(root, "environments"), ...filesUnder(root, "services"), ...extraInputs.filter((p) => !/^(environments|services)\//.test(p))];
  return fingerprintFiles(root, paths);
}

/** Repository-relative paths of the bundle's inputs that lie outside environments/, services/ and node_modules/. */
export function extraInputsOf(root: string, inputs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const input of inputs) {
    const path = relative(root, resolve(root, input)).split("\\").join("/");
    if (path.startsWith("..") || path.includes("node_modules/") || /^(environments|services)\//.test(path)) continue;
    out.add(path);
  }
  return [...out].sort();
}

export const cacheDir = (root: string) => join(root, CACHE_DIR);
