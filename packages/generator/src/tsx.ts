/**
 * TypeScript at run time. From source (tsx, vitest) every module is TypeScript already; the CLI's bundle
 * (packages/cli/bin/gitops.mjs) is plain JavaScript, and registers tsx only where it must import TypeScript itself:
 * a config file loaded on its own (load.ts), and nowhere else (its render worker is bundled too).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

declare const GITOPS_BUNDLED_WORKER: string | undefined;

/** The bundled render worker's URL when this code runs from the CLI's bundle, else undefined. */
export const bundledWorker: string | undefined = typeof GITOPS_BUNDLED_WORKER === "string" ? GITOPS_BUNDLED_WORKER : undefined;

/**
 * The URL of tsx's ESM API (`tsx/esm/api`, or `cjs`: its require hooks, for config in a package that is not
 * "type": "module"), import condition, as this package resolves it (import.meta.resolve is missing under vitest).
 */
export function tsxApi(kind: "esm" | "cjs" = "esm"): string {
  const manifest = createRequire(import.meta.url).resolve("tsx/package.json");
  const exports = (JSON.parse(readFileSync(manifest, "utf8")) as { exports: Record<string, { import: { default: string } }> }).exports;
  return pathToFileURL(join(dirname(manifest), exports[`./${kind}/api`]!.import.default)).href;
}

let registered: Promise<void> | undefined;
/**
 * Makes `import()` of a .ts file work in this thread, as `node --import tsx` does (ESM and require hooks): registers
 * tsx once when running from the bundle; from source, nothing to do.
 */
export function importsTypeScript(): Promise<void> {
  if (bundledWorker === undefined) return Promise.resolve();
  const register = (kind: "esm" | "cjs") => import(tsxApi(kind)).then((m: { register(): unknown }) => void m.register());
  return (registered ??= Promise.all([register("esm"), register("cjs")]).then(() => undefined));
}
