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
 * - per config file, its value as last evaluated and the hash of every file that evaluation read, so a run after an
 *   edit to one service bundles and evaluates that file alone;
 * - per deployment, keyed by a hash of what rendering reads of it (model's `RenderableDeployment`) and the code
 *   fingerprint: the files its base rendered (path, content hash, size) and its objects' kinds by folder (what
 *   ArgoCD's projects read), so an edit to one service renders only that service's deployments, and the other
 *   entries are carried over as they are (incremental.ts);
 * - per service, a digest of what its deployments are resolved from (model's `serviceInputs`, the estate level and
 *   the code) with its deployments' render keys, so an unchanged service's deployments are not serialized again to
 *   be keyed;
 * - the files of generated/ no entry holds (ArgoCD's, the platform's, the README), with their hashes;
 *
 * A missing, stale or unreadable cache only costs time: any entry that cannot be verified is recomputed, and
 * `generate --check` and `check` (what CI runs) never read the cache.
 */
import { createHash, hash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
// Types only: the no-op path loads nothing of argocd, model or their dependencies.
import type { FolderKinds } from "@gitops/argocd";
import type { Evaluated } from "./load.ts";
import { latestOf } from "./snapshot.ts";
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

export const CACHE_DIR = ".generated.cache";
const FORMAT = "gitops-generate-cache 11";

/** The repository the generator's code lives in (packages/generator/src → ../../..). */
const CODE_ROOT = resolve(import.meta.dirname, "../../..");

/** sha1, base64url: a content hash, not a security boundary (one-shot `crypto.hash` where Node has it: 20.12+). */
export const hashText: (text: string | Buffer) => string =
  typeof hash === "function" ? (text) => hash("sha1", text, "base64url") : (text) => createHash("sha1").update(text).digest("base64url");

/** A file as recorded: its content hash, and its stat fields as a snapshot writes them (snapshot.ts). */
export interface FileEntry {
  readonly hash: string;
  readonly stat: string;
}

/** One deployment's rendered output: its files in render order, and what ArgoCD's projects read of its objects. */
export interface DeploymentEntry {
  /** [path relative to generated/, content hash, size] */
  readonly files: readonly (readonly [string, string, number])[];
  /** How many objects it rendered. */
  readonly objects: number;
  /** Its objects' kinds by folder (argocd's `FolderKinds`), each folder's distinct and sorted. */
  readonly kinds: readonly FolderKinds[];
}

export interface StateHead {
  readonly format: string;
  readonly code: string;
  /** Fingerprint of every input file, or null when the inputs could not be enumerated (no no-op shortcut). */
  readonly inputs: string | null;
  /** Files outside environments/ and services/ the config imported (repository-relative), part of `inputs`. */
  readonly extraInputs: readonly string[];
  readonly summary: { readonly environments: number; readonly services: number; readonly objects: number };
  /** Files generated outside generated/ (.github/CODEOWNERS): path → content hash. */
  readonly rootFiles: Readonly<Record<string, string>>;
  /**
   * generated/'s snapshot as written: the hash of its text (a later snapshot is compared by hash: the text itself is
   * never read back), and the latest mtime/ctime in it (ns, decimal).
   */
  readonly snapshot: { readonly hash: string; readonly latestNs: string };
  /** generated/'s files that no entry in `deployments` rendered (ArgoCD's, the platform's, their kustomizations, the README): [path, hash]. */
  readonly estate: readonly (readonly [string, string])[];
  readonly tree: Part;
  /** Render keys → the files and objects they rendered (deployments, previews, runbooks), one line each (`Entries`). */
  readonly deployments: Part;
  /** Config files → their values as evaluated, with the hashes of the files each read (load.ts `Evaluated`), as v8 serializes them. */
  readonly config: Part;
  /** Services' input digests → their deployments' render keys (`Memo`), one line each: `digest \t key key …`. */
  readonly memo: Part;
}

/**
 * A part of the state: its file (named for the run that wrote it, never rewritten) and its size in bytes. Parts are
 * written whole before state.json names them, so a part of another size was cut short (a crash before it reached the
 * disk) and the cache is not used; a part is not hashed again on every read (37 MB at S=2000).
 */
export interface Part {
  readonly file: string;
  readonly bytes: number;
}

export interface State {
  readonly head: StateHead;
  /** mtime of state.json (ns): a file modified at or after it may have been modified unseen, and is read. */
  readonly writtenAtNs: bigint;
}

const stateFile = (root: string) => join(root, CACHE_DIR, "state.json");

/** Whether a path fits in a line of the cache's tab-separated texts (no tab, no newline). */
export const fitsLine = (path: string): boolean => !/[\t\n]/.test(path);

/** Manifests are tab-separated lines `path\thash\tstat`: quick to write and parse for 60,000 files. */
export const manifestLine = (path: string, hash: string, stat: string): string => `${path}\t${hash}\t${stat}`;

function formatManifest(files: ReadonlyMap<string, FileEntry>): string {
  const lines = new Array<string>(files.size + 1);
  let i = 0;
  for (const [path, e] of files) lines[i++] = manifestLine(path, e.hash, e.stat);
  lines[i] = "";
  return lines.join("\n");
}

export function parseManifest(text: string): Map<string, FileEntry> {
  const out = new Map<string, FileEntry>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const a = line.indexOf("\t");
    const b = line.indexOf("\t", a + 1);
    if (a <= 0 || b < 0) throw new Error("malformed manifest line");
    out.set(line.slice(0, a), { hash: line.slice(a + 1, b), stat: line.slice(b + 1) });
  }
  return out;
}

/** Reads one part of the state, checking it is whole (the size the state file names): else the cache is unusable. */
function readPart(root: string, part: Part): Buffer {
  const bytes = readFileSync(join(root, CACHE_DIR, part.file));
  if (bytes.length !== part.bytes) throw new Error(`${part.file} does not match state.json`);
  return bytes;
}

/**
 * The deployments part: one line per entry, `key \t objects \t file count \t kinds \t files`, where files are
 * `[folder, [[name, hash, size], …]]` (each named within the entry's folder, which halves the part) and kinds are
 * `[[folder, "apiVersion kind,…"], …]`, both JSON (which escapes tabs and newlines). A run that reuses an entry reads
 * only its first fields, and writes its line back as it was: 10,000 entries at S=2000 are never parsed whole.
 */
export class Entries {
  private readonly lines = new Map<string, string>();
  /** Kinds texts → their pairs, one array per distinct text (argocd reads a shared array once per project). */
  private readonly kindsMemo = new Map<string, readonly (readonly [string, string])[]>();

  constructor(text = "") {
    for (const line of text.split("\n")) if (line) this.lines.set(line.slice(0, line.indexOf("\t")), line);
  }

  keys(): IterableIterator<string> {
    return this.lines.keys();
  }

  /** The entry's line as stored (to carry it over unchanged). */
  line(key: string): string | undefined {
    return this.lines.get(key);
  }

  /** The entry's object count, file count and kinds, without its files. */
  summary(key: string): { objects: number; files: number; kinds: FolderKinds[] } | undefined {
    const line = this.lines.get(key);
    if (line === undefined) return undefined;
    const [, objects, files, kinds] = fields(line, 5);
    return { objects: Number(objects), files: Number(files), kinds: this.kindsOf(kinds!) };
  }

  /** The whole entry. */
  get(key: string): DeploymentEntry | undefined {
    const line = this.lines.get(key);
    if (line === undefined) return undefined;
    const [, objects, , kinds, packed] = fields(line, 5);
    const [folder, files] = JSON.parse(packed!) as [string, [string, string, number][]];
    return { objects: Number(objects), kinds: this.kindsOf(kinds!), files: files.map(([name, hash, size]) => [folder + name, hash, size] as const) };
  }

  private kindsOf(text: string): FolderKinds[] {
    return (JSON.parse(text) as [string, string][]).map(([folder, kinds]) => {
      let pairs = this.kindsMemo.get(kinds);
      if (!pairs) this.kindsMemo.set(kinds, (pairs = kinds ? kinds.split(",").map((k) => k.split(" ") as [string, string]) : []));
      return { folder, kinds: pairs };
    });
  }

  /** An entry as a line (kinds as renderer.ts `entryKinds` leaves them: apiVersion and kind hold neither spaces nor commas). */
  static format(key: string, { files, objects, kinds }: DeploymentEntry): string {
    const first = files[0]?.[0] ?? "";
    const folder = first.includes("/") ? first.slice(0, first.lastIndexOf("/") + 1) : "";
    const prefix = files.every(([path]) => path.startsWith(folder)) ? folder : "";
    const packed = JSON.stringify([prefix, files.map(([path, hash, size]) => [path.slice(prefix.length), hash, size])]);
    return `${key}\t${objects}\t${files.length}\t${JSON.stringify(kinds.map((k) => [k.folder, k.kinds.map((p) => p.join(" ")).join(",")]))}\t${packed}`;
  }
}

/** The first `n` tab-separated fields of a line, the last holding the rest. */
function fields(line: string, n: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 1; i < n; i++) {
    const next = line.indexOf("\t", at);
    if (next < 0) throw new Error("malformed entry line");
    out.push(line.slice(at, next));
    at = next + 1;
  }
  out.push(line.slice(at));
  return out;
}

/** The head of the last successful run's state, or undefined when there is none or it is unreadable. */
export function readState(root: string): State | undefined {
  try {
    const head = JSON.parse(readFileSync(stateFile(root), "utf8")) as StateHead;
    if (head.format !== FORMAT) return undefined;
    return { head, writtenAtNs: statSync(stateFile(root), { bigint: true }).mtimeNs };
  } catch {
    return undefined;
  }
}

/**
 * The parts a changing run needs (`which`, default all); undefined parts could not be read whole (they are then
 * rebuilt). Loading the config needs only its own: the others are read while esbuild bundles what changed.
 */
export function readParts(
  root: string,
  head: StateHead,
  which: readonly ("tree" | "deployments" | "config" | "memo")[] = ["tree", "deployments", "config", "memo"],
): { tree?: string; deployments?: Entries; config?: Map<string, Evaluated>; memo?: Memo } {
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  return {
    ...(which.includes("tree") ? { tree: attempt(() => readPart(root, head.tree).toString("utf8")) } : {}),
    ...(which.includes("deployments") ? { deployments: attempt(() => new Entries(readPart(root, head.deployments).toString("utf8"))) } : {}),
    ...(which.includes("config") ? { config: attempt(() =>
      new Map(
        (deserialize(readPart(root, head.config)) as [string, Evaluated["inputs"], unknown, unknown][]).map(([file, inputs, value, parsed]) => {
          if (typeof file !== "string" || !Array.isArray(inputs)) throw new Error("malformed config part");
          return [file, { inputs, value, ...(parsed !== undefined ? { parsed } : {}) }];
        }),
      ),
    ) } : {}),
    ...(which.includes("memo") ? { memo: attempt(() => parseMemo(readPart(root, head.memo).toString("utf8"))) } : {}),
  };
}

/**
 * Render keys by what decided them: a service's input digest (incremental.ts `inputDigests`) → the render keys of its
 * deployments and previews, in the order the run lists them. The same digest resolves to the same deployments
 * (model `serviceInputs`), so their keys are taken from here instead of serializing 8,000 deployments again.
 */
export type Memo = ReadonlyMap<string, readonly string[]>;

function parseMemo(text: string): Memo {
  const out = new Map<string, readonly string[]>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const tab = line.indexOf("\t");
    if (tab <= 0) throw new Error("malformed memo line");
    out.set(line.slice(0, tab), line.slice(tab + 1).split(" "));
  }
  return out;
}

function formatMemo(memo: Memo): string {
  const lines = Array.from(memo, ([digest, keys]) => `${digest}\t${keys.join(" ")}\n`).sort();
  return lines.join("");
}

/**
 * generated/'s manifest for the state: the tree itself, or the manifest text (as patched by a run that patched a few
 * files, or put together from the renderers' blocks, tree.ts `recordOfBlocks`), with the latest mtime/ctime in it
 * (an upper bound will do: a run is a no-op only when it is older than the state).
 */
export type TreeRecord = ReadonlyMap<string, FileEntry> | { readonly text: string; readonly latestNs: bigint };

/**
 * The config part of the state: each file's inputs and parsed value as v8 writes them (structured clone: undefined,
 * NaN, -0 and the rest kept as evaluated), all at once; its value as evaluated only where it has no parsed value,
 * since a later run of the same code reads the parsed one (parsing is a pure function of the value): half the bytes
 * to write and to read back. Taken as soon as the estate is resolved, before anything renders from the parsed
 * values it shares objects with.
 */
export function configPart(config: ReadonlyMap<string, Evaluated>): Buffer {
  return serialize(Array.from(config, ([file, e]) => [file, e.inputs, e.parsed === undefined ? e.value : undefined, e.parsed]));
}

/**
 * Writes the state: each part under a new name first, then state.json (naming the parts and their hashes) by an
 * atomic rename, so a crash leaves either the old state or the new one. Whatever else is in the cache folder (older
 * parts, folders of older formats) is removed. An entry given as a string is a line of the last state, carried over.
 */
export function writeState(
  root: string,
  state: {
    code: string;
    inputs: string | null;
    extraInputs: readonly string[];
    summary: StateHead["summary"];
    rootFiles: Record<string, string>;
    /** The hash of generated/'s snapshot as written (snapshot.ts): what a no-op run compares its own with. */
    snapshotHash: string;
    estate: StateHead["estate"];
    tree: TreeRecord;
    deployments: ReadonlyMap<string, DeploymentEntry | string>;
    /** The config part (`configPart`). */
    config: Buffer;
    memo: Memo;
  },
): void {
  const dir = join(root, CACHE_DIR);
  mkdirSync(dir, { recursive: true });
  const id = `${process.pid}-${Date.now().toString(36)}`;
  const part = (file: string, content: string | Buffer): Part => {
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    writeFileSync(join(dir, file), bytes);
    return { file, bytes: bytes.length };
  };
  const lines: string[] = [];
  for (const [key, entry] of state.deployments) {
    if (typeof entry === "string") lines.push(entry);
    else if (!entry.files.every(([path]) => fitsLine(path))) return; // not representable; the next run starts cold
    else lines.push(Entries.format(key, entry));
  }
  lines.push("");
  const record = state.tree;
  const patched = "text" in record;
  if (!patched) for (const path of record.keys()) if (!fitsLine(path)) return;
  const latest = patched ? record.latestNs : latestOf(Array.from(record.values(), (e) => e.stat));
  const tree = part(`tree-${id}.tsv`, patched ? record.text : formatManifest(record));
  const deployments = part(`deployments-${id}.tsv`, lines.join("\n"));
  const config = part(`config-${id}.v8`, state.config);
  const memo = part(`memo-${id}.tsv`, formatMemo(state.memo));
  const head: StateHead = {
    format: FORMAT,
    code: state.code,
    inputs: state.inputs,
    extraInputs: [...state.extraInputs],
    summary: state.summary,
    rootFiles: state.rootFiles,
    snapshot: { hash: state.snapshotHash, latestNs: String(latest) },
    estate: state.estate,
    tree,
    deployments,
    config,
    memo,
  };
  writeFileSync(`${stateFile(root)}.tmp`, JSON.stringify(head));
  renameSync(`${stateFile(root)}.tmp`, stateFile(root));
  const keep = new Set(["state.json", tree.file, deployments.file, config.file, memo.file]);
  for (const name of readdirSync(dir)) if (!keep.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
}

/**
 * Every file under `dir` (recursively), repository-relative, sorted. With `regular`, the regular files among them
 * (not links, and reached through no link below `dir`) are added there too.
 */
function filesUnder(root: string, dir: string, out: string[] = [], regular?: Set<string>): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) filesUnder(root, path, out, regular);
    else if (e.isFile() || e.isSymbolicLink()) {
      out.push(path);
      if (e.isFile()) regular?.add(path);
    }
  }
  return out;
}

/** One hash over paths and contents; each file's own hash into `hashes` when given (undefined: unreadable). */
function fingerprintFiles(base: string, paths: readonly string[], hashes?: Map<string, string | undefined>): string {
  const h = createHash("sha1");
  for (const path of paths) {
    let hash: string | undefined;
    try {
      hash = hashText(readFileSync(join(base, path)));
    } catch {
      hash = undefined;
    }
    hashes?.set(path, hash);
    h.update(path).update("\0").update(hash ?? hashText("\0missing")).update("\n");
  }
  return h.digest("base64url");
}

let codeFingerprintMemo: string | undefined;
/**
 * The code that decides what `generate` writes: this package and the workspace packages it depends on
 * (transitively, from package.json `dependencies`), each one's src/, templates/ and package.json, plus the root
 * package.json, the lockfile (every other dependency's version) and the Node version. An edit to a package
 * generate does not use (policy, cli) leaves it unchanged.
 */
export function codeFingerprint(): string {
  if (codeFingerprintMemo) return codeFingerprintMemo;
  const folders = new Map<string, string>();
  for (const dir of readdirSync(join(CODE_ROOT, "packages"))) {
    try {
      const name = (JSON.parse(readFileSync(join(CODE_ROOT, "packages", dir, "package.json"), "utf8")) as { name?: string }).name;
      if (name) folders.set(name, dir);
    } catch {
      // not a package
    }
  }
  const used = new Set<string>();
  const visit = (name: string) => {
    const dir = folders.get(name);
    if (!dir || used.has(dir)) return;
    used.add(dir);
    const pkg = JSON.parse(readFileSync(join(CODE_ROOT, "packages", dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
  };
  visit("@gitops/generator");
  const paths: string[] = [];
  for (const dir of [...used].sort()) {
    filesUnder(CODE_ROOT, `packages/${dir}/src`, paths);
    filesUnder(CODE_ROOT, `packages/${dir}/templates`, paths);
    paths.push(`packages/${dir}/package.json`);
  }
  paths.push("package.json", "pnpm-lock.yaml");
  return (codeFingerprintMemo = `${FORMAT}/${process.version}/${fingerprintFiles(CODE_ROOT, paths)}`);
}

/** The input files as a run finds them (`scanInputs`). */
export interface InputScan {
  /** One hash over every input's path and content. */
  readonly fingerprint: string;
  /** Each input's content hash (undefined: unreadable), what the config cache is checked against. */
  readonly hashes: Map<string, string | undefined>;
  /** Inputs that are regular files reached through real folders only (no link on the way from the root). */
  readonly regular: ReadonlySet<string>;
}

/**
 * Every input file of the config, fingerprinted: all of environments/ and services/, plus the extra files the bundle
 * named, each read and hashed. (Taking an unchanged file's hash from its stat, as git's index does, was measured:
 * at S=2000 a stat costs about what reading and hashing a 600-byte config file does, so it is not done.)
 */
export function scanInputs(root: string, extraInputs: readonly string[]): InputScan {
  const regular = new Set<string>();
  const paths: string[] = [];
  for (const top of ["environments", "services"]) {
    let real = false;
    try {
      real = lstatSync(join(root, top)).isDirectory();
    } catch {
      // missing: nothing to walk
    }
    // A top folder that is a link is still listed (the loader refuses its config, and says why).
    filesUnder(root, top, paths, real ? regular : undefined);
  }
  paths.push(...extraInputs.filter((p) => !/^(environments|services)\//.test(p)));
  const hashes = new Map<string, string | undefined>();
  return { fingerprint: fingerprintFiles(root, paths, hashes), hashes, regular };
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

