/**
 * Finds and executes the authored TypeScript config. Config is code: it runs with the generator's rights,
 * which is why only environments/ and services/ are ever imported, never anything under generated/.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { problem, type Problem, type SourceFile, type Sources } from "@gitops/model";

export const ESTATE_FILE = "environments/estate.ts";

export interface Loaded {
  readonly sources: Sources | undefined;
  readonly problems: Problem[];
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
async function loadBundled(root: string, files: readonly string[]): Promise<Map<string, unknown> | undefined> {
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
    });
    const code = result.outputFiles[0]!.text;
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as Record<string, unknown>;
    const out = new Map<string, unknown>();
    for (const [i, f] of files.entries()) {
      if (mod[`m${i}`] === undefined) return undefined;
      out.set(f, mod[`m${i}`]);
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Imports every config file, collecting a problem for each that fails instead of stopping at the first. */
export async function load(root: string): Promise<Loaded> {
  const files = discover(root);
  const problems: Problem[] = [];
  const bundled = await loadBundled(root, [files.estate, ...files.environments, ...files.services]);
  const read = async (file: string): Promise<SourceFile | undefined> => {
    if (bundled) return { file, value: bundled.get(file) };
    const path = join(root, file);
    if (!existsSync(path)) {
      problems.push(problem(file, [], "is missing — create it (see the README's configuration reference)"));
      return undefined;
    }
    try {
      // The content hash in the URL makes a long-lived process (promote, tests) see edits: ESM caches by URL.
      const version = createHash("sha1").update(readFileSync(path)).digest("hex").slice(0, 12);
      const mod = (await import(`${pathToFileURL(path).href}?content=${version}`)) as { default?: unknown };
      if (mod.default === undefined) {
        problems.push(problem(file, [], "has no default export — export the definition with `export default define…({ … })`"));
        return undefined;
      }
      return { file, value: mod.default };
    } catch (error) {
      problems.push(problem(file, [], `could not be loaded: ${loadError(root, error)} — fix the file so that it runs (pnpm typecheck shows type errors)`));
      return undefined;
    }
  };
  const estate = await read(files.estate);
  const environments = (await Promise.all(files.environments.map(read))).filter((s): s is SourceFile => !!s);
  const services = (await Promise.all(files.services.map(read))).filter((s): s is SourceFile => !!s);
  if (files.environments.length === 0) problems.push(problem("environments", [], "holds no environment files — add one, e.g. environments/dev.ts"));
  const loaded = new Set([...environments, ...services].map((s) => s.file));
  const unloaded = [...files.environments, ...files.services].filter((f) => !loaded.has(f));
  return { sources: estate ? { estate, environments, services, unloaded } : undefined, problems };
}

/**
 * One line saying why a file failed to load, with repository-relative paths: the first line of the error, plus
 * the next when the first only introduces it (esbuild's "Transform failed with 1 error:" then the location and
 * reason). Loaders may throw non-Error objects that still carry a message.
 */
function loadError(root: string, error: unknown): string {
  const raw =
    error instanceof Error ? error.message
    : typeof error === "object" && error !== null && "message" in error ? String(error.message)
    : String(error);
  const rootPrefix = (prefix: string) => (prefix.endsWith("/") ? prefix : `${prefix}/`);
  const relative = raw
    .replaceAll(rootPrefix(pathToFileURL(root).href), "")
    .replaceAll(rootPrefix(root), "")
    .replace(/\?content=[0-9a-f]+/g, "");
  const lines = relative.split("\n").map((l) => l.trim()).filter(Boolean);
  const first = lines[0] ?? "unknown error";
  const line = first.endsWith(":") && lines[1] ? `${first} ${lines[1]}` : first;
  // " — " separates what is wrong from the fix in a problem; keep it out of the quoted error.
  return line.replaceAll(" — ", " - ");
}
