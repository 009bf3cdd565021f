/**
 * What the generator executes: only environments/*.ts and services/<name>/service.ts (and what those import) — never
 * a stray .ts elsewhere, never anything under generated/ or the scratch folders, never a file reached through a
 * symbolic link — and what it reaches: never the network. Each booby-trapped file writes a marker if it is ever
 * executed, on both loading paths: the one-bundle fast path, and the file-by-file fallback a broken file forces.
 * (That file-system order never changes the output is proved in test/determinism.test.ts.)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { build, generate } from "@gitops/generator";
import { formatProblem } from "@gitops/model";
import { estate, gitops } from "../support/estate.ts";

/** A module that leaves a marker named after itself if it ever runs. */
const trap = (root: string, file: string) =>
  `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(join(root, `EXECUTED-${file.replaceAll("/", "_")}`))}, "x");\nexport default {};\n`;

const TRAPS = [
  "generated/evil.ts",
  "generated/nonprod/dev/payments/service.ts",
  ".generated.staging/environments/dev.ts",
  ".generated.previous/services/payments/service.ts",
  "services/payments/other.ts",
  "services/payments/helpers/service.ts",
  "services/evil.ts",
  "environments/nested/evil.ts",
  "environments/evil.d.ts",
  "environments/evil.js",
  "environments/evil.mts",
  "gitops.config.ts",
  "node_modules.ts",
];

function booby(root: string): void {
  for (const file of TRAPS) {
    mkdirSync(join(root, file, ".."), { recursive: true });
    writeFileSync(join(root, file), trap(root, file));
  }
}
const markers = (root: string) => readdirSync(root).filter((f) => f.startsWith("EXECUTED-"));

describe("what the generator executes", () => {
  it("never imports a .ts outside environments/*.ts and services/*/service.ts (bundled fast path)", async () => {
    const root = estate("repo");
    booby(root);
    expect((await build(root)).ok).toBe(true);
    expect((await generate(root)).kind).toBe("ok");
    expect(markers(root)).toEqual([]);
  });

  it("nor on the file-by-file path a broken config file forces", async () => {
    const root = estate("repo");
    booby(root);
    writeFileSync(join(root, "services/payments/service.ts"), "export default defineService({ broken\n");
    const result = await build(root);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map(formatProblem)).toEqual([expect.stringMatching(/^services\/payments\/service\.ts: \(file\): could not be loaded: /)]);
    expect(markers(root)).toEqual([]);
  });

  it("refuses config files reached through a symbolic link, without running them", async () => {
    const root = estate("minimal");
    booby(root);
    mkdirSync(join(root, "elsewhere/linked-dir"), { recursive: true });
    writeFileSync(join(root, "elsewhere/linked-dir/service.ts"), trap(root, "elsewhere/linked-dir/service.ts"));
    symlinkSync("../generated/evil.ts", join(root, "environments/qa.ts"));
    mkdirSync(join(root, "services/linked-file"));
    symlinkSync("../../generated/nonprod/dev/payments/service.ts", join(root, "services/linked-file/service.ts"));
    symlinkSync("../elsewhere/linked-dir", join(root, "services/linked-dir"));
    const result = await build(root);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = result.problems.map(formatProblem);
    for (const file of ["environments/qa.ts", "services/linked-file/service.ts", "services/linked-dir/service.ts"])
      expect(lines.some((l) => l.startsWith(`${file}: (file): is a symbolic link`)), `${file}\n${lines.join("\n")}`).toBe(true);
    expect(markers(root)).toEqual([]);
    expect(existsSync(join(root, "generated/README.md"))).toBe(false);
  });

  it("never reaches the network: generate and check run with every socket, DNS, http and fetch refused", async () => {
    const root = estate("repo");
    const log = join(root, "network.log");
    const env = { NODE_OPTIONS: `--require ${join(import.meta.dirname, "support/no-network.cjs")}`, NO_NETWORK_LOG: log };
    const generated = await gitops(root, ["generate"], env, { timeout: 60_000 });
    expect(generated.code, generated.stdout + generated.stderr).toBe(0);
    const checked = await gitops(root, ["check"], env, { timeout: 60_000 });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(existsSync(log) ? readFileSync(log, "utf8") : "").toBe("");
    // The preload is live: a fetch from a config file would meet this refusal.
    const probe = spawnSync(process.execPath, ["-e", `fetch("https://example.com/config.json")`], { env: { ...process.env, ...env }, encoding: "utf8" });
    expect(probe.status).not.toBe(0);
    expect(probe.stderr).toContain("network access (fetch) during a gitops run");
    expect(readFileSync(log, "utf8")).toContain("fetch");
  });
});
