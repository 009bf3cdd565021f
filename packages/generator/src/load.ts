/**
 * Finds and executes the authored TypeScript config. Config is code: it runs with the generator's rights,
 * which is why only environments/ and services/ are ever imported, never anything under generated/.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { errorText, plain, problem, type Problem, type SourceFile, type Sources } from "@gitops/model";

export const ESTATE_FILE = "environments/estate.ts";

export interface Loaded {
  readonly sources: Sources | undefined;
  readonly problems: Problem[];
  /**
   * Every file the config bundle read (esbuild's metafile, paths relative to the root), when all config was loaded
   * as one bundle; absent when it was imported file by file. `generate` fingerprints these to skip no-op runs.
   */
  readonly inputs?: readonly string[];
}

/** Lists the config files under `root`, sorted, as repository-relative paths. */
export function discover(root: string): { estate: string; environments: string[]; services: string[] } {
  const ts = (dir: string) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).sort() : []);
  const environments = ts("environments")
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && `environments/${f}` !== ESTATE_FILE)
    .map((f) => `environments/${f}`);
  const services = ts("services")
    .filter((d) => existsSync(join(root, "services", d, "service.ts")))
    .map((d) => `services/${d}/service.ts`);
  return { estate: ESTATE_FILE, environments, services };
}

/**
 * The fast path: every config file bundled by esbuild into one module and evaluated once (thousands of separate
 * TypeScript imports cost ~8 ms each through the loader hooks). Any failure — a syntax error, a throwing module,
 * a missing default export — returns undefined, and `load` falls back to importing file by file, which names
 * the file that failed.
 */
async function loadBundled(root: string, files: readonly string[], stalled: () => Promise<typeof STALLED>): Promise<{ values: Map<string, unknown>; inputs: string[] } | undefined> {
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
    return { values: out, inputs: Object.keys(result.metafile.inputs).filter((p) => p !== "gitops-config.ts" && !p.startsWith("<")) };
  } catch {
    return undefined;
  }
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
export async function load(root: string): Promise<Loaded> {
  // Counted, so that overlapping loads (tests, long-lived processes) restore the real process.exit exactly once.
  if (loading++ === 0) {
    realExit = process.exit;
    process.exit = ((code?: number | string | null) => {
      throw new ConfigExit(`called process.exit(${code ?? ""})`);
    }) as typeof process.exit;
  }
  try {
    return await loadFiles(root);
  } finally {
    if (--loading === 0) process.exit = realExit;
  }
}

async function loadFiles(root: string): Promise<Loaded> {
  const detector = stallDetector();
  try {
    return await loadAll(root, detector.stalled);
  } finally {
    detector.stop();
  }
}

async function loadAll(root: string, stalled: () => Promise<typeof STALLED>): Promise<Loaded> {
  const files = discover(root);
  const problems: Problem[] = [];
  const linked = symlinked(root, [files.estate, ...files.environments, ...files.services], problems);
  const bundled = await loadBundled(root, [files.estate, ...files.environments, ...files.services].filter((f) => !linked.has(f)), stalled);
  const read = async (file: string): Promise<SourceFile | undefined> => {
    if (linked.has(file)) return undefined;
    // Boxed: an async function returning the export itself would look for its `then` (a proxy may throw there,
    // a promise would be awaited).
    const box = bundled ? { value: bundled.values.get(file) } : await importFile(file);
    if (box === undefined) return undefined;
    // Read the export into plain data now, while process.exit is guarded: a getter runs here, once, or never.
    const data = plain(file, box.value);
    problems.push(...data.problems);
    return data.problems.length > 0 ? undefined : { file, value: data.value };
  };
  const importFile = async (file: string): Promise<{ value: unknown } | undefined> => {
    const path = join(root, file);
    if (!existsSync(path)) {
      problems.push(problem(file, [], "is missing — create it (see the README's configuration reference)"));
      return undefined;
    }
    try {
      // The content hash in the URL makes a long-lived process (promote, tests) see edits: ESM caches by URL.
      const version = createHash("sha1").update(readFileSync(path)).digest("hex").slice(0, 12);
      const loaded = await Promise.race([import(`${pathToFileURL(path).href}?content=${version}`), stalled()]);
      if (loaded === STALLED) {
        problems.push(problem(file, [], "never finished loading: a top-level await in it never settles — a config file only exports its definition; remove the await or make sure it settles"));
        return undefined;
      }
      const mod = loaded as { default?: unknown };
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
  return {
    sources: { estate: estate ?? { file: files.estate, value: undefined }, environments, services, unloaded: estate ? unloaded : [files.estate, ...unloaded] },
    problems,
    ...(bundled && linked.size === 0 ? { inputs: bundled.inputs } : {}),
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
    realRoot = realpathSync(root);
  } catch {
    return out;
  }
  for (const file of files) {
    let real: string;
    try {
      real = realpathSync(join(root, file));
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
