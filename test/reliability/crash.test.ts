/**
 * SIGKILL at random points while the real CLI replaces generated/ in a synthetic estate of ~150 services: afterwards
 * generated/ must be exactly the old tree or exactly the new one (file maps compared), never a mix; the state a kill
 * leaves is put right by the next run's first step (`recover`), and a normal run converges and leaves no scratch
 * folder behind. Both ways of writing are killed: a change of every service's version only (a few files per
 * service: patched in place through .generated.journal and .generated.patching) and one that also moves every
 * service to another team (every object's labels: built in .generated.staging and swapped).
 *
 * The kills are aimed at the write phase, where a mix could happen: each trial waits until the run has created its
 * staging folder or journal, then kills it after a random delay drawn from the write phase's measured length (×1.5,
 * so some kills land after the swap). CRASH_SERVICES, CRASH_TRIALS and CRASH_SEED override the defaults.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTree, recover } from "@gitops/generator";
import { REPO } from "../support/estate.ts";

/**
 * Like tempRoot() in test/support, but on tmpfs (/dev/shm) when there is one: ~9,000 files are written per run,
 * and on a busy disk that alone takes tens of seconds. Renames are just as atomic there; SIGKILL, not power loss,
 * is what this test is about.
 */
const shm = (() => {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
})();
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
const tempRoot = () => {
  const root = mkdtempSync(join(shm, "gitops-crash-"));
  roots.push(root);
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  return root;
};

const BIN = join(REPO, "packages/cli/bin/gitops.mjs");
const SERVICES = Number(process.env.CRASH_SERVICES ?? 150);
const TRIALS = Number(process.env.CRASH_TRIALS ?? 8);
const SEED = Number(process.env.CRASH_SEED ?? 20261122);
const VERSIONS = ["1.0.0", "2.0.0"] as const;
type Version = (typeof VERSIONS)[number];

const service = (i: number, version: string, team: string) => {
  const kind = ["http", "worker", "job"][i % 3]!;
  return `import { defineService } from "@gitops/model";
export default defineService({
  name: "svc-${i}", kind: "${kind}", description: "Crash-test service ${i}.", team: "${team}-${i % 7}", costCenter: "cc-${i % 5}",
  image: "t/svc-${i}", version: "${version}",${kind === "job" ? ` schedule: "0 ${i % 24} * * *",` : ""}
  config: { N: ${i} }, secrets: { DB: { key: "svc-${i}/db" } },
  environments: { dev: {}, staging: {}, prod: {} },
});
`;
};

const prng = (seed: number) => {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const digest = (tree: ReadonlyMap<string, string>) => {
  const h = createHash("sha256");
  for (const [path, content] of tree) h.update(`${path}\0${content}\0`);
  return h.digest("hex");
};

const SCRATCH = [".generated.staging", ".generated.previous", ".generated.journal", ".generated.patching"];

describe.each([
  { change: "versions only", write: "patch", teams: ["team", "team"] },
  { change: "versions and teams", write: "build", teams: ["team", "squad"] },
])("a generator killed mid-run, $change ($write)", ({ write, teams }) => {
  it(`leaves the old tree or the new one, never a mix (${SERVICES} services, ${TRIALS} SIGKILL trials)`, { timeout: 900_000 }, async () => {
    const root = tempRoot();
    cpSync(join(REPO, "environments"), join(root, "environments"), { recursive: true });
    const writeServices = (version: Version) => {
      for (let i = 0; i < SERVICES; i++) {
        mkdirSync(join(root, "services", `svc-${i}`), { recursive: true });
        writeFileSync(join(root, "services", `svc-${i}`, "service.ts"), service(i, version, teams[VERSIONS.indexOf(version)]!));
      }
    };
    const generated = () => readTree(join(root, "generated"));
    const scratch = () => SCRATCH.filter((d) => existsSync(join(root, d)));
    const writing = () => existsSync(join(root, write === "patch" ? ".generated.journal" : ".generated.staging"));

    /** Runs the CLI; with `kill`, SIGKILLs it `kill.delay` ms after its write phase begins (staging folder or journal made). */
    const run = async (kill?: { after: "staged" | "swapped"; delay: number }) => {
      const child = spawn(process.execPath, [BIN, "generate"], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      let done = false;
      void exited.then(() => (done = true));
      let stagedAt = 0;
      let swappedAt = 0;
      while (!done) {
        const staged = writing();
        if (staged && !stagedAt) {
          stagedAt = performance.now();
          if (kill?.after === "staged") {
            await sleep(kill.delay);
            child.kill("SIGKILL");
            break;
          }
        }
        if (stagedAt && !staged && !swappedAt) {
          swappedAt = performance.now();
          if (kill?.after === "swapped") {
            child.kill("SIGKILL");
            break;
          }
        }
        await sleep(1);
      }
      const code = await exited;
      return { code, stderr: stderr.slice(0, 2000), writeMs: (swappedAt || performance.now()) - stagedAt, staged: stagedAt > 0 };
    };

    const trees = {} as Record<Version, { tree: Map<string, string>; digest: string }>;
    let writeMs = 0;
    for (const version of VERSIONS) {
      writeServices(version);
      const r = await run();
      expect(r.code, `generate ${version}: ${r.stderr}`).toBe(0);
      if (version !== VERSIONS[0]) writeMs = r.writeMs; // the first run builds from nothing; the second writes as the trials will
      const tree = generated();
      trees[version] = { tree, digest: digest(tree) };
    }
    expect(trees["1.0.0"].digest).not.toBe(trees["2.0.0"].digest);
    expect(writeMs, "the write phase was measured").toBeGreaterThan(0);
    const files = trees["2.0.0"].tree.size;

    const random = prng(SEED);
    const outcomes = { old: 0, new: 0, parked: 0 };
    let current: Version = "2.0.0";
    for (let t = 0; t < TRIALS; t++) {
      const target: Version = current === "1.0.0" ? "2.0.0" : "1.0.0";
      const kill = { after: "staged" as const, delay: random() * writeMs * 1.5 };
      writeServices(target);
      const r = await run(kill);
      const when = `${kill.delay.toFixed(0)} ms into a ~${writeMs.toFixed(0)} ms write`;
      const where = `trial ${t} (CRASH_SEED=${SEED}, killed ${when}, exit ${r.code})`;
      expect(r.staged, `${where}: the run never reached the write phase: ${r.stderr}`).toBe(true);

      if (existsSync(join(root, "generated"))) {
        const d = digest(generated());
        if (d !== trees[current].digest && d !== trees[target].digest) {
          const after = generated();
          const mixed = [...after].filter(([p, c]) => trees[current].tree.get(p) !== c).length;
          throw new Error(`${where}: generated/ is neither tree: ${mixed} of ${after.size} files differ from the old one`);
        }
        outcomes[d === trees[current].digest ? "old" : "new"]++;
      } else if (write === "build") {
        // Killed between the two renames: the old tree is parked whole, the new one staged whole.
        expect(digest(readTree(join(root, ".generated.previous"))), where).toBe(trees[current].digest);
        outcomes.parked++;
      } else {
        // Killed while the plan was applied: the tree is in .generated.patching with the complete journal beside it.
        expect(existsSync(join(root, ".generated.patching")), where).toBe(true);
        expect(existsSync(join(root, ".generated.journal/plan.json")), where).toBe(true);
        outcomes.parked++;
      }

      // What the next run does first: afterwards generated/ is exactly one of the trees, with no scratch folders.
      recover(root);
      expect(scratch(), where).toEqual([]);
      const d = digest(generated());
      expect([trees[current].digest, trees[target].digest], where).toContain(d);
      current = d === trees[target].digest ? target : current;

      // Every fifth trial (and the last), a real run recovers and converges on what the sources say.
      if (t % 5 === 4 || t === TRIALS - 1) {
        const again = await run();
        expect(again.code, `${where}: recovery run: ${again.stderr}`).toBe(0);
        expect(digest(generated()), `${where}: recovery run`).toBe(trees[target].digest);
        expect(scratch(), `${where}: recovery run`).toEqual([]);
        current = target;
      }
    }
    // Every trial ended in an accepted state. Which one depends on timing (incremental runs make the write
    // phase short), so the split is reported, not asserted: asserting it made the test flaky on a loaded machine.
    expect(outcomes.old + outcomes.new + outcomes.parked, JSON.stringify(outcomes)).toBe(TRIALS);
    console.log(
      `crash (${write}): ${SERVICES} services (${files} files), ${TRIALS} SIGKILL trials (seed ${SEED}, write phase ~${writeMs.toFixed(0)} ms): ` +
        `${outcomes.old} left the old tree, ${outcomes.new} the new one, ${outcomes.parked} parked between the renames; never a mix`,
    );
  });
});
