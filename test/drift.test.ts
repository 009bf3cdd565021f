/**
 * The generator owns generated/: `generate --check` (what CI runs) exits 3 and names every file that differs
 * from what the sources produce, writing nothing; `generate` prunes what no source produces and reports what it
 * did. Each case runs the real CLI in its own temp root, so the cases run concurrently.
 */
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import { build, generate, readTree } from "../packages/generator/src/index.ts";
import { estate, gitops, outputs, type Run } from "./support/estate.ts";

/** A generated estate (the minimal fixture), made in-process; the CLI is what is under test. */
async function generated(): Promise<string> {
  const root = estate("minimal");
  const result = await generate(root);
  if (result.kind !== "ok") throw new Error(`could not generate: ${result.kind}`);
  return root;
}

/** What the summary line should count: the objects built, the files under generated/. */
async function objectCount(root: string): Promise<number> {
  const result = await build(root);
  if (!result.ok) throw new Error("invalid");
  return result.build.objects.length;
}
const fileCount = (root: string) => readTree(join(root, "generated")).size;

/** The lines of a --check report that name a file. */
const named = (run: Run) => run.stdout.split("\n").filter((l) => /^ {2}(added|changed|removed) /.test(l));

describe.concurrent("generate --check", () => {
  it("exits 3 and names an edited generated file, and an edited CODEOWNERS, writing nothing", async ({ expect }) => {
    const root = await generated();
    appendFileSync(join(root, "generated/nonprod/dev/api/configmap.yaml"), "  EXTRA: edited-by-hand\n");
    appendFileSync(join(root, ".github/CODEOWNERS"), "/services/ @someone\n");
    const before = outputs(root);
    const run = await gitops(root, ["generate", "--check"]);
    expect(run.code).toBe(3);
    expect(named(run)).toEqual(["  changed  generated/nonprod/dev/api/configmap.yaml", "  changed  .github/CODEOWNERS"]);
    expect(run.stdout).toContain("generated/ is stale: 0 to add, 1 to change, 0 to remove. Run `pnpm generate` and commit the result.");
    expect(outputs(root)).toEqual(before);
  });

  it("exits 3 and names a deleted generated file", async ({ expect }) => {
    const root = await generated();
    rmSync(join(root, "generated/prod/prod/worker/rollout.yaml"));
    const run = await gitops(root, ["generate", "--check"]);
    expect(run.code).toBe(3);
    expect(named(run)).toEqual(["  added    generated/prod/prod/worker/rollout.yaml"]);
    expect(existsSync(join(root, "generated/prod/prod/worker/rollout.yaml"))).toBe(false);
  });

  it("exits 3 and names a stray file under generated/ as removed", async ({ expect }) => {
    const root = await generated();
    writeFileSync(join(root, "generated/nonprod/dev/api/stray.yaml"), "kind: ConfigMap\n");
    const run = await gitops(root, ["generate", "--check"]);
    expect(run.code).toBe(3);
    expect(named(run)).toEqual(["  removed  generated/nonprod/dev/api/stray.yaml"]);
    expect(existsSync(join(root, "generated/nonprod/dev/api/stray.yaml"))).toBe(true);
  });

  it("exits 0 on a clean tree", async ({ expect }) => {
    const root = await generated();
    const run = await gitops(root, ["generate", "--check"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^generated\/ is current: 3 environments, 3 services, \d+ objects; files 0 written, \d+ unchanged, 0 removed; \d+\.\d\ds\n$/);
    expect(run.stdout).toContain(`, ${await objectCount(root)} objects; files 0 written, ${fileCount(root)} unchanged,`);
  });
});

describe("generate", () => {
  it("prunes stray files and folders, then a no-op run writes nothing", async ({ expect }) => {
    const root = await generated();
    const clean = outputs(root);
    writeFileSync(join(root, "generated/nonprod/dev/api/stray.yaml"), "kind: ConfigMap\n");
    mkdirSync(join(root, "generated/retired/dev/old-service"), { recursive: true });
    writeFileSync(join(root, "generated/retired/dev/old-service/deployment.yaml"), "kind: Deployment\n");

    const prune = await gitops(root, ["generate"]);
    expect(prune.code).toBe(0);
    // Stray files cost no render: every deployment and runbook is reused from the cache.
    expect(prune.stdout).toMatch(/^generated: 3 environments, 3 services, \d+ objects; files 0 written, \d+ unchanged, 2 removed; rendered 0\/\d+ deployments, 0\/3 runbooks; \d+\.\d\ds\n$/);
    expect(prune.stdout).toContain(`, ${await objectCount(root)} objects; files 0 written, ${fileCount(root)} unchanged, 2 removed;`);
    expect(existsSync(join(root, "generated/retired"))).toBe(false);
    expect(outputs(root)).toEqual(clean);

    const noop = await gitops(root, ["generate"]);
    expect(noop.code).toBe(0);
    expect(noop.stdout).toContain(`files 0 written, ${fileCount(root)} unchanged, 0 removed;`);
    expect(noop.stdout).not.toContain("rendered"); // a no-op loads no config at all
    expect(outputs(root)).toEqual(clean);
  });

  it("refuses a GITOPS_WORKERS that is not a count as usage (exit 64), touching nothing", async ({ expect }) => {
    const root = estate("minimal");
    const run = await gitops(root, ["generate"], { GITOPS_WORKERS: "lots" });
    expect(run.code).toBe(64);
    expect(run.stdout).toBe('GITOPS_WORKERS must be a whole number from 0 to 999 (worker threads besides the main one; 0 renders in the main thread only), not "lots" — set it to e.g. 1, or unset it for one per other core\n');
    expect(existsSync(join(root, "generated"))).toBe(false);
  });
});
