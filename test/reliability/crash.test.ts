/**
 * SIGKILL at random points while `generate` replaces generated/: afterwards the tree must be exactly the old one
 * or exactly the new one, and the next run must clean up and converge.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTree } from "@gitops/generator";

const REPO = resolve(import.meta.dirname, "../..");
const BIN = join(REPO, "packages/cli/src/bin.ts");
const SERVICES = 80;
const TRIALS = 6;
const root = mkdtempSync(join(tmpdir(), "gitops-crash-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const service = (i: number, version: string) => `import { defineService } from "@gitops/model";
export default defineService({
  name: "svc-${i}", kind: "http", description: "Crash-test service ${i}.", team: "t", costCenter: "cc-1",
  image: "t/svc-${i}", version: "${version}", port: 8080,
  config: { N: ${i} }, secrets: { DB: { key: "svc-${i}/db" } },
  environments: { dev: {}, staging: {}, prod: {} },
});
`;
const writeServices = (version: string) => {
  for (let i = 0; i < SERVICES; i++) {
    mkdirSync(join(root, "services", `svc-${i}`), { recursive: true });
    writeFileSync(join(root, "services", `svc-${i}`, "service.ts"), service(i, version));
  }
};
const generate = () => spawnSync(process.execPath, ["--import", "tsx", BIN, "generate"], { cwd: root, encoding: "utf8" });
const snapshot = () => JSON.stringify([...readTree(join(root, "generated"))]);

describe("a generator killed mid-run", () => {
  it(`leaves the old tree or the new one, never a mix (${TRIALS} SIGKILL trials)`, async () => {
    cpSync(join(REPO, "environments"), join(root, "environments"), { recursive: true });
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
    writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
    writeServices("1.0.0");
    expect(generate().status).toBe(0);
    const oldTree = snapshot();
    writeServices("2.0.0");
    const started = performance.now();
    expect(generate().status).toBe(0);
    const runMs = performance.now() - started;
    const newTree = snapshot();
    expect(newTree).not.toBe(oldTree);

    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const outcomes = { old: 0, new: 0 };
    for (let t = 0; t < TRIALS; t++) {
      // Alternate the target so each trial replaces a tree; aim the kill at the later part of the run, where writing happens.
      const [from, to] = t % 2 === 0 ? ["2.0.0", "1.0.0"] : ["1.0.0", "2.0.0"];
      const expectedOld = from === "1.0.0" ? oldTree : newTree;
      const expectedNew = from === "1.0.0" ? newTree : oldTree;
      writeServices(to);
      const child = spawn(process.execPath, ["--import", "tsx", BIN, "generate"], { cwd: root, stdio: "ignore" });
      await new Promise((r) => setTimeout(r, runMs * (0.5 + 0.5 * random())));
      child.kill("SIGKILL");
      await new Promise((r) => child.on("exit", r));
      const after = existsSync(join(root, "generated")) ? snapshot() : "missing";
      if (after === "missing") {
        // Killed between the two renames: the previous tree is parked and the next run must restore or replace it.
        expect(existsSync(join(root, ".generated.previous")) || existsSync(join(root, ".generated.staging"))).toBe(true);
      } else {
        expect([expectedOld, expectedNew], `trial ${t}`).toContain(after);
        outcomes[after === expectedOld ? "old" : "new"]++;
      }
      expect(generate().status, `recovery after trial ${t}`).toBe(0);
      expect(snapshot()).toBe(expectedNew);
      expect(existsSync(join(root, ".generated.staging"))).toBe(false);
      expect(existsSync(join(root, ".generated.previous"))).toBe(false);
      writeServices(from === "1.0.0" ? "2.0.0" : "1.0.0");
      writeServices(to);
    }
    console.log(`crash: ${TRIALS} SIGKILL trials, ${outcomes.old} left the old tree, ${outcomes.new} the new one`);
    expect(readFileSync(join(root, "generated/README.md"), "utf8")).toContain("svc-0");
  });
});
