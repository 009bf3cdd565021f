/**
 * The incremental generate (incremental.ts, cache.ts, tree.ts) must always leave generated/ exactly as a full,
 * cache-free build would write it: after edits to config, after hand edits to generated/ (including ones that hide
 * behind an unchanged size or a restored mtime, symbolic links), and with a stale,
 * corrupt or missing cache. Timings are the benchmark's business: nothing here is timed.
 */
import { appendFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estate as fixtureEstate } from "../../../test/support/estate.ts";
import { build, generate } from "../src/generate.ts";
import { CACHE_DIR, Entries, hashText, parseManifest, type StateHead } from "../src/cache.ts";
import { readTree } from "../src/tree.ts";
import { snapshot, snapshotSync, statText } from "../src/snapshot.ts";

/** A temp root holding the minimal fixture estate (test/support/estate.ts), removed after the file's last test. */
const estate = () => fixtureEstate("minimal");

/** generated/ and CODEOWNERS exactly as a full build writes them, compared byte for byte. */
async function expectExact(root: string) {
  const result = await build(root);
  if (!result.ok) throw new Error(`does not build: ${JSON.stringify(result.problems.slice(0, 2))}`);
  const onDisk = readTree(join(root, "generated"));
  expect([...onDisk.keys()].sort()).toEqual([...result.build.files.keys()].sort());
  for (const [path, content] of result.build.files) expect(onDisk.get(path), path).toBe(content);
  for (const [path, content] of result.build.rootFiles) expect(readFileSync(join(root, path), "utf8"), path).toBe(content);
  // No scratch folder of either write path is left behind.
  for (const scratch of [".generated.staging", ".generated.previous", ".generated.journal", ".generated.patching"]) expect(existsSync(join(root, scratch)), scratch).toBe(false);
}

/**
 * What the last run recorded describes generated/ exactly: the snapshot's hash, every file's hash and stat in the
 * manifest, and its entries with the estate's files hold every file once (what a later run carries over rests on it).
 */
function expectRecorded(root: string) {
  const dir = join(root, "generated");
  const head = JSON.parse(readFileSync(join(root, CACHE_DIR, "state.json"), "utf8")) as StateHead;
  expect(hashText(snapshotSync(dir)), "snapshot").toBe(head.snapshot.hash);
  const manifest = parseManifest(readFileSync(join(root, CACHE_DIR, head.tree.file), "utf8"));
  const tree = readTree(dir);
  expect([...manifest.keys()]).toEqual([...tree.keys()].sort());
  for (const [path, e] of manifest) {
    expect(e.hash, path).toBe(hashText(readFileSync(join(dir, path))));
    expect(e.stat, path).toBe(statText(lstatSync(join(dir, path), { bigint: true })));
  }
  const entries = new Entries(readFileSync(join(root, CACHE_DIR, head.deployments.file), "utf8"));
  const held: (readonly [string, string])[] = [...head.estate, ...[...entries.keys()].flatMap((key) => entries.get(key)!.files.map(([path, hash]) => [path, hash] as const))];
  expect(held.map(([path]) => path).sort()).toEqual([...tree.keys()].sort());
  for (const [path, hash] of held) expect(hash, path).toBe(manifest.get(path)!.hash);
}

async function run(root: string) {
  const result = await generate(root);
  if (result.kind !== "ok") throw new Error(`generate: ${result.kind}`);
  return result.summary;
}

const edit = (root: string, file: string, from: string | RegExp, to: string) => {
  const path = join(root, file);
  const before = readFileSync(path, "utf8");
  const after = before.replace(from, to);
  expect(after, `${file} must contain ${from}`).not.toBe(before);
  writeFileSync(path, after);
};

/** Inode, mtime and ctime of every generated file: proof that a run rewrote (or relinked) nothing. */
const stamps = (root: string) => {
  const out = new Map<string, string>();
  for (const path of readTree(join(root, "generated")).keys()) {
    const st = statSync(join(root, "generated", path));
    out.set(path, `${st.ino}:${st.mtimeMs}:${st.ctimeMs}`);
  }
  return out;
};

describe("snapshot", () => {
  it("find | sort and the in-process walk write the same text", async () => {
    const root = estate();
    await run(root);
    const dir = join(root, "generated");
    symlinkSync(join(dir, "README.md"), join(dir, "nonprod/link.md"));
    writeFileSync(join(dir, "nonprod/dev/api/z.yaml"), "x");
    const text = snapshotSync(dir);
    expect(await snapshot(dir)).toBe(text);
    expect(text).toMatch(/^l\t\.\/nonprod\/link\.md\t/m);
    expect(text.split("\n").filter(Boolean).length).toBe(readTree(dir).size);
    expect(await snapshot(join(root, "missing"))).toBe("");
    // The walk is split across processes at the first two levels: links, files and odd names at every level.
    symlinkSync(join(dir, "nonprod"), join(dir, "top-link"));
    symlinkSync("/nonexistent", join(dir, "nonprod/dangling"));
    for (const odd of ["-n", "a b", ".hidden"]) mkdirSync(join(dir, odd), { recursive: true }), writeFileSync(join(dir, odd, "-x y"), odd);
    writeFileSync(join(dir, "nonprod/-top"), "x");
    mkdirSync(join(dir, "empty/deeper"), { recursive: true });
    const odd = snapshotSync(dir);
    expect(await snapshot(dir)).toBe(odd);
    expect(odd).toMatch(/^l\t\.\/top-link\t/m);
    expect(odd).toMatch(/^f\t\.\/-n\/-x y\t/m);
    expect(odd).toMatch(/^f\t\.\/\.hidden\/-x y\t/m);
    expect(odd).toMatch(/^f\t\.\/a b\/-x y\t\d+\t\d+\.\d{9}0\t\d+\.\d{9}0\t\d+$/m);
  });
});

describe("incremental generate", () => {
  it("writes what a full build writes, then a no-op run touches nothing", async () => {
    const root = estate();
    const first = await run(root);
    expect(first.written).toBe(true);
    await expectExact(root);
    const before = stamps(root);
    const again = await run(root);
    expect(again.written).toBe(false);
    expect(again.diff.unchanged).toBe(readTree(join(root, "generated")).size);
    expect(again.objects).toBe(first.objects);
    expect(stamps(root)).toEqual(before);
    expect(existsSync(join(root, CACHE_DIR, "state.json"))).toBe(true);
  });

  it("patches a small change in place: every file it does not change keeps its inode, mtime and ctime", async () => {
    const root = estate();
    await run(root);
    const before = stamps(root);
    edit(root, "services/api/service.ts", 'version: "1.0.0"', 'version: "1.0.1"');
    const summary = await run(root);
    await expectExact(root);
    const after = stamps(root);
    const touched = [...after].filter(([path, stamp]) => before.get(path) !== stamp).map(([path]) => path);
    expect(touched.sort()).toEqual([...summary.diff.changed].sort());
    expect(touched.length).toBeGreaterThan(0);
  });

  it("follows a sequence of config edits, reporting exactly the files that changed each time", async () => {
    const root = estate();
    await run(root);
    const steps: [string, string | RegExp, string][] = [
      ["services/api/service.ts", 'version: "1.0.0"', 'version: "1.0.1"'],
      ["services/worker/service.ts", /team: "[^"]+"/, 'team: "other-team"'],
      ["services/api/service.ts", 'version: "1.0.1"', 'version: "1.0.0"'], // back to files an earlier run wrote
      ["environments/staging.ts", 'tier: "staging"', 'tier: "staging", domain: "staging.example.org"'],
      ["services/api/service.ts", 'version: "1.0.0"', 'version: "2.0.0"'],
    ];
    for (const [file, from, to] of steps) {
      const oldTree = readTree(join(root, "generated"));
      if (typeof from === "string" ? !readFileSync(join(root, file), "utf8").includes(from) : !from.test(readFileSync(join(root, file), "utf8"))) continue;
      edit(root, file, from, to);
      const summary = await run(root);
      await expectExact(root);
      const newTree = readTree(join(root, "generated"));
      const changed = [...newTree].filter(([p, c]) => oldTree.has(p) && oldTree.get(p) !== c).map(([p]) => p);
      expect([...summary.diff.changed].sort(), `${file}: ${String(to)}`).toEqual(changed.sort());
      expect([...summary.diff.added].sort()).toEqual([...newTree.keys()].filter((p) => !oldTree.has(p)).sort());
      expect([...summary.diff.removed].sort()).toEqual([...oldTree.keys()].filter((p) => !newTree.has(p)).sort());
      expectRecorded(root);
    }
  });

  it("renders a service again when what it reads of a neighbour changes, though its own file did not", async () => {
    // An unchanged service's render keys come from the memo (cache.ts `Memo`) while its inputs are the same: its
    // inputs must cover what it reads of the services it calls and of those that call it.
    const root = estate();
    await run(root);
    const steps: [string, string | RegExp, string, string][] = [
      // worker and job call api: its port is in their network policies' egress.
      ["services/api/service.ts", "port: 8080,", "port: 8081,", "nonprod/dev/worker/"],
      // worker's readiness checks api's readiness path (HEALTH_DEPENDENCIES).
      ["services/api/service.ts", "port: 8081,", 'port: 8081, health: { readiness: "/up" },', "nonprod/dev/worker/"],
      // api lets in its callers: worker no longer calls it.
      ["services/worker/service.ts", 'dependsOn: ["api"],', "", "nonprod/dev/api/"],
      // An environment changes every deployment in it.
      ["environments/staging.ts", 'tier: "staging"', 'tier: "staging", domain: "staging.example.org"', "nonprod/staging/api/"],
    ];
    for (const [file, from, to, touched] of steps) {
      edit(root, file, from, to);
      const summary = await run(root);
      await expectExact(root);
      expect(summary.diff.changed.some((p) => p.startsWith(touched)), `${file}: ${to} changes ${touched}`).toBe(true);
      expectRecorded(root);
    }
  });

  it("adds and removes services and environments", async () => {
    const root = estate();
    await run(root);
    cpSync(join(root, "services/api"), join(root, "services/api-two"), { recursive: true });
    edit(root, "services/api-two/service.ts", /name: "api"/, 'name: "api-two"');
    edit(root, "services/api-two/service.ts", /host: "api"/, 'host: "api-two"');
    await run(root);
    await expectExact(root);
    rmSync(join(root, "services/worker"), { recursive: true });
    await run(root);
    await expectExact(root);
    expect(readdirSync(join(root, "generated/nonprod/dev"))).not.toContain("worker");
    rmSync(join(root, "services/api-two"), { recursive: true });
    await run(root);
    await expectExact(root);
    expectRecorded(root);
  });

  it("starts again without the cache when entries it carried over turn out not to match the manifest", async () => {
    const root = estate();
    await run(root);
    // Every entry now claims other hashes than generated/ holds (and the manifest says); a new service is too big
    // a change to patch (a quarter of the files), so the carried entries' files are listed, and found not to match.
    const head = JSON.parse(readFileSync(join(root, CACHE_DIR, "state.json"), "utf8")) as { deployments: { file: string } };
    const part = join(root, CACHE_DIR, head.deployments.file);
    writeFileSync(part, readFileSync(part, "utf8").replace(/"([A-Za-z0-9_-]{27})"/g, '"AAAAAAAAAAAAAAAAAAAAAAAAAAA"'));
    cpSync(join(root, "services/api"), join(root, "services/api-two"), { recursive: true });
    edit(root, "services/api-two/service.ts", /name: "api"/, 'name: "api-two"');
    edit(root, "services/api-two/service.ts", /host: "api"/, 'host: "api-two"');
    const summary = await run(root);
    expect(summary.written).toBe(true);
    expect(summary.rendered?.deployments, "rendered everything again").toBe(summary.rendered?.of);
    await expectExact(root);
    expectRecorded(root);
  });

  it("repairs hand edits to generated/: appended, same size, mtime restored, deleted, replaced, stray files and folders", async () => {
    const root = estate();
    await run(root);
    // A change and back, so that generated/ holds files of several runs (patched in, linked into a build).
    edit(root, "services/api/service.ts", 'version: "1.0.0"', 'version: "1.0.1"');
    await run(root);
    edit(root, "services/api/service.ts", 'version: "1.0.1"', 'version: "1.0.0"');
    await run(root);
    const g = (p: string) => join(root, "generated", p);
    const files = [...readTree(join(root, "generated")).keys()].filter((p) => p.endsWith(".yaml"));
    const [a, b, c, d, e] = files;
    appendFileSync(g(a!), "extra: true\n");
    // Same size, and the mtime put back: only the ctime (and the content) tell.
    const st = statSync(g(b!));
    const text = readFileSync(g(b!), "utf8");
    writeFileSync(g(b!), text.replace(/[a-z]/, (ch) => (ch === "a" ? "b" : "a")));
    utimesSync(g(b!), st.atime, st.mtime);
    rmSync(g(c!));
    rmSync(g(d!)), writeFileSync(g(d!), "kind: Replaced\n");
    writeFileSync(g("nonprod/dev/stray.yaml"), "kind: Stray\n");
    mkdirSync(g("retired/dev/old"), { recursive: true });
    writeFileSync(g("retired/dev/old/deployment.yaml"), "kind: Deployment\n");
    symlinkSync(g(e!), g("nonprod/link.yaml"));
    const summary = await run(root);
    expect(summary.written).toBe(true);
    expect(summary.diff.changed).toEqual(expect.arrayContaining([a, b, d]));
    expect(summary.diff.added).toEqual([c]);
    expect(summary.diff.removed).toEqual(expect.arrayContaining(["nonprod/dev/stray.yaml", "retired/dev/old/deployment.yaml", "nonprod/link.yaml"]));
    await expectExact(root);
    // And the next changes, patched over the repaired tree, are exact too.
    edit(root, "services/api/service.ts", 'version: "1.0.0"', 'version: "1.0.1"');
    await run(root);
    await expectExact(root);
    edit(root, "services/api/service.ts", 'version: "1.0.1"', 'version: "1.0.0"');
    await run(root);
    await expectExact(root);
  });

  it("is exact whatever happened to the cache: deleted, corrupt, stale, parts missing", async () => {
    const root = estate();
    const cache = join(root, CACHE_DIR);
    await run(root);
    const mutations: [string, () => void][] = [
      ["cache deleted", () => rmSync(cache, { recursive: true, force: true })],
      ["state.json corrupt", () => writeFileSync(join(cache, "state.json"), "{ not json")],
      ["tree manifest truncated", () => {
        const tree = readdirSync(cache).find((f) => f.startsWith("tree-"))!;
        writeFileSync(join(cache, tree), readFileSync(join(cache, tree), "utf8").slice(0, 200));
      }],
      ["deployments cache claims other hashes", () => {
        const head = JSON.parse(readFileSync(join(cache, "state.json"), "utf8")) as { deployments: { file: string } };
        const text = readFileSync(join(cache, head.deployments.file), "utf8").replace(/"([A-Za-z0-9_-]{27})"/g, '"AAAAAAAAAAAAAAAAAAAAAAAAAAA"');
        writeFileSync(join(cache, head.deployments.file), text);
      }],
      ["snapshot claims the current tree, manifest claims other hashes (part sizes unchanged)", () => {
        const head = JSON.parse(readFileSync(join(cache, "state.json"), "utf8")) as { tree: { file: string; bytes: number } };
        const text = readFileSync(join(cache, head.tree.file), "utf8").replace(/\t[A-Za-z0-9_-]{27}\t/g, "\tAAAAAAAAAAAAAAAAAAAAAAAAAAA\t");
        writeFileSync(join(cache, head.tree.file), text);
        expect(Buffer.byteLength(text)).toBe(head.tree.bytes);
      }],
      ["deployments part cut short", () => {
        const head = JSON.parse(readFileSync(join(cache, "state.json"), "utf8")) as { deployments: { file: string } };
        writeFileSync(join(cache, head.deployments.file), readFileSync(join(cache, head.deployments.file)).subarray(0, 100));
      }],
      ["code fingerprint of another version", () => {
        const head = JSON.parse(readFileSync(join(cache, "state.json"), "utf8")) as { code: string };
        head.code = "another";
        writeFileSync(join(cache, "state.json"), JSON.stringify(head));
      }],
    ];
    let version = 0;
    for (const [name, mutate] of mutations) {
      edit(root, "services/api/service.ts", /version: "[^"]+"/, `version: "1.0.${++version}"`);
      await run(root);
      mutate();
      edit(root, "services/api/service.ts", /version: "[^"]+"/, `version: "1.0.${++version}"`);
      const summary = await run(root);
      expect(summary.written, name).toBe(true);
      await expectExact(root);
      const quiet = await run(root);
      expect(quiet.diff.added.length + quiet.diff.changed.length + quiet.diff.removed.length, name).toBe(0);
      await expectExact(root);
    }
  });

  it("never skips a run whose config imports a changed file from outside environments/ and services/", async () => {
    const root = estate();
    mkdirSync(join(root, "shared"));
    writeFileSync(join(root, "shared/versions.json"), JSON.stringify({ version: "1.0.0" }));
    edit(root, "services/api/service.ts", 'version: "1.0.0"', "version: helper.version");
    writeFileSync(join(root, "services/api/service.ts"), `import helper from "../../shared/versions.json" with { type: "json" };\n${readFileSync(join(root, "services/api/service.ts"), "utf8")}`);
    await run(root);
    await run(root);
    expect((await run(root)).written).toBe(false);
    writeFileSync(join(root, "shared/versions.json"), JSON.stringify({ version: "3.1.4" }));
    const summary = await run(root);
    expect(summary.written).toBe(true);
    await expectExact(root);
    expect(readFileSync(join(root, "generated/nonprod/dev/api/deployment.yaml"), "utf8")).toContain(":3.1.4\n");
  });

  it("with cache: false writes the whole tree and leaves the cache alone", async () => {
    const root = estate();
    await run(root);
    const state = readFileSync(join(root, CACHE_DIR, "state.json"), "utf8");
    rmSync(join(root, "generated"), { recursive: true });
    const result = await generate(root, { cache: false });
    expect(result.kind).toBe("ok");
    await expectExact(root);
    expect(readFileSync(join(root, CACHE_DIR, "state.json"), "utf8")).toBe(state);
    // The cache's manifest no longer matches generated/ (new inodes): the next run verifies by content, writes nothing.
    const summary = await run(root);
    expect(summary.written).toBe(false);
    await expectExact(root);
  });
});
