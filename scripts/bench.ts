/**
 * pnpm bench [--sizes 100,500,2000] [--runs 3] [--dir /tmp] [--sample 200] [--parallel 2]
 *
 * Builds a synthetic estate of S services (each in dev, staging and prod; http, worker and job mixed, with
 * dependencies, secrets and public hosts) in a temporary folder, and times the real CLI on it: full generate,
 * no-op regenerate, a one-service change, `check`, the kustomize peer (ArgoCD's repo-server renders each app
 * folder with kustomize: a random sample of folders, scaled to all) and the floor (the same bytes written with
 * plain fs). Figures are medians of --runs; nothing here is asserted: the numbers go in the README.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { makeEstate, REPO, serviceName } from "./lib/estate.ts";

const BIN = join(REPO, "packages/cli/src/bin.ts");
const { values } = parseArgs({ options: { sizes: { type: "string" }, runs: { type: "string" }, dir: { type: "string" }, sample: { type: "string" }, parallel: { type: "string" } } });
const sizes = (values.sizes ?? "100,500,2000").split(",").map(Number);
const runs = Number(values.runs ?? 3);
const base = values.dir ?? tmpdir();
const sampleSize = Number(values.sample ?? 200);
const parallel = Number(values.parallel ?? 2);
if (!sizes.every((n) => Number.isInteger(n) && n > 0) || !(runs >= 1) || !(sampleSize >= 1) || !(parallel >= 1)) {
  console.error("usage: pnpm bench [--sizes 100,500,2000] [--runs 3] [--dir DIR] [--sample 200] [--parallel 2]");
  process.exit(64);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Disk or tmpfs: file-write timings differ by an order of magnitude between them. */
function fsType(dir: string): string {
  const r = spawnSync("stat", ["-f", "-c", "%T", dir], { encoding: "utf8" });
  const type = r.status === 0 ? r.stdout.trim() : "unknown";
  return `${type === "tmpfs" || type === "ramfs" ? "tmpfs (memory)" : "disk"}, ${type}`;
}

/** Peak RSS: GNU time if present; else the child reads its own VmHWM from /proc as it exits; else none. */
const GNU_TIME = existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-f", "%M", "true"]).status === 0;
const PROC_HWM = !GNU_TIME && existsSync("/proc/self/status");
const HWM_HOOK = `data:text/javascript,${encodeURIComponent(
  `import{readFileSync,writeSync}from"node:fs";process.on("exit",()=>{const m=/VmHWM:\\s*(\\d+)/.exec(readFileSync("/proc/self/status","utf8"));if(m)writeSync(2,"\\n"+m[1]+"\\n")});`,
)}`;
interface Run {
  output: string;
  seconds: number;
  rssMb?: number;
  code: number;
}

function cli(root: string, ...args: string[]): Run {
  const started = performance.now();
  const node = [process.execPath, "--import", "tsx", ...(PROC_HWM ? ["--import", HWM_HOOK] : []), BIN, ...args];
  const [cmd, ...argv] = GNU_TIME ? ["/usr/bin/time", "-f", "%M", ...node] : node;
  const r = spawnSync(cmd!, argv, { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  const rss = GNU_TIME || PROC_HWM ? Number(r.stderr.trim().split("\n").at(-1)) : NaN;
  return { output: (r.stdout + r.stderr).slice(0, 2000), seconds, code: r.status ?? -1, ...(Number.isFinite(rss) ? { rssMb: rss / 1024 } : {}) };
}

function readTree(dir: string, rel = "", out = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) readTree(dir, path, out);
    else out.set(path, readFileSync(join(dir, path)));
  }
  return out;
}

/** Writing the same bytes with plain fs: what no generator can beat. */
function floor(root: string): number {
  const files = readTree(join(root, "generated"));
  const target = join(root, "floor");
  const started = performance.now();
  const made = new Set<string>();
  for (const [path, bytes] of files) {
    const dir = dirname(join(target, path));
    if (!made.has(dir)) mkdirSync(dir, { recursive: true }), made.add(dir);
    writeFileSync(join(target, path), bytes);
  }
  const seconds = (performance.now() - started) / 1000;
  rmSync(target, { recursive: true, force: true });
  return seconds;
}

/** `kubectl kustomize` once per app folder, as ArgoCD's repo-server does: a random sample, --parallel at a time, scaled to all folders. */
async function kustomize(root: string): Promise<{ perFolder: number; folders: number; sampled: number; sampledSeconds: number; total: number }> {
  const folders: string[] = [];
  // Every folder ArgoCD renders: generated/<account>/<environment, platform or preview>/<app>/ with a kustomization
  // (generated/runbooks/ and generated/README.md are documents, not apps).
  const dirs = (...parts: string[]) => readdirSync(join(root, "generated", ...parts), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  for (const account of dirs())
    for (const env of dirs(account))
      for (const svc of dirs(account, env))
        if (existsSync(join(root, "generated", account, env, svc, "kustomization.yaml"))) folders.push(join(root, "generated", account, env, svc));
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const shuffled = [...folders];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const sample = shuffled.slice(0, Math.min(sampleSize, folders.length));
  const workers = parallel;
  const queue = [...sample];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let dir = queue.shift(); dir; dir = queue.shift())
        await new Promise<void>((done, fail) => spawn("kubectl", ["kustomize", dir!], { stdio: "ignore" }).on("exit", (c) => (c === 0 ? done() : fail(new Error(`kustomize ${dir} exited ${c}`)))));
    }),
  );
  const sampled = (performance.now() - started) / 1000;
  return { perFolder: (sampled * workers) / sample.length, folders: folders.length, sampled: sample.length, sampledSeconds: sampled, total: (sampled / sample.length) * folders.length };
}

const ok = (r: Run, what: string, s: number, codes = [0]) => {
  if (!codes.includes(r.code)) throw new Error(`${what} exited ${r.code} at S=${s}:\n${r.output}`);
  return r;
};
const rows: string[][] = [];
let last = "";
const rssHow = GNU_TIME ? "/usr/bin/time -f %M" : PROC_HWM ? "VmHWM from /proc, read by the child as it exits" : "not measured";
console.log(
  `gitops bench: sizes ${sizes.join(", ")}; ${runs} run(s) each, medians (at most 2 runs at S ≥ 2000); ${cpus().length} cores (${cpus()[0]?.model ?? "?"}); ` +
    `Node ${process.version}; temp folder ${base} (${fsType(base)}); peak RSS via ${rssHow}\n`,
);
for (const s of sizes) {
  const root = makeEstate(base, s);
  console.log(`S=${s}: estate in ${root}`);
  try {
    const n = s >= 2000 ? Math.min(runs, 2) : runs;
    const full: Run[] = [];
    for (let i = 0; i < n; i++) {
      rmSync(join(root, "generated"), { recursive: true, force: true });
      full.push(ok(cli(root, "generate"), "generate", s));
    }
    console.log(`  full generate   ${full.map((r) => r.seconds.toFixed(2)).join(", ")} s · ${full[0]!.output.trim().split("\n").at(GNU_TIME || PROC_HWM ? -2 : -1)}`);
    const noop = Array.from({ length: n }, () => ok(cli(root, "generate"), "no-op generate", s));
    console.log(`  no-op           ${noop.map((r) => r.seconds.toFixed(2)).join(", ")} s`);
    const one: Run[] = [];
    const file = join(root, "services", serviceName(1), "service.ts");
    for (let i = 0; i < n; i++) {
      writeFileSync(file, readFileSync(file, "utf8").replace(/version: "1\.1\.\d+"/, `version: "1.1.${10 + i}"`));
      one.push(ok(cli(root, "generate"), "one-service generate", s));
    }
    console.log(`  one service     ${one.map((r) => r.seconds.toFixed(2)).join(", ")} s`);
    // check exits 4 on a policy finding; the synthetic estate should pass, but time it either way and say so.
    const checks = Array.from({ length: n }, () => ok(cli(root, "check"), "check", s, [0, 4]));
    console.log(`  check           ${checks.map((r) => `${r.seconds.toFixed(2)}${r.code ? ` (exit ${r.code})` : ""}`).join(", ")} s`);
    const fl = median(Array.from({ length: n }, () => floor(root)));
    const k = await kustomize(root);
    console.log(
      `  kustomize peer  sampled ${k.sampled} of ${k.folders} folders, ${parallel} in parallel: ${k.sampledSeconds.toFixed(1)} s ` +
        `(${k.perFolder.toFixed(3)} s per folder per process), SCALED to all ${k.folders} folders: ${k.total.toFixed(1)} s`,
    );
    const objects = [...readTree(join(root, "generated")).keys()].filter((f) => f.endsWith(".yaml") && !f.endsWith("kustomization.yaml")).length;
    const g = median(full.map((r) => r.seconds));
    const no = median(noop.map((r) => r.seconds));
    const on = median(one.map((r) => r.seconds));
    const ch = median(checks.map((r) => r.seconds));
    const rssValues = full.map((r) => r.rssMb).filter((x): x is number => x !== undefined);
    const rss = rssValues.length ? Math.max(...rssValues).toFixed(0) : "n/a";
    rows.push([
      String(s), String(k.folders), String(objects), g.toFixed(2), no.toFixed(2), on.toFixed(2),
      `${ch.toFixed(2)}${checks.some((r) => r.code) ? ` (exit ${checks[0]!.code})` : ""}`, fl.toFixed(2), k.total.toFixed(1), (k.total / g).toFixed(0), (g / fl).toFixed(1), rss,
    ]);
    last = `S=${s} generate_s=${g.toFixed(2)} noop_s=${no.toFixed(2)} one_service_s=${on.toFixed(2)} kustomize_s=${k.total.toFixed(1)} floor_s=${fl.toFixed(2)} rss_mb=${rss}`;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
const head = ["S", "folders", "objects", "generate s", "no-op s", "one service s", "check s", "floor s", "kustomize s (sampled, scaled)", "× faster than kustomize", "× floor", "peak RSS MiB"];
console.log(`\n| ${head.join(" | ")} |\n|${head.map(() => "---").join("|")}|`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
console.log(`\nkustomize s: \`kubectl kustomize DIR\` on a random sample of min(${sampleSize}, all) app folders, ${parallel} in parallel, scaled to all folders (not a full run).`);
console.log(`\n${last}`);
