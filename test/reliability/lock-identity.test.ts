/**
 * A stale lock is recognised by more than its pid. Pids are reused — soon, in a container, where every job starts
 * again from pid 1 — so a lock left by a killed run can name a pid that now belongs to some unrelated live process.
 * Judged by the pid alone, every later `generate` would report "busy" forever. The lock also records the holder's
 * boot and start time (Linux /proc), and a lock whose pid is alive but is not the same process is taken over.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, generate } from "@gitops/generator";
import { estate } from "../support/estate.ts";

const linux = existsSync("/proc/self/stat");
const bootId = linux ? readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() : "";
/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot. */
const startOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
};

const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.kill("SIGKILL")));
/** An unrelated live process: what a reused pid points at. */
const bystander = () => {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  children.push(child);
  return child.pid!;
};

describe.runIf(linux)("the generate lock and reused pids", () => {
  it("records who holds it: pid, boot and start time", () => {
    const root = estate("minimal");
    const release = acquireLock(root);
    expect(typeof release).toBe("function");
    expect(readFileSync(join(root, ".generated.lock"), "utf8")).toBe(`${process.pid} ${bootId} ${startOf(process.pid)}`);
    (release as () => void)();
    expect(existsSync(join(root, ".generated.lock"))).toBe(false);
  });

  it("takes over the lock of a killed run whose pid now belongs to another live process", async () => {
    const root = estate("minimal");
    // A run takes the lock and is killed while holding it.
    const run = spawn(process.execPath, ["--import", "tsx", "-e", `import("@gitops/generator").then((g) => { g.acquireLock(process.cwd()); process.stdout.write("held"); setInterval(() => {}, 1000); });`], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    children.push(run);
    let stderr = "";
    run.stderr!.on("data", (d) => (stderr += d));
    await new Promise<void>((done, fail) => {
      run.stdout!.once("data", () => done());
      run.once("exit", (code) => fail(new Error(`the lock holder exited (${code}) before taking the lock: ${stderr}`)));
    });
    run.kill("SIGKILL");
    await new Promise((done) => run.once("exit", done));
    const left = readFileSync(join(root, ".generated.lock"), "utf8");
    expect(left.split(" ")[0]).toBe(String(run.pid));
    // Its pid is reused: the lock now names a live process that is not the run that wrote it.
    const pid = bystander();
    writeFileSync(join(root, ".generated.lock"), left.replace(/^\d+/, String(pid)));
    expect((await generate(root)).kind).toBe("ok");
    expect(existsSync(join(root, "generated/README.md"))).toBe(true);
    expect(existsSync(join(root, ".generated.lock"))).toBe(false);
  });

  it("takes over a lock written before a reboot", async () => {
    const root = estate("minimal");
    const pid = bystander();
    writeFileSync(join(root, ".generated.lock"), `${pid} 00000000-0000-0000-0000-000000000000 ${startOf(pid)}`);
    expect((await generate(root)).kind).toBe("ok");
  });

  it("still waits for the live holder it names, in the new form and the old pid-only form", async () => {
    const root = estate("minimal");
    const pid = bystander();
    for (const text of [`${pid} ${bootId} ${startOf(pid)}`, String(pid)]) {
      writeFileSync(join(root, ".generated.lock"), text);
      expect(await generate(root)).toEqual({ kind: "busy", pid });
      expect(readFileSync(join(root, ".generated.lock"), "utf8")).toBe(text);
      expect(existsSync(join(root, "generated"))).toBe(false);
    }
  });
});
