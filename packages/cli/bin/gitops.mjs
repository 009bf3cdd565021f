#!/usr/bin/env -S node --single-threaded-gc
/**
 * The `gitops` command (pnpm gitops, pnpm generate, pnpm check). It runs the CLI (packages/cli/src/bin.ts) from a
 * bundle of the workspace's TypeScript that esbuild builds once per state of the sources, in
 * node_modules/.cache/gitops-cli/<key>/: plain Node loads the bundle in ~0.1 s, where tsx's loader hooks take ~0.5 s
 * for the same modules, in every process and again in every render worker.
 *
 * The key covers every file under packages/<name>/src, each package.json, the lockfile, the installed
 * node_modules (pnpm's .modules.yaml), the Node version and this file: an edit to any source is a new bundle, never
 * a stale one. Packages are bundled but esbuild, tsx and typescript, which are loaded from node_modules as they
 * are. Each source's `import.meta.url` and `import.meta.dirname` are its own file's (templates, the code
 * fingerprint and tsx resolve from there), so bundled and source runs behave alike.
 *
 * package.json's scripts (and this file's shebang) run it with V8's --single-threaded-gc: a full generate renders on
 * every core (renderer.ts), and the collector's helper threads only competed with the renderers for them (2 cores:
 * 5 % faster and 5 % less CPU; no-op, one-service and check unchanged or faster). V8 takes the flag only at start.
 *
 * Source maps are linked but not read by default: reading them costs ~0.1 s in every process, for stack traces only
 * a bug in the generator prints (input errors name the file and field). NODE_OPTIONS=--enable-source-maps maps
 * them to the sources.
 *
 * GITOPS_FROM_SOURCE=1 runs the sources through tsx instead, as does any failure to build the bundle (a syntax
 * error mid-edit: tsx then reports it where it is), which is said on stderr.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * `check` holds a whole build in memory (1.4 GB at S=2000) and spent a third of its time collecting garbage: what
 * it keeps for a while outlives V8's default 16 MB semi-space, is promoted, and dies in the old generation, which
 * only a full collection frees. With 64 MB it dies young: 29.7 s → 24.9–27.4 s at S=2000, peak RSS within 10 %.
 * V8 takes the flag only at start, so `check` runs again in a child that has it (a process start, ~0.05 s); other
 * commands keep the default (a full generate measured no gain and 200 MiB more, a one-service change a loss).
 */
const CHECK_HEAP = "--max-semi-space-size=64";
if (process.argv[2] === "check" && !process.execArgv.some((a) => a.startsWith("--max-semi-space-size"))) {
  const child = spawnSync(process.execPath, [...process.execArgv, CHECK_HEAP, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  if (child.error) throw child.error;
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const CACHE = join(REPO, "node_modules/.cache/gitops-cli");
/** Loaded from node_modules, not bundled: a binary's driver, a loader, and a compiler too big to bundle for one command. */
const EXTERNAL = /^(esbuild|tsx|typescript)(\/|$)/;

/** Files of `dir` (repository-relative), recursively, sorted. */
function filesUnder(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(join(REPO, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory()) filesUnder(`${dir}/${e.name}`, out);
    else out.push(`${dir}/${e.name}`);
  }
  return out;
}

/** The bundle's key: a hash of everything that decides what it holds. */
function key() {
  const h = createHash("sha1").update(`${process.version}\0`).update(readFileSync(fileURLToPath(import.meta.url)));
  const paths = [];
  for (const pkg of readdirSync(join(REPO, "packages")).sort()) paths.push(...filesUnder(`packages/${pkg}/src`), `packages/${pkg}/package.json`);
  paths.push("package.json", "pnpm-lock.yaml", "node_modules/.modules.yaml");
  for (const path of paths) {
    let content;
    try {
      content = readFileSync(join(REPO, path));
    } catch {
      content = "\0missing";
    }
    h.update(`\0${path}\0`).update(createHash("sha1").update(content).digest("hex"));
  }
  return h.digest("hex").slice(0, 20);
}

/** Builds the bundle into `out`: written beside it, then renamed into place (a concurrent build's result is as good). */
async function build(out) {
  const esbuild = createRequire(join(REPO, "packages/generator/package.json"))("esbuild");
  const tmp = `${out}.${process.pid}.tmp`;
  const sources = join(REPO, "packages") + "/";
  const ownMeta = {
    name: "import.meta of each source",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(sources) || args.path.includes("/node_modules/")) return undefined;
        const text = readFileSync(args.path, "utf8")
          .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)))
          .replaceAll("import.meta.filename", JSON.stringify(args.path));
        return { contents: text, loader: "ts" };
      });
    },
  };
  const external = {
    name: "external packages by path",
    setup(b) {
      b.onResolve({ filter: EXTERNAL }, async (args) => {
        if (args.pluginData === "external") return undefined;
        const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: "external" });
        return found.errors.length > 0 ? { errors: found.errors } : { path: found.path, external: true };
      });
    },
  };
  rmSync(tmp, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: { bin: join(REPO, "packages/cli/src/bin.ts"), "render-worker": join(REPO, "packages/generator/src/render-worker.ts") },
    outdir: tmp,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "linked",
    logLevel: "silent",
    legalComments: "none",
    // The worker renderer.ts starts, as this bundle's (renderer.ts runs it without tsx).
    define: { GITOPS_BUNDLED_WORKER: JSON.stringify(pathToFileURL(join(out, "render-worker.mjs")).href) },
    // Bundled CommonJS packages require Node's built-in modules.
    banner: { js: 'import { createRequire as __gitopsRequire } from "node:module"; const require = __gitopsRequire(import.meta.url);' },
    plugins: [ownMeta, external],
  });
  try {
    renameSync(tmp, out);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another run built it first
  }
  // Bundles of older sources, unused for an hour (a run still using one has long loaded it).
  for (const name of readdirSync(CACHE))
    if (join(CACHE, name) !== out && Date.now() - statSync(join(CACHE, name)).mtimeMs > 3_600_000) rmSync(join(CACHE, name), { recursive: true, force: true });
}

/** The sources through tsx, its ESM and require hooks both, as `node --import tsx` registers them. */
async function fromSource() {
  const manifest = createRequire(join(REPO, "package.json")).resolve("tsx/package.json");
  const { exports } = JSON.parse(readFileSync(manifest, "utf8"));
  for (const kind of ["esm", "cjs"]) (await import(pathToFileURL(join(dirname(manifest), exports[`./${kind}/api`].import.default)).href)).register();
  await import(pathToFileURL(join(REPO, "packages/cli/src/bin.ts")).href);
}

let bundle;
if (!process.env.GITOPS_FROM_SOURCE) {
  const out = join(CACHE, key());
  try {
    statSync(join(out, "bin.mjs"));
    bundle = out;
  } catch {
    try {
      await build(out);
      bundle = out;
    } catch (error) {
      // Said, not hidden: a run from source takes ~0.5 s longer, and each render worker as much again.
      const first = error?.errors?.[0];
      const why = first ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ""}${first.text}` : String(error?.message ?? error).split("\n")[0];
      process.stderr.write(`gitops: the sources could not be bundled (${why}); running them through tsx instead\n`);
      bundle = undefined;
    }
  }
}
if (bundle) await import(pathToFileURL(join(bundle, "bin.mjs")).href);
else await fromSource();
