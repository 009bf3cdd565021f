/**
 * Finds and executes the authored TypeScript config. Config is code: it runs with the generator's rights,
 * which is why only environments/ and services/ are ever imported, never anything under generated/.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Plugin } from "esbuild";
import * as model from "@gitops/model";
import { errorText, plain, problem, type Problem, type SourceFile, type Sources } from "@gitops/model";
import { importsTypeScript } from "./tsx.ts";

export const ESTATE_FILE = "environments/estate.ts";

/**
 * A config file's value as an earlier run evaluated it, with the content hash of every repository file that
 * evaluation read (the file itself and what it imports, outside node_modules/): reusable while those are unchanged.
 */
export interface Evaluated {
  readonly inputs: readonly (readonly [string, string])[];
  /** The file's default export as plain data; undefined once cached beside `parsed`, which stands for it then. */
  readonly value: unknown;
  /** The value as its schema parsed it (model `Resolution.parsed`), when that run resolved; default: parsed again. */
  readonly parsed?: unknown;
}

export interface LoadOptions {
  /** Values an earlier run evaluated (the incremental generate's cache): each is reused while its inputs are unchanged. */
  readonly reuse?: ReadonlyMap<string, Evaluated>;
  /** The content hash of a repository file (what `reuse` was keyed on), or undefined when it cannot be read. */
  readonly hashOf?: (path: string) => string | undefined;
  /**
   * Config files the caller has just found to be regular files in real folders under the root (the incremental
   * generate's input scan): their real path is not asked for again. Default: every file's is.
   */
  readonly regular?: ReadonlySet<string>;
  /** Files the caller has just found under the root (the input scan), passed to `discover`. Default: none. */
  readonly listed?: ReadonlySet<string>;
}

export interface Loaded {
  readonly sources: Sources | undefined;
  readonly problems: Problem[];
  /** With `hashOf`: every file's value and inputs, for a later run's `reuse` (files imported one by one are left out). */
  readonly evaluated?: ReadonlyMap<string, Evaluated>;
  /**
   * Every file the config bundle read (esbuild's metafile, paths relative to the root), when all config was loaded
   * as one bundle; absent when it was imported file by file. `generate` fingerprints these to skip no-op runs.
   */
  readonly inputs?: readonly string[];
}

/**
 * Lists the config files under `root`, sorted, as repository-relative paths. `listed`: files the caller has just
 * found there (the input scan), whose service.ts files are not looked for again (2,000 existence checks at S=2000).
 */
export function discover(root: string, listed?: ReadonlySet<string>): { estate: string; environments: string[]; services: string[] } {
  const ts = (dir: string) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).sort() : []);
  const environments = ts("environments")
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && `environments/${f}` !== ESTATE_FILE)
    .map((f) => `environments/${f}`);
  const services = ts("services")
    .filter((d) => listed?.has(`services/${d}/service.ts`) || existsSync(join(root, "services", d, "service.ts")))
    .map((d) => `services/${d}/service.ts`);
  return { estate: ESTATE_FILE, environments, services };
}

/**
 * Config files import `@gitops/model` for its `define…` helpers. The bundle takes it from this process (the module
 * the generator itself runs) instead of bundling a copy: the same code either way, and esbuild then reads two
 * files for a one-service change instead of the model and zod (0.1 s, and 0.06 s more to evaluate the copy).
 */
const HOST = Symbol.for("gitops.config-host");
const hostModules: Record<string, Record<string, unknown>> = { "@gitops/model": model };
(globalThis as Record<symbol, unknown>)[HOST] = hostModules;
const hostModule = (path: string) =>
  [
    `const m = globalThis[Symbol.for(${JSON.stringify(HOST.description)})][${JSON.stringify(path)}];`,
    ...Object.keys(hostModules[path]!).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name)).map((name) => `export const ${name} = m.${name};`),
  ].join("\n");
const hostPlugin: Plugin = {
  name: "gitops-host",
  setup(b) {
    b.onResolve({ filter: /^@gitops\/model$/ }, (args) => ({ path: args.path, namespace: "gitops-host" }));
    b.onLoad({ filter: /.*/, namespace: "gitops-host" }, (args) => ({ loader: "js", contents: hostModule(args.path) }));
  },
};

/**
 * The host module as a file, for esbuild's `alias` (in node_modules/.cache/gitops-host/, named by its content), or
 * undefined when it cannot be written: then the plugin above serves it. A plugin is called back in this process for
 * every import it resolves (2,000 config files, each importing the model), which cost a full generate's bundling
 * 0.15 s; an alias is resolved inside esbuild.
 */
let hostFile: string | undefined | null = null;
function hostShim(): string | undefined {
  if (hostFile !== null) return hostFile;
  const contents = hostModule("@gitops/model");
  const dir = fileURLToPath(new URL("../../../node_modules/.cache/gitops-host/", import.meta.url));
  const file = join(dir, `model-${createHash("sha1").update(contents).digest("hex").slice(0, 16)}.mjs`);
  try {
    if (!existsSync(file) || readFileSync(file, "utf8") !== contents) {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, contents);
      renameSync(tmp, file);
    }
    hostFile = file;
  } catch {
    hostFile = undefined;
  }
  return hostFile;
}

/**
 * The fast path: every config file bundled by esbuild into one module and evaluated once (thousands of separate
 * TypeScript imports cost ~8 ms each through the loader hooks). Any failure — a syntax error, a throwing module,
 * a missing default export — returns undefined, and `load` falls back to importing file by file, which names
 * the file that failed.
 */
async function loadBundled(
  root: string,
  files: readonly string[],
  stalled: () => Promise<typeof STALLED>,
): Promise<{ values: Map<string, unknown>; inputs: string[]; reads: (file: string) => string[] } | undefined> {
  if (files.length === 0) return { values: new Map(), inputs: [], reads: () => [] };
  if (files.some((f) => !existsSync(join(root, f)))) return undefined;
  try {
    const { build } = await import("esbuild");
    const entry = files.map((f, i) => `export { default as m${i} } from ${JSON.stringify(`./${f}`)};`).join("\n");
    const result = await build({
      stdin: { contents: entry, resolveDir: root, loader: "ts", sourcefile: "gitops-config.ts" },
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      logLevel: "silent",
      legalComments: "none",
      metafile: true,
      absWorkingDir: root,
      ...(hostShim() !== undefined ? { alias: { "@gitops/model": hostShim()! } } : { plugins: [hostPlugin] }),
    });
    const code = result.outputFiles[0]!.text;
    const loaded = await Promise.race([import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`), stalled()]);
    if (loaded === STALLED) return undefined; // a top-level await that never settles: file by file names it
    const mod = loaded as Record<string, unknown>;
    const out = new Map<string, unknown>();
    for (const [i, f] of files.entries()) {
      if (mod[`m${i}`] === undefined) return undefined;
      out.set(f, mod[`m${i}`]);
    }
    const graph = result.metafile.inputs;
    /** The repository files (outside node_modules/, whose code the code fingerprint covers) that evaluating `file` read. */
    const reads = (file: string) => {
      const seen = new Set<string>([file]);
      for (const path of seen) for (const i of graph[path]?.imports ?? []) if (!i.external && isRepositoryFile(i.path)) seen.add(i.path);
      return [...seen].sort();
    };
    const host = hostFile ? relative(root, hostFile).split("\\").join("/") : undefined;
    return { values: out, inputs: Object.keys(graph).filter((p) => p !== "gitops-config.ts" && !p.startsWith("<") && !p.startsWith("gitops-host:") && p !== host), reads };
  } catch {
    return undefined;
  }
}

/**
 * A config file in a package that is not "type": "module" is compiled to CommonJS by tsx's require hooks (what the
 * CLI's bundle registers): its namespace's default is then `module.exports`, marked `__esModule`, whose own
 * `default` is the file's default export, as TypeScript's esModuleInterop reads it.
 */
function esModule(mod: { default?: unknown }): { default?: unknown } {
  const exports = mod.default as { __esModule?: unknown; default?: unknown } | null | undefined;
  return typeof exports === "object" && exports !== null && exports.__esModule === true && Object.hasOwn(exports, "default") ? { default: exports.default } : mod;
}

/**
 * A top-level await in a config file that never settles leaves the event loop nothing to do, and Node would end the
 * process in the middle of loading. `beforeExit` says when that happens: the imports still pending then are stalled,
 * and are given up on (the bundle) or reported (a file), instead.
 */
const STALLED = Symbol("stalled");
function stallDetector(): { stalled: () => Promise<typeof STALLED>; stop: () => void } {
  let wake: () => void = () => {};
  let next = new Promise<typeof STALLED>((done) => (wake = () => done(STALLED)));
  const onIdle = () => {
    const current = wake;
    next = new Promise<typeof STALLED>((done) => (wake = () => done(STALLED)));
    current();
  };
  process.on("beforeExit", onIdle);
  return { stalled: () => next, stop: () => process.off("beforeExit", onIdle) };
}

/**
 * Config code that calls process.exit would end the run with an exit code of its choosing (0 passes a CI gate).
 * While config files are imported, process.exit throws this instead, so the call is the file's problem. (bin.ts
 * catches a call made later, from a timer or a getter, without knowing the file.)
 */
class ConfigExit extends Error {}
let loading = 0;
let realExit: typeof process.exit = process.exit;

/** Imports every config file, collecting a problem for each that fails instead of stopping at the first. */
const isRepositoryFile = (path: string) =>
  !path.startsWith("..") && !path.startsWith("/") && !path.startsWith("<") && !path.startsWith("gitops-host:") && !path.split("/").includes("node_modules");

export async function load(root: string, options: LoadOptions = {}): Promise<Loaded> {
  // Counted, so that overlapping loads (tests, long-lived processes) restore the real process.exit exactly once.
  if (loading++ === 0) {
    realExit = process.exit;
    process.exit = ((code?: number | string | null) => {
      throw new ConfigExit(`called process.exit(${code ?? ""})`);
    }) as typeof process.exit;
  }
  try {
    return await loadFiles(root, options);
  } finally {
    if (--loading === 0) process.exit = realExit;
  }
}

async function loadFiles(root: string, options: LoadOptions): Promise<Loaded> {
  const detector = stallDetector();
  try {
    return await loadAll(root, detector.stalled, options);
  } finally {
    detector.stop();
  }
}

async function loadAll(root: string, stalled: () => Promise<typeof STALLED>, { reuse, hashOf, regular, listed }: LoadOptions): Promise<Loaded> {
  const files = discover(root, listed);
  const problems: Problem[] = [];
  const all = [files.estate, ...files.environments, ...files.services];
  const linked = symlinked(root, regular ? all.filter((f) => !regular.has(f)) : all, problems);
  // Values whose every input is unchanged are reused; only the rest are bundled and evaluated.
  const reused = new Map<string, Evaluated>();
  if (reuse && hashOf)
    for (const file of all) {
      const entry = reuse.get(file);
      if (entry && !linked.has(file) && entry.inputs.every(([path, hash]) => hashOf(path) === hash)) reused.set(file, entry);
    }
  const bundled = await loadBundled(root, all.filter((f) => !linked.has(f) && !reused.has(f)), stalled);
  const evaluated = new Map<string, Evaluated>();
  const read = async (file: string): Promise<SourceFile | undefined> => {
    if (linked.has(file)) return undefined;
    const earlier = reused.get(file);
    if (earlier) {
      evaluated.set(file, earlier);
      return { file, value: earlier.value, ...(earlier.parsed !== undefined ? { parsed: earlier.parsed } : {}) };
    }
    // Boxed: an async function returning the export itself would look for its `then` (a proxy may throw there,
    // a promise would be awaited).
    const box = bundled ? { value: bundled.values.get(file) } : await importFile(file);
    if (box === undefined) return undefined;
    // Read the export into plain data now, while process.exit is guarded: a getter runs here, once, or never.
    const data = plain(file, box.value);
    problems.push(...data.problems);
    if (data.problems.length > 0) return undefined;
    if (bundled && hashOf) {
      const inputs = bundled.reads(file).map((path) => [path, hashOf(path)] as const);
      if (inputs.every((i): i is readonly [string, string] => i[1] !== undefined)) evaluated.set(file, { inputs, value: data.value });
    }
    return { file, value: data.value };
  };
  const importFile = async (file: string): Promise<{ value: unknown } | undefined> => {
    const path = join(root, file);
    if (!existsSync(path)) {
      problems.push(problem(file, [], "is missing — create it (see the README's configuration reference)"));
      return undefined;
    }
    try {
      await importsTypeScript();
      // The content hash in the URL makes a long-lived process (promote, tests) see edits: ESM caches by URL.
      const version = createHash("sha1").update(readFileSync(path)).digest("hex").slice(0, 12);
      const loaded = await Promise.race([import(`${pathToFileURL(path).href}?content=${version}`), stalled()]);
      if (loaded === STALLED) {
        problems.push(problem(file, [], "never finished loading: a top-level await in it never settles — a config file only exports its definition; remove the await or make sure it settles"));
        return undefined;
      }
      const mod = esModule(loaded as { default?: unknown });
      if (mod.default === undefined) {
        problems.push(problem(file, [], "has no default export — export the definition with `export default define…({ … })`"));
        return undefined;
      }
      return { value: mod.default };
    } catch (error) {
      if (error instanceof ConfigExit) problems.push(problem(file, [], `${error.message} while loading — a config file only exports its definition; remove the call`));
      else problems.push(problem(file, [], `could not be loaded: ${loadError(root, error)} — fix the file so that it runs (pnpm typecheck shows type errors)`));
      return undefined;
    }
  };
  const estate = await read(files.estate);
  const environments = (await Promise.all(files.environments.map(read))).filter((s): s is SourceFile => !!s);
  const services = (await Promise.all(files.services.map(read))).filter((s): s is SourceFile => !!s);
  if (files.environments.length === 0) problems.push(problem("environments", [], "holds no environment files — add one, e.g. environments/dev.ts"));
  const loaded = new Set([...environments, ...services].map((s) => s.file));
  const unloaded = [...files.environments, ...files.services].filter((f) => !loaded.has(f));
  // A broken estate.ts still lets every other file be checked: its problem is reported, and it counts as unloaded.
  const inputs = bundled && linked.size === 0 ? [...new Set([...bundled.inputs, ...[...reused.values()].flatMap((e) => e.inputs.map(([path]) => path))])].sort() : undefined;
  return {
    sources: { estate: estate ?? { file: files.estate, value: undefined }, environments, services, unloaded: estate ? unloaded : [files.estate, ...unloaded] },
    problems,
    ...(inputs ? { inputs } : {}),
    ...(hashOf ? { evaluated } : {}),
  };
}

/**
 * Config files reached through a symbolic link (the file, or its service folder) are never executed: a link is easy
 * to miss in review, and could make the generator run something from generated/ or outside the repository.
 */
function symlinked(root: string, files: readonly string[], problems: Problem[]): Set<string> {
  const out = new Set<string>();
  let realRoot: string;
  try {
    // The native realpath: one system call per file, where the JavaScript one stats every component (0.1 s at S=2000).
    realRoot = realpathSync.native(root);
  } catch {
    return out;
  }
  for (const file of files) {
    let real: string;
    try {
      real = realpathSync.native(join(root, file));
    } catch {
      continue; // missing or unreadable: reported when it is loaded
    }
    if (real === join(realRoot, file)) continue;
    out.add(file);
    problems.push(problem(file, [], `is a symbolic link (to ${relative(realRoot, real)}), and config is only read from files that are really in environments/ or services/<name>/ — replace the link with the file itself`));
  }
  return out;
}

/**
 * One line saying why a file failed to load, with repository-relative paths: the first line of the error, plus
 * the next when the first only introduces it (esbuild's "Transform failed with 1 error:" then the location and
 * reason). Config code may throw anything — a string, null, an object without a prototype, one whose `message`
 * getter throws — so the text is read defensively, escaped and shortened.
 */
function loadError(root: string, error: unknown): string {
  let raw: string;
  try {
    raw =
      error instanceof Error ? String(error.message)
      : typeof error === "object" && error !== null && "message" in error && typeof error.message === "string" ? error.message
      : typeof error === "string" ? error
      : errorText(error);
  } catch {
    raw = errorText(error);
  }
  const rootPrefix = (prefix: string) => (prefix.endsWith("/") ? prefix : `${prefix}/`);
  const relative = raw
    .replaceAll(rootPrefix(pathToFileURL(root).href), "")
    .replaceAll(rootPrefix(root), "")
    .replace(/\?content=[0-9a-f]+/g, "");
  const lines = relative.split("\n").map((l) => l.trim()).filter(Boolean);
  const first = lines[0] ?? "unknown error";
  const line = first.endsWith(":") && lines[1] ? `${first} ${lines[1]}` : first;
  // One line, escaped, bounded; " — " separates what is wrong from the fix in a problem, so none in the error.
  return errorText(line, 300);
}
