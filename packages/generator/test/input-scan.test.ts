/**
 * The input scan (cache.ts `scanInputs`): what it takes from the last scan without reading (a stat unchanged and
 * older than that scan's clock, less the margin), and that nothing else is ever taken: edits of the same size, new
 * and removed files and folders, links and files written near the clock are all read again. A fresh estate's files
 * are all too new to trust, so the trusted path is reached by moving a recorded clock into the future.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estate as fixtureEstate } from "../../../test/support/estate.ts";
import { build, generate } from "../src/generate.ts";
import { CACHE_DIR, hashText, scanInputs, type InputsSeen, type StateHead } from "../src/cache.ts";
import { readTree } from "../src/tree.ts";

const estate = () => fixtureEstate("minimal");

/** Every input file's content hash, read directly (links followed; undefined: unreadable), in path order. */
function direct(root: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const walk = (dir: string) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(path);
      else
        try {
          out.set(path, hashText(readFileSync(join(root, path))));
        } catch {
          out.set(path, undefined);
        }
    }
  };
  walk("environments");
  walk("services");
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** `seen` as if its scan had run a minute from now: every stat it recorded is then old enough to trust. */
const trusting = (seen: InputsSeen): InputsSeen => ({ ...seen, clockNs: String(BigInt(Date.now() + 60_000) * 1_000_000n) });

/** Waits until the file system stamps a write later than `ns`, so that an edit cannot share a stat with it. */
function afterTick(root: string, ns: bigint): void {
  const probe = join(root, "probe.tmp");
  for (let i = 0; ; i++) {
    writeFileSync(probe, String(i));
    if (lstatSync(probe, { bigint: true }).mtimeNs > ns) break;
  }
  rmSync(probe);
}
/** The latest mtime or ctime (ns) among the stats `seen` recorded, of its folders and files. */
const latest = (seen: InputsSeen): bigint =>
  [...seen.folders, ...seen.files]
    .flatMap(([, stat]) => stat.split("\t").slice(1, 3))
    .map((stamp) => BigInt(stamp.replace(".", "").slice(0, -1)))
    .reduce((a, b) => (a > b ? a : b), 0n);

describe("input scan", () => {
  it("hashes every input as reading it would, and says which are regular files in real folders", () => {
    const root = estate();
    symlinkSync(join(root, "services/api"), join(root, "services/api-link"));
    writeFileSync(join(root, "services/job/extra.ts"), "export const x = 1;\n");
    symlinkSync(join(root, "services/job/extra.ts"), join(root, "services/job/alias.ts"));
    const scan = scanInputs(root, []);
    const expected = direct(root);
    // The linked folder is one entry (a link is not walked), a file that cannot be read.
    expect([...scan.hashes.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, hash] of expected) expect(scan.hashes.get(path), path).toBe(hash);
    expect(scan.hashes.has("services/api-link")).toBe(true);
    expect(scan.hashes.get("services/api-link")).toBeUndefined();
    expect(scan.regular.has("services/api/service.ts")).toBe(true);
    expect(scan.regular.has("services/job/alias.ts")).toBe(false);
    expect(scan.regular.has("services/api-link")).toBe(false);
    // Only regular files are recorded: a link's target may change behind it.
    expect(scan.seen.files.map(([path]) => path)).not.toContain("services/job/alias.ts");
    expect(scanInputs(root, []).fingerprint).toBe(scan.fingerprint);
  });

  it("takes what the last scan saw, unread, while its stats are unchanged and older than that scan's clock", () => {
    const root = estate();
    const first = scanInputs(root, []);
    const file = "services/api/service.ts";
    // A recorded hash no file has, and a listing with a file that is not there: both are taken as recorded.
    const forged: InputsSeen = {
      ...trusting(first.seen),
      files: first.seen.files.map(([path, stat, hash]) => [path, stat, path === file ? "recorded" : hash] as const),
      folders: first.seen.folders.map(([dir, stat, names]) => [dir, stat, dir === "environments" ? [...names, ["phantom.ts", "f"] as const] : names] as const),
    };
    const second = scanInputs(root, [], forged);
    expect(second.hashes.get(file)).toBe("recorded");
    expect(second.hashes.has("environments/phantom.ts")).toBe(true);
    expect(second.hashes.get("environments/phantom.ts")).toBeUndefined();
    // The same forgery under the scan's own clock is not trusted: those files were written just before it.
    const racy = scanInputs(root, [], { ...forged, clockNs: first.seen.clockNs });
    expect(racy.hashes.get(file)).toBe(hashText(readFileSync(join(root, file))));
    expect(racy.hashes.has("environments/phantom.ts")).toBe(false);
  });

  it("still sees every change under a trusted clock: same-size edits, new, removed and renamed files and folders, links", () => {
    const root = estate();
    writeFileSync(join(root, "services/job/target.ts"), "export const v = 1;\n");
    symlinkSync("target.ts", join(root, "services/job/link.ts"));
    const first = scanInputs(root, []);
    afterTick(root, latest(first.seen));
    const api = join(root, "services/api/service.ts");
    const text = readFileSync(api, "utf8");
    writeFileSync(api, text.replace(/version: "(\d)/, (_m, d: string) => `version: "${(Number(d) + 1) % 10}`));
    expect(readFileSync(api, "utf8").length).toBe(text.length);
    writeFileSync(join(root, "services/job/target.ts"), "export const v = 2;\n"); // behind the link, same size
    writeFileSync(join(root, "services/worker/notes.md"), "new\n");
    mkdirSync(join(root, "services/fresh"));
    writeFileSync(join(root, "services/fresh/service.ts"), "export default {};\n");
    rmSync(join(root, "environments/staging.ts"));
    renameSync(join(root, "environments/prod.ts"), join(root, "environments/live.ts"));
    const second = scanInputs(root, [], trusting(first.seen));
    const expected = direct(root);
    expect([...second.hashes.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, hash] of expected) expect(second.hashes.get(path), path).toBe(hash);
    expect(second.fingerprint).toBe(scanInputs(root, []).fingerprint);
    expect(second.fingerprint).not.toBe(first.fingerprint);
  });

  it("drives generate: a run that trusts the last scan writes exactly what a full build writes", async () => {
    const root = estate();
    const run = async () => {
      const result = await generate(root);
      if (result.kind !== "ok") throw new Error(`generate: ${result.kind}`);
      return result.summary;
    };
    await run();
    const stateFile = join(root, CACHE_DIR, "state.json");
    const head = JSON.parse(readFileSync(stateFile, "utf8")) as StateHead;
    expect(head.seen.files.map(([path]) => path)).toEqual([...direct(root).keys()]);
    writeFileSync(stateFile, JSON.stringify({ ...head, seen: trusting(head.seen) }));
    afterTick(root, latest(head.seen));
    const api = join(root, "services/api/service.ts");
    writeFileSync(api, readFileSync(api, "utf8").replace(/version: "[^"]+"/, 'version: "9.9.9"'));
    const summary = await run();
    expect(summary.diff.changed.length).toBeGreaterThan(0);
    const full = await build(root);
    if (!full.ok) throw new Error("does not build");
    const onDisk = readTree(join(root, "generated"));
    expect([...onDisk.keys()].sort()).toEqual([...full.build.files.keys()].sort());
    for (const [path, content] of full.build.files) expect(onDisk.get(path), path).toBe(content);
    expect([...onDisk].some(([path, content]) => path.startsWith("nonprod/dev/api/") && content.includes("9.9.9"))).toBe(true);
  });
});
