/**
 * Mutual exclusion under contention: several processes hammer `acquireLock` at once while holders keep "dying" with
 * the lock held (a stale lock, as SIGKILL leaves it), so they race to take over stale locks again and again. The
 * shared log must never show two holders at once. (test/reliability/lock.test.ts covers the single-run behaviour.)
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, tempRoot } from "../support/estate.ts";

const WORKER = join(import.meta.dirname, "support/lock-worker.ts");
const CONTENDERS = 6;
const ROUNDS = 400;

describe("the generate lock under contention", () => {
  it(`never has two holders (${CONTENDERS} processes × ${ROUNDS} attempts, stale locks taken over throughout)`, async () => {
    const root = tempRoot();
    const log = join(root, "holders.log");
    writeFileSync(log, "");
    const dead = spawn("true");
    await new Promise((r) => dead.on("exit", r));
    writeFileSync(join(root, ".generated.lock"), String(dead.pid));
    const start = Date.now() + 3000;
    const held = await Promise.all(
      Array.from({ length: CONTENDERS }, () =>
        new Promise<number>((done, fail) => {
          const child = spawn(process.execPath, ["--import", "tsx", WORKER, root, log, String(start), String(dead.pid), String(ROUNDS)], { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
          let out = "";
          child.stdout.on("data", (d) => (out += d));
          child.on("exit", (code) => (code === 0 ? done(Number(out)) : fail(new Error(`worker exited ${code}`))));
        }),
      ),
    );
    const lines = readFileSync(log, "utf8").trim().split("\n");
    let holder: string | undefined;
    const overlaps: string[] = [];
    for (const [i, line] of lines.entries()) {
      const [what, pid] = line.split(" ");
      if (what === "enter") {
        if (holder !== undefined) overlaps.push(`line ${i + 1}: ${pid} entered while ${holder} held the lock`);
        holder = pid;
      } else if (holder === pid) holder = undefined;
    }
    const total = held.reduce((a, b) => a + b, 0);
    console.log(`lock race: ${CONTENDERS} processes, ${total} holds, ${overlaps.length} overlaps`);
    expect(total).toBeGreaterThan(CONTENDERS);
    expect(overlaps.slice(0, 5)).toEqual([]);
  });
});
