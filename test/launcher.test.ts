/**
 * The gitops command runs from a bundle of the sources (packages/cli/bin/gitops.mjs); GITOPS_FROM_SOURCE=1 runs the
 * same sources through tsx. Both must write the same bytes and word problems alike, including a config file that
 * only loads on its own (the bundled CLI registers tsx for it).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estate, gitops, outputs, REPO } from "./support/estate.ts";

const summary = (stdout: string) => stdout.replace(/; [\d.]+s$/m, "");

describe("the gitops command", () => {
  it("writes the same bytes from its bundle as from source", async () => {
    const bundled = estate("minimal");
    const source = estate("minimal");
    const [a, b] = await Promise.all([gitops(bundled, ["generate"]), gitops(source, ["generate"], { GITOPS_FROM_SOURCE: "1" })]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(summary(a.stdout)).toBe(summary(b.stdout));
    expect(outputs(bundled)).toEqual(outputs(source));
    // The bundle is a cache outside the repository's tracked files, one folder per state of the sources.
    const cache = join(REPO, "node_modules/.cache/gitops-cli");
    expect(readdirSync(cache).some((d) => existsSync(join(cache, d, "bin.mjs")))).toBe(true);
  });

  it("renders on its bundled worker threads the same bytes as in one thread", async () => {
    const alone = estate("minimal");
    const threads = estate("minimal");
    const [a, b] = await Promise.all([gitops(alone, ["generate"], { GITOPS_WORKERS: "0" }), gitops(threads, ["generate"], { GITOPS_WORKERS: "1" })]);
    expect([a.code, b.code]).toEqual([0, 0]);
    // A worker that cannot start leaves this thread to render alone, silently: the summary says it did start.
    expect(b.stdout).toMatch(/ on 2 threads;/);
    expect(outputs(threads)).toEqual(outputs(alone));
  });

  it("runs check with a 64 MB semi-space, in a child whose exit code and output are the command's", async () => {
    // A preload in every node process of the run records the flags V8 was started with.
    const dir = mkdtempSync(join(tmpdir(), "gitops-flags-"));
    const spy = join(dir, "spy.cjs");
    const log = join(dir, "flags.log");
    writeFileSync(spy, `require("node:fs").appendFileSync(${JSON.stringify(log)}, process.execArgv.join(" ") + "\\n");\n`);
    const env = { NODE_OPTIONS: `--require ${spy}` };
    const flags = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
    const ok = estate("minimal");
    // Other commands run once, with V8's default.
    expect((await gitops(ok, ["generate"], env)).code).toBe(0);
    expect(flags()).toHaveLength(1);
    expect(flags()[0]).not.toContain("--max-semi-space-size");
    writeFileSync(log, "");
    const checked = await gitops(ok, ["check"], env);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/^check: ok;/m);
    // The launcher without the flag, then the check itself, started again with it.
    expect(flags()).toHaveLength(2);
    expect(flags()[0]).not.toContain("--max-semi-space-size");
    expect(flags()[1]).toContain("--max-semi-space-size=64");
    // A failing check fails the same way through the launcher: invalid config exits 2 and names the file.
    const bad = await gitops(estate("minimal", "bad-throws-on-import"), ["check"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).toMatch(/services\/\S+\/service\.ts: \(file\): could not be loaded/);
  });

  it("words a config file that fails to load alike from its bundle and from source", async () => {
    const root = estate("minimal", "bad-throws-on-import");
    // One after the other: two runs in one root take turns at its lock.
    const a = await gitops(root, ["generate"]);
    const b = await gitops(root, ["generate"], { GITOPS_FROM_SOURCE: "1" });
    expect(a.code).toBe(2);
    expect(b.code).toBe(2);
    expect(a.stdout + a.stderr).toBe(b.stdout + b.stderr);
    expect(a.stdout + a.stderr).toMatch(/services\/\S+\/service\.ts: \(file\): could not be loaded/);
  });
});
