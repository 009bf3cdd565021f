/**
 * Rendering on worker threads (renderer.ts) must not change a byte: the same estate generated in this thread and on
 * workers, through each way a tree gets written (built from nothing, written as it renders; rebuilt over an existing
 * tree, written at the swap; patched in place), is exactly what a full build writes. And what the cache keys
 * stand on must be stable from run to run, so an edit re-renders only what it changed.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { makeEstate, REPO, serviceSource } from "../../../scripts/lib/estate.ts";
import { build, generate, type GenerateSummary } from "../src/generate.ts";
import { CACHE_DIR } from "../src/cache.ts";
import { latestNs, latestOf } from "../src/snapshot.ts";
import { readTree } from "../src/tree.ts";
import { resolve } from "@gitops/model";
import { load } from "../src/load.ts";
import { folderOf } from "../src/render.ts";
import { localRenderer, openRenderer, workerCount } from "../src/renderer.ts";

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const saved = process.env.GITOPS_WORKERS;
afterEach(() => (saved === undefined ? delete process.env.GITOPS_WORKERS : (process.env.GITOPS_WORKERS = saved)));

const S = 24;
function estate(): string {
  const root = makeEstate(tmpdir(), S);
  made.push(root);
  return root;
}

async function run(root: string, workers: number): Promise<GenerateSummary> {
  process.env.GITOPS_WORKERS = String(workers);
  const result = await generate(root);
  if (result.kind !== "ok") throw new Error(`generate: ${result.kind}`);
  return result.summary;
}

async function expectExact(root: string) {
  const result = await build(root);
  if (!result.ok) throw new Error(`does not build: ${JSON.stringify(result.problems.slice(0, 2))}`);
  const onDisk = readTree(join(root, "generated"));
  expect([...onDisk.keys()]).toEqual([...result.build.files.keys()]);
  for (const [path, content] of result.build.files) expect(onDisk.get(path), path).toBe(content);
}

const bump = (root: string, i: number, version: string) => writeFileSync(join(root, "services", `svc-${String(i).padStart(5, "0")}`, "service.ts"), serviceSource(i, S, version));

describe("rendering on worker threads", () => {
  it("writes exactly what a full build writes: from nothing, rebuilt over an existing tree, and patched", { timeout: 120_000 }, async () => {
    const root = estate();
    const fresh = await run(root, 2);
    expect(fresh.rendered).toMatchObject({ workers: 2, runbooks: S, runbooksOf: S });
    expect(fresh.rendered!.deployments).toBe(fresh.rendered!.of);
    await expectExact(root);

    // No cache (a fresh clone): everything is rendered again on the workers, and only what differs is written.
    bump(root, 1, "9.9.9");
    rmSync(join(root, CACHE_DIR), { recursive: true, force: true });
    const cold = await run(root, 2);
    expect(cold.rendered!.deployments).toBe(cold.rendered!.of);
    expect(cold.diff.changed.length).toBeGreaterThan(0);
    expect(cold.diff.added).toEqual([]);
    await expectExact(root);

    // Most of the tree gone by hand: rebuilt beside it, the re-rendered files written by the workers at the swap and
    // the rest linked from generated/.
    rmSync(join(root, "generated/nonprod"), { recursive: true });
    const rebuilt = await run(root, 2);
    expect(rebuilt.diff.added.length).toBeGreaterThan(rebuilt.diff.unchanged);
    expect(rebuilt.rendered!.deployments).toBe(3 * S); // dev, staging and the preview of every service: prod is reused
    await expectExact(root);

    // Warm, twice, each a patch: only the edited service is rendered.
    for (const version of ["9.9.10", "9.9.11"]) {
      bump(root, 1, version);
      const warm = await run(root, 2);
      // svc-00001 runs in staging and prod at this version (dev pins its own): two deployments, one runbook.
      expect(warm.rendered).toMatchObject({ deployments: 2, runbooks: 1, workers: 2 });
      await expectExact(root);
    }

    // A runbook lost while none of its deployments changed: rendered apart, its deployments rendered again for it.
    rmSync(join(root, "generated/runbooks/svc-00003.md"));
    rmSync(join(root, "generated/runbooks/svc-00004.md"));
    const apart = await run(root, 1);
    expect(apart.rendered).toMatchObject({ deployments: 0, runbooks: 2 });
    expect(apart.diff.added).toEqual(["runbooks/svc-00003.md", "runbooks/svc-00004.md"]);
    await expectExact(root);
  });

  it("writes the same bytes on workers as in this thread", { timeout: 120_000 }, async () => {
    const [a, b] = [estate(), estate()];
    await run(a, 0);
    await run(b, 3);
    expect(readTree(join(b, "generated"))).toEqual(readTree(join(a, "generated")));
  });

  it("keys what it renders on data, not on how V8 holds it: a run after a cold one reuses every untouched render", { timeout: 120_000 }, async () => {
    const root = estate();
    await run(root, 2); // cold: keyed after rendering, on the workers' side of the run
    bump(root, 2, "3.0.0");
    const warm = await run(root, 0); // warm: keyed before rendering, in this thread
    expect(warm.rendered).toMatchObject({ deployments: 2, runbooks: 1, workers: 0 });
    await expectExact(root);
  });
});

describe("a worker that cannot start", () => {
  it("leaves this thread to render alone, with the same result", { timeout: 60_000 }, async () => {
    const root = estate();
    const loaded = await load(root);
    const resolution = resolve(loaded.sources!);
    if (!resolution.ok) throw new Error("does not resolve");
    const jobs = resolution.estate.deployments.slice(0, 6).map((deployment) => ({ deployment, preview: false, folder: folderOf(deployment) }));
    const broken = await openRenderer(2, "file:///nonexistent/render-worker.ts");
    const local = await localRenderer();
    try {
      expect(broken.workers).toBe(0);
      expect(await broken.render(jobs)).toEqual(await local.render(jobs));
    } finally {
      await broken.close();
      await local.close();
    }
  });
});

describe("openRenderer", () => {
  it("starts its workers before it first awaits, so that they load while the caller keeps this thread busy", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "gitops-workers-"));
    made.push(dir);
    const mark = join(dir, "started");
    const savedMark = process.env.GITOPS_TEST_WORKER_MARK;
    process.env.GITOPS_TEST_WORKER_MARK = mark;
    try {
      const opening = openRenderer(1, pathToFileURL(join(import.meta.dirname, "fixtures/marking-worker.mjs")).href);
      // This thread does not yield here (as the generate resolving the estate): only a worker already made writes the mark.
      const until = Date.now() + 30_000;
      while (!existsSync(mark) && Date.now() < until);
      expect(existsSync(mark)).toBe(true);
      const renderer = await opening;
      expect(renderer.workers).toBe(1);
      await renderer.close();
    } finally {
      if (savedMark === undefined) delete process.env.GITOPS_TEST_WORKER_MARK;
      else process.env.GITOPS_TEST_WORKER_MARK = savedMark;
    }
  });
});

describe("workerCount", () => {
  it("takes GITOPS_WORKERS as given, and refuses anything but a whole number", () => {
    process.env.GITOPS_WORKERS = "3";
    expect(workerCount(1)).toBe(3);
    process.env.GITOPS_WORKERS = "0";
    expect(workerCount(100_000)).toBe(0);
    for (const bad of ["two", "-1", "1.5", "1e3"]) {
      process.env.GITOPS_WORKERS = bad;
      expect(() => workerCount(1)).toThrow(`GITOPS_WORKERS must be a whole number from 0 to 999 (worker threads besides the main one; 0 renders in the main thread only), not ${JSON.stringify(bad)}`);
    }
  });

  it("renders small runs in this thread", () => {
    delete process.env.GITOPS_WORKERS;
    expect(workerCount(10)).toBe(0);
    expect(workerCount(1199)).toBe(0);
  });
});

describe("latestOf", () => {
  it("is the largest latestNs, whatever the stamps look like", () => {
    const stats = [
      "10\t1796165105.844379914\t1796165114.976379969\t1",
      "10\t1796165199.000000000\t1796165105.000000001\t2",
      "10\t999999999.999999999\t5.5\t3", // fewer seconds digits, a stamp not written by statText
      "10\t1796165199.000000001\t1796165199.000000000\t4",
    ];
    expect(latestOf(stats)).toBe(1796165199000000001n);
    for (let i = 0; i < stats.length; i++) {
      const some = stats.slice(0, i + 1);
      expect(latestOf(some)).toBe(some.map(latestNs).reduce((x, y) => (x > y ? x : y)));
    }
    expect(latestOf([])).toBe(0n);
  });
});

// The repository's own estate through the workers: every kind of object the bases and platform render.
describe("the repository's estate on worker threads", () => {
  it("equals the full build", { timeout: 120_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), "gitops-renderer-repo-"));
    made.push(root);
    for (const dir of ["environments", "services"]) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
    writeFileSync(join(root, "pnpm-workspace.yaml"), readFileSync(join(REPO, "pnpm-workspace.yaml")));
    await run(root, 2);
    await expectExact(root);
  });
});
