/**
 * One contender in the lock race (test/reliability/lock-race.test.ts): waits for a common start time, then tries to
 * take the generate lock `ROUNDS` times. A holder appends `enter <pid>` / `exit <pid>` lines to the log (O_APPEND:
 * one write per line), and half the time "dies" holding it: rewrites the lock to a dead pid, as a killed run leaves
 * it, so the others race to take over a stale lock.
 */
import { appendFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquireLock } from "@gitops/generator";

const [root, log, start, deadPid, rounds] = process.argv.slice(2) as [string, string, string, string, string];
// Sleep (not spin) until the start time, so the waiting contenders leave the CPU to the rest of the suite.
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, Number(start) - Date.now()));
let held = 0;
for (let i = 0; i < Number(rounds); i++) {
  const lock = acquireLock(root);
  if (typeof lock === "number") continue;
  held++;
  appendFileSync(log, `enter ${process.pid}\n`);
  const until = performance.now() + 1;
  while (performance.now() < until);
  appendFileSync(log, `exit ${process.pid}\n`);
  if (i % 2 === 0) {
    const tmp = join(root, `.dying-${process.pid}`);
    writeFileSync(tmp, deadPid);
    renameSync(tmp, join(root, ".generated.lock"));
  } else lock();
}
process.stdout.write(String(held));
