/**
 * pnpm bench [--sizes 100,500,2000] [--runs 3] [--dir /tmp] [--sample 200] [--parallel 2]
 *
 * Builds a synthetic estate of S services (each in dev, staging and prod; http, worker and job mixed, with
 * dependencies, secrets and public hosts) in a temporary folder, and times the real CLI on it: full generate,
 * no-op regenerate, a one-service change, `check`, the kustomize peer (the same estate as a kustomize repository,
 * a base and overlays per service, each overlay rendered by `kubectl kustomize` as ArgoCD's repo-server does: a
 * random sample, checked to render exactly generate's objects, scaled to all) and the floor (the same bytes
 * written with plain fs). Figures are medians of --runs (more for the quick ones, see below); nothing here is asserted: the numbers go in the README.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { BIN, NODE_FLAGS } from "./lib/command.ts";
import { makeEstate, REPO, serviceName } from "./lib/estate.ts";
import { serviceFolders, writePeerService } from "./lib/kustomize-peer.ts";
import { targetLines, type SizeFigures } from "./lib/targets.ts";

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
  const node = [process.execPath, ...NODE_FLAGS, ...(PROC_HWM ? ["--import", HWM_HOOK] : []), BIN, ...args];
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

/** One `kubectl kustomize DIR`: its output and wall seconds. */
function kustomizeOnce(dir: string): Promise<{ output: string; seconds: number }> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn("kubectl", ["kustomize", dir], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    // "close", not "exit": a child can exit before its output is all read, and the comparison below would see it cut short.
    child.on("close", (c) => (c === 0 ? done({ output: Buffer.concat(out).toString("utf8"), seconds: (performance.now() - started) / 1000 }) : fail(new Error(`kubectl kustomize ${dir} exited ${c}: ${Buffer.concat(err).toString("utf8").slice(0, 500)}`))));
  });
}

/** Runs `run` over `items`, `lanes` at a time: results in item order, and the wall seconds of the whole batch. */
async function pool<T, R>(items: readonly T[], run: (item: T) => Promise<R>, lanes = parallel): Promise<{ results: R[]; seconds: number }> {
  const results = new Array<R>(items.length);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]!);
    }
  }));
  return { results, seconds: (performance.now() - started) / 1000 };
}

interface Peer {
  /** Overlay folders of the kustomize-authored estate (a service in an environment), and how many were timed. */
  folders: number;
  sampled: number;
  /** Seconds per overlay folder, one after another (the issue's "on one core"), and the sample's wall with --parallel. */
  perFolder: number;
  sampledSeconds: number;
  /** perFolder × folders: every overlay rendered one after another, as the issue counts it. */
  total: number;
  /** The sample's wall scaled to all folders, --parallel at a time. */
  totalParallel: number;
  /** Generate's own folders of the sample (ArgoCD rendering generated/), --parallel at a time: per folder, and scaled to every app folder. */
  oursPerFolder: number;
  oursFolders: number;
  oursTotal: number;
}

/**
 * The kustomize peer (scripts/lib/kustomize-peer.ts): a random sample of services written as a kustomize estate (a
 * base and one overlay per environment), every overlay rendered by `kubectl kustomize`, and checked to render
 * exactly what `kubectl kustomize` renders from generate's folder for it. Timed per folder and scaled to every
 * overlay the whole estate would have (one per service and environment); generate's own folders, rendered for
 * the check, are timed too (what ArgoCD's repo-server spends on generated/).
 */
async function kustomizePeer(root: string, s: number): Promise<Peer> {
  const generated = join(root, "generated");
  const dirs = (...parts: string[]) => readdirSync(join(generated, ...parts), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  // Every folder ArgoCD renders: generated/<account>/<environment, platform or preview>/<app>/ with a kustomization
  // (generated/runbooks/ and generated/README.md are documents, not apps).
  const appFolders: string[] = [];
  for (const account of dirs()) for (const env of dirs(account)) for (const app of dirs(account, env)) if (existsSync(join(generated, account, env, app, "kustomization.yaml"))) appFolders.push(`${account}/${env}/${app}`);
  // The environments a service deploys to, in the order generated/ lists them (dev first: the peer's base).
  const environments = [...new Set(appFolders.filter((f) => f.endsWith(`/${serviceName(0)}`)).map((f) => f.split("/").slice(0, 2).join("/")))]
    .filter((e) => !e.endsWith("/preview"))
    .map((e) => ({ account: e.split("/")[0]!, name: e.split("/")[1]! }));
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const services = Array.from({ length: s }, (_, i) => serviceName(i));
  for (let i = services.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [services[i], services[j]] = [services[j]!, services[i]!];
  }
  const peerDir = join(root, "kustomize-peer");
  const pairs: { overlay: string; ours: string }[] = [];
  let overlays = 0;
  for (const service of services) {
    const folders = serviceFolders(generated, service, environments);
    overlays += folders.size;
    if (pairs.length >= sampleSize) continue;
    for (const [env, overlay] of writePeerService(peerDir, service, folders)) pairs.push({ overlay, ours: folders.get(env)! });
  }
  // One after another (a process on its own has the machine: two at a time, each takes a third longer), then
  // --parallel at a time.
  const alone = await pool(pairs, (p) => kustomizeOnce(p.overlay), 1);
  const peer = await pool(pairs, (p) => kustomizeOnce(p.overlay));
  const ours = await pool(pairs, (p) => kustomizeOnce(p.ours));
  const differ = pairs.filter((_, i) => alone.results[i]!.output !== ours.results[i]!.output || peer.results[i]!.output !== ours.results[i]!.output);
  if (differ.length > 0) throw new Error(`the kustomize peer renders ${differ.length} of ${pairs.length} folders differently from generate, e.g. ${differ[0]!.overlay}`);
  rmSync(peerDir, { recursive: true, force: true });
  const perFolder = alone.seconds / pairs.length;
  const oursPerFolder = ours.seconds / pairs.length;
  return {
    folders: overlays,
    sampled: pairs.length,
    perFolder,
    sampledSeconds: peer.seconds,
    total: perFolder * overlays,
    totalParallel: (peer.seconds / pairs.length) * overlays,
    oursPerFolder,
    oursFolders: appFolders.length,
    oursTotal: (ours.seconds / pairs.length) * appFolders.length,
  };
}

const ok = (r: Run, what: string, s: number, codes = [0]) => {
  if (!codes.includes(r.code)) throw new Error(`${what} exited ${r.code} at S=${s}:\n${r.output}`);
  return r;
};
const rows: string[][] = [];
const figures: SizeFigures[] = [];
let last = "";
const rssHow = GNU_TIME ? "/usr/bin/time -f %M" : PROC_HWM ? "VmHWM from /proc, read by the child as it exits" : "not measured";
console.log(
  `gitops bench: sizes ${sizes.join(", ")}; ${runs} run(s) each, medians (at most 2 runs at S ≥ 2000, but at least 3 full generates, each followed by a floor, and 5 no-op and one-service runs); ${cpus().length} cores (${cpus()[0]?.model ?? "?"}); ` +
    `Node ${process.version}; temp folder ${base} (${fsType(base)}); peak RSS via ${rssHow}\n`,
);
for (const s of sizes) {
  const root = makeEstate(base, s);
  console.log(`S=${s}: estate in ${root}`);
  try {
    const n = s >= 2000 ? Math.min(runs, 2) : runs;
    const full: Run[] = [];
    const floors: number[] = [];
    // A full generate starts from nothing: no generated/ and no cache (.generated.cache/) to reuse anything from.
    // At least 3 runs, whatever --runs says: the first on a new estate is an outlier (its 117,000 files are the
    // first the file system allocates there: 8.1 s against 7.0–7.2 s for the next two at S=2000), and the median
    // of two is their mean. Every run is printed. Each is followed by the floor, on the tree it wrote: taken minutes
    // later, after check and the rest, the floor would be measured in another spell of a host whose speed swings.
    for (let i = 0; i < Math.max(n, 3); i++) {
      for (const dir of ["generated", ".generated.cache"]) rmSync(join(root, dir), { recursive: true, force: true });
      full.push(ok(cli(root, "generate"), "generate", s));
      floors.push(floor(root));
    }
    console.log(`  full generate   ${full.map((r) => r.seconds.toFixed(2)).join(", ")} s · ${full[0]!.output.trim().split("\n").at(GNU_TIME || PROC_HWM ? -2 : -1)}`);
    console.log(`  floor           ${floors.map((f) => f.toFixed(2)).join(", ")} s (each right after the generate before it)`);
    // The quick runs at least 5 times each: a second or two each, on hosts whose speed swings by a third within
    // minutes, where the median of two is just their mean.
    const quick = Math.max(runs, 5);
    const noop = Array.from({ length: quick }, () => ok(cli(root, "generate"), "no-op generate", s));
    console.log(`  no-op           ${noop.map((r) => r.seconds.toFixed(2)).join(", ")} s`);
    const one: Run[] = [];
    const file = join(root, "services", serviceName(1), "service.ts");
    for (let i = 0; i < quick; i++) {
      writeFileSync(file, readFileSync(file, "utf8").replace(/version: "1\.1\.\d+"/, `version: "1.1.${10 + i}"`));
      one.push(ok(cli(root, "generate"), "one-service generate", s));
    }
    console.log(`  one service     ${one.map((r) => r.seconds.toFixed(2)).join(", ")} s`);
    // check exits 4 on a policy finding; the synthetic estate should pass, but time it either way and say so.
    const checks = Array.from({ length: n }, () => ok(cli(root, "check"), "check", s, [0, 4]));
    console.log(`  check           ${checks.map((r) => `${r.seconds.toFixed(2)}${r.code ? ` (exit ${r.code})` : ""}`).join(", ")} s`);
    const fl = median(floors);
    const k = await kustomizePeer(root, s);
    console.log(
      `  kustomize peer  ${k.sampled} of ${k.folders} overlay folders (a base and an overlay per environment, each rendering exactly generate's folder), ` +
        `${k.perFolder.toFixed(3)} s a folder one after another, ${k.sampledSeconds.toFixed(1)} s for the sample ${parallel} at a time; SCALED to all ${k.folders}: ` +
        `${k.total.toFixed(1)} s one after another, ${k.totalParallel.toFixed(1)} s ${parallel} at a time`,
    );
    console.log(`  ArgoCD's render of generated/  ${k.oursPerFolder.toFixed(3)} s a folder ${parallel} at a time; SCALED to all ${k.oursFolders} app folders: ${k.oursTotal.toFixed(1)} s`);
    const objects = [...readTree(join(root, "generated")).keys()].filter((f) => f.endsWith(".yaml") && !f.endsWith("kustomization.yaml")).length;
    const g = median(full.map((r) => r.seconds));
    const no = median(noop.map((r) => r.seconds));
    const on = median(one.map((r) => r.seconds));
    const ch = median(checks.map((r) => r.seconds));
    const rssValues = full.map((r) => r.rssMb).filter((x): x is number => x !== undefined);
    const rss = rssValues.length ? Math.max(...rssValues).toFixed(0) : "n/a";
    figures.push({ services: s, generate: g, noop: no, oneService: on, floor: fl, peer: k.total, ...(rssValues.length ? { rssMb: Math.max(...rssValues) } : {}) });
    rows.push([
      String(s), String(k.oursFolders), String(objects), g.toFixed(2), no.toFixed(2), on.toFixed(2),
      `${ch.toFixed(2)}${checks.some((r) => r.code) ? ` (exit ${checks[0]!.code})` : ""}`, fl.toFixed(2), k.total.toFixed(1), (k.total / g).toFixed(0), k.totalParallel.toFixed(1), (k.totalParallel / g).toFixed(0), k.oursTotal.toFixed(1), (g / fl).toFixed(1), rss,
    ]);
    last = `S=${s} generate_s=${g.toFixed(2)} noop_s=${no.toFixed(2)} one_service_s=${on.toFixed(2)} kustomize_s=${k.total.toFixed(1)} floor_s=${fl.toFixed(2)} rss_mb=${rss}`;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
const head = ["S", "folders", "objects", "generate s", "no-op s", "one service s", "check s", "floor s", "kustomize peer s (one after another)", "× faster", `kustomize peer s (${parallel} at a time)`, "× faster", "ArgoCD render of generated/ s", "× floor", "peak RSS MiB"];
console.log(`\n| ${head.join(" | ")} |\n|${head.map(() => "---").join("|")}|`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
console.log(
  `\nkustomize peer: the estate as a kustomize repository (per service a base and an overlay per environment, rendering exactly generate's objects), ` +
    `\`kubectl kustomize\` on every overlay of a random sample of services (≥ ${sampleSize} folders), scaled to every overlay (not a full run). ` +
    `ArgoCD render of generated/: \`kubectl kustomize\` on generate's own folders of the same sample, scaled to every app folder.`,
);
console.log(`\n${targetLines(figures).join("\n")}`);
console.log(`\n${last}`);
