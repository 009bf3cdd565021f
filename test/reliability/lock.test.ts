import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, generate } from "@gitops/generator";

const REPO = resolve(import.meta.dirname, "../..");
let root = "";
afterEach(() => rmSync(root, { recursive: true, force: true }));
const estate = () => {
  root = mkdtempSync(join(tmpdir(), "gitops-lock-"));
  for (const dir of ["environments", "services"]) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  return root;
};

describe("the generate lock", () => {
  it("refuses to write while another live process holds it, touching nothing", async () => {
    estate();
    const holder = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(root, ".generated.lock"), String(holder.pid));
      expect(await generate(root)).toEqual({ kind: "busy", pid: holder.pid });
      expect(existsSync(join(root, "generated"))).toBe(false);
      expect(readFileSync(join(root, ".generated.lock"), "utf8")).toBe(String(holder.pid));
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("takes over a stale lock left by a killed run, and releases it after writing", async () => {
    estate();
    const dead = spawn("true");
    await new Promise((r) => dead.on("exit", r));
    writeFileSync(join(root, ".generated.lock"), String(dead.pid));
    expect((await generate(root)).kind).toBe("ok");
    expect(existsSync(join(root, "generated/README.md"))).toBe(true);
    expect(existsSync(join(root, ".generated.lock"))).toBe(false);
  });

  it("is exclusive: a second taker gets the holder's pid", () => {
    estate();
    const release = acquireLock(root);
    expect(typeof release).toBe("function");
    // Our own pid counts as stale for ourselves, so simulate another holder's pid being alive: the parent's.
    writeFileSync(join(root, ".generated.lock"), String(process.ppid));
    expect(acquireLock(root)).toBe(process.ppid);
    (release as () => void)();
  });

  it("check mode never needs the lock", async () => {
    estate();
    writeFileSync(join(root, ".generated.lock"), String(process.ppid));
    expect((await generate(root, { check: true })).kind).toBe("stale");
  });
});
