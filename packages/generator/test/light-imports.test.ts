/**
 * What each path of `generate` loads before it runs a line: the static import graph from an entry module, as
 * esbuild resolves it (dynamic imports are where a path chooses to pay for more). A no-op run must load none of the
 * config, model or rendering stack, and no run of generate (nor a render worker) the ArgoCD schemas that only
 * checking needs (`@gitops/argocd/checking`). One stray value import puts a megabyte of modules back on every run.
 */
import { build } from "esbuild";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../../..");

/** The packages (node_modules) and workspace sources an entry loads statically, by esbuild's metafile. */
async function staticGraph(entry: string): Promise<{ packages: Set<string>; sources: Set<string> }> {
  const result = await build({
    entryPoints: [join(REPO, entry)],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "node",
    outdir: join(REPO, "node_modules/.cache/light-imports"),
    logLevel: "silent",
    external: ["esbuild", "tsx", "typescript"],
  });
  const inputs = result.metafile.inputs;
  const start = Object.keys(inputs).find((path) => resolve(REPO, path) === join(REPO, entry))!;
  const seen = new Set([start]);
  for (const path of seen) for (const i of inputs[path]?.imports ?? []) if (i.kind === "import-statement" && !i.external) seen.add(i.path);
  const packages = new Set<string>();
  const sources = new Set<string>();
  for (const path of seen) {
    const dep = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path);
    if (dep) packages.add(dep[1]!);
    else sources.add(path.replace(/^.*?packages\//, "packages/"));
  }
  return { packages, sources };
}

describe("what each path of generate loads", () => {
  it("the command and its no-op path: no package at all, and none of model, argocd, bases, platform or docs", async () => {
    for (const entry of ["packages/cli/src/commands/generate.ts", "packages/generator/src/incremental.ts"]) {
      const { packages, sources } = await staticGraph(entry);
      expect([...packages], entry).toEqual([]);
      expect([...sources].filter((s) => !s.startsWith("packages/generator/") && !s.startsWith("packages/cli/")), entry).toEqual([]);
    }
  });

  it("rendering, in this thread and in a worker: never the ArgoCD schemas or ajv", async () => {
    for (const entry of ["packages/generator/src/render.ts", "packages/generator/src/renderer.ts", "packages/generator/src/render-worker.ts", "packages/generator/src/runbooks.ts"]) {
      const { packages, sources } = await staticGraph(entry);
      expect(packages.has("@kubernetes-models/argo-cd"), entry).toBe(false);
      expect(packages.has("ajv"), entry).toBe(false);
      expect(sources.has("packages/argocd/src/validate.ts"), entry).toBe(false);
      expect(sources.has("packages/argocd/src/checks.ts"), entry).toBe(false);
    }
  });

  it("checking still has them: the guard above would pass vacuously if the graph were empty", async () => {
    const { packages, sources } = await staticGraph("packages/argocd/src/checking.ts");
    expect(packages.has("@kubernetes-models/argo-cd")).toBe(true);
    expect(sources.has("packages/argocd/src/validate.ts")).toBe(true);
    const render = await staticGraph("packages/generator/src/render.ts");
    expect(render.packages.has("cdk8s")).toBe(true);
  });
});
