/**
 * Bad input at scale: thousands of seeded mutations of the repository's example config, applied to the values the
 * loader returned and run through `resolve()` and the renderer in memory. Every case must end in exactly one of:
 *
 * - a valid estate, whose files all stay inside generated/ (relative, normalised, safe names) and survive a UTF-8
 *   round trip (or `generate --check` would call them stale forever), and whose deployments are exactly the ones
 *   the config asked for;
 * - problems, each naming one of the config files and a field path, printed as one clean line
 *   `file: path: message — fix` (no control or bidi characters, no forged second line, bounded length).
 *
 * Never an exception, never prototype pollution. Reproduce a failure with FUZZ_SEED=<seed> (and FUZZ_CASES); the
 * failing case prints its index and the mutations applied. File-level failures (syntax errors, throwing modules,
 * odd exports) need real files and a real process: test/reliability/loader.test.ts runs those through the CLI.
 */
import { describe, expect, it } from "vitest";
import { argocdObjects, folderKinds } from "@gitops/argocd";
import { load, renderDeployment, renderFiles, type RenderedObject } from "@gitops/generator";
import { formatProblem, resolve, type Problem, type ResolvedEstate, type SourceFile, type Sources } from "@gitops/model";
import { codeowners, estateReadme } from "../../packages/docs/src/index.ts";
import { REPO } from "../support/estate.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const nest = (depth: number, leaf: unknown) => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const cyclic = () => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};
const throwingGetter = () =>
  Object.defineProperty({}, "name", { enumerable: true, get: () => { throw new Error("getter says no"); } });
const hostileProxy = () =>
  new Proxy({}, { get: () => { throw new Error("trap"); }, ownKeys: () => { throw new Error("trap"); }, getPrototypeOf: () => { throw new Error("trap"); } });
const sparse = () => {
  const a: unknown[] = [];
  a.length = 2 ** 32 - 1;
  return a;
};

/** Values no field expects, or expects only in a narrow form. Factories, so each case gets fresh (mutable) copies. */
const HOSTILE: (() => unknown)[] = [
  () => undefined, () => null, () => NaN, () => Infinity, () => -Infinity, () => -0, () => 0, () => -1, () => 1.5,
  () => 2 ** 31, () => 2 ** 53 + 2, () => Number.MAX_VALUE, () => 1e-300, () => 10n, () => Symbol("s"), () => () => 1,
  () => new Date(0), () => new Map([["a", 1]]), () => new Set([1]), () => /re/, () => new Uint8Array(3),
  () => new (class Thing { a = 1 })(), () => Promise.resolve({}),
  () => "", () => " ", () => "x".repeat(1 << 20), () => "../x", () => "a/b", () => "/etc/passwd", () => "..", () => ".",
  () => "a\\b", () => "~/.ssh", () => "__proto__", () => "constructor", () => "prototype", () => "hasOwnProperty",
  () => "ünïcødé", () => "😀", () => "\u202Eevil", () => "a\u200Bb", () => "e\u0301", () => "\uD800", () => "x\uDC00",
  () => "\u0000", () => "line\nservices/x/service.ts: forged: line — ok", () => "\u001b[31mred", () => "a — b",
  () => "UPPER", () => "-lead", () => "trail-", () => "a".repeat(64), () => "0755", () => "yes", () => "on", () => "1e3",
  () => "0x1F", () => "{domain}", () => "{evil}", () => "https://", () => "https://a b", () => "http://x", () => "${x}",
  () => true, () => false, () => [], () => [1, "a", null], () => [[[]]], () => ({}), () => ({ a: 1 }),
  () => nest(5000, 1), () => nest(60, []), () => Array.from({ length: 10_000 }, (_, i) => i), () => sparse(),
  () => JSON.parse('{"__proto__": {"polluted": true}}'), () => Object.create(null), () => Object.create({ inherited: 1 }),
  () => throwingGetter(), () => hostileProxy(), () => cyclic(),
];

/** Names for renamed or added files: prototype names, path-like names, oversized and non-ASCII ones, duplicates. */
const NAMES = [
  "constructor", "prototype", "__proto__", "tostring", "valueof", "../x", "a/b", "..", "x".repeat(300), "ünï", "UPPER",
  "", "a b", "default-deny", "x\ny", "zz", "argocd", "dev", "prod", "payments", "accounts",
];

/** Values close to the original: off by one, scaled, re-typed, padded; these reach the deeper cross-checks. */
function near(random: Random, v: unknown): unknown {
  if (typeof v === "number") return pick(random, [v + 1, v - 1, -v, v * 1000, v + 0.5, String(v), 0, 2 ** 31])!;
  if (typeof v === "string")
    return pick(random, [v.toUpperCase(), `${v}-`, `-${v}`, v.repeat(40), `${v}/x`, `../${v}`, ` ${v}`, `${v}\u0301`, v.slice(1), `${v}${v}`])!;
  if (Array.isArray(v)) return pick(random, [[...v, ...v], [], [v[0], v[0]], [...v].reverse(), v.length ? v.slice(1) : [1]])!;
  if (typeof v === "object" && v !== null) return pick(random, [{}, [], Object.values(v), { ...v, ...v }])!;
  return pick(random, HOSTILE)();
}

type Path = (string | number)[];
type Mutable = { file: string; value: unknown };
interface Case {
  readonly estate: Mutable;
  readonly environments: Mutable[];
  readonly services: Mutable[];
}

const isNode = (v: unknown): v is Record<string | number, unknown> => typeof v === "object" && v !== null;

/** Every path to a value in `v` (plain data only: the loaded config is plain). */
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (at.length > 12) return out;
  try {
    if (Array.isArray(v)) v.slice(0, 50).forEach((x, i) => paths(x, [...at, i], out));
    else if (isNode(v)) for (const k of Object.keys(v).slice(0, 50)) paths(v[k], [...at, k], out);
  } catch {
    // a hostile value from an earlier mutation (a proxy or getter that throws): not walked into
  }
  return out;
}

const setOwn = (o: object, key: PropertyKey, value: unknown) =>
  Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });

const nameOf = (m: Mutable) => (m.file.startsWith("services/") ? m.file.split("/")[1]! : m.file.slice("environments/".length, -3));

/** One mutation, described for the failure message. */
function mutate(c: Case, random: Random): string {
  const files = [c.estate, ...c.environments, ...c.services];
  const op = random();
  // A value somewhere in a file (not the file's root).
  const at = () => {
    const file = pick(random, files);
    const all = paths(file.value).filter((p) => p.length > 0);
    if (all.length === 0) return undefined;
    const path = pick(random, all);
    let parent = file.value as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    return { file, path, parent, key: path.at(-1)! };
  };
  if (op < 0.3) {
    const t = at();
    if (!t) return "nothing";
    const value = random() < 0.5 ? pick(random, HOSTILE)() : near(random, t.parent[t.key]);
    setOwn(t.parent, t.key, value);
    return `set ${t.file.file}:${t.path.join(".")}`;
  }
  if (op < 0.42) {
    const t = at();
    if (!t) return "nothing";
    if (Array.isArray(t.parent)) t.parent.splice(Number(t.key), 1);
    else delete t.parent[t.key];
    return `delete ${t.file.file}:${t.path.join(".")}`;
  }
  if (op < 0.52) {
    // A hostile key beside a real one (prototype names as own keys included), or the real one renamed.
    const t = at();
    if (!t || Array.isArray(t.parent)) return "nothing";
    const key = pick(random, [...NAMES, "__proto__", "constructor", "prototype", "toString", "A\nB", "\u202E", "K".repeat(5000), "PAYMENTS_URL", "LOG_LEVEL"]);
    setOwn(t.parent, key, t.parent[t.key]);
    if (random() < 0.5) delete t.parent[t.key];
    return `key ${t.file.file}:${t.path.join(".")} → ${JSON.stringify(key).slice(0, 40)}`;
  }
  if (op < 0.64) {
    // Rename an environment or a service, file and name together, and (half the time) every reference to it.
    const list = random() < 0.5 ? c.environments : c.services;
    if (list.length === 0) return "nothing";
    const m = pick(random, list);
    const from = nameOf(m);
    const to = pick(random, NAMES);
    m.file = list === c.services ? `services/${to}/service.ts` : `environments/${to}.ts`;
    if (isNode(m.value)) setOwn(m.value, "name", to);
    if (random() < 0.5)
      for (const s of c.services) {
        const v = s.value as { environments?: unknown; dependsOn?: unknown };
        if (list === c.environments && isNode(v?.environments) && Object.hasOwn(v.environments, from)) {
          setOwn(v.environments, to, v.environments[from]);
          delete v.environments[from];
        }
        if (list === c.services && Array.isArray(v?.dependsOn)) v.dependsOn = v.dependsOn.map((d) => (d === from ? to : d));
      }
    return `rename ${from} → ${JSON.stringify(to).slice(0, 40)}`;
  }
  if (op < 0.74) {
    // Another file: a copy of an environment or service under a new name (or a duplicate of an existing one).
    const list = random() < 0.5 ? c.environments : c.services;
    if (list.length === 0) return "nothing";
    const copy = { ...pick(random, list) };
    try {
      copy.value = structuredClone(copy.value);
    } catch {
      // holds a getter, proxy or function from an earlier mutation: share it
    }
    const to = pick(random, NAMES);
    copy.file = list === c.services ? `services/${to}/service.ts` : `environments/${to}.ts`;
    if (random() < 0.7 && isNode(copy.value)) setOwn(copy.value, "name", to);
    list.push(copy);
    return `add ${JSON.stringify(copy.file).slice(0, 60)}`;
  }
  if (op < 0.8) {
    const list = random() < 0.5 ? c.environments : c.services;
    if (list.length === 0) return "nothing";
    const [gone] = list.splice(Math.floor(random() * list.length), 1);
    return `remove ${gone!.file}`;
  }
  if (op < 0.85) {
    const file = pick(random, files);
    file.value = pick(random, HOSTILE)();
    return `replace ${file.file}`;
  }
  // An array where an object goes, or an object where an array goes, somewhere deep.
  const t = at();
  if (!t) return "nothing";
  const v = t.parent[t.key];
  setOwn(t.parent, t.key, Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [i, x])) : isNode(v) ? Object.values(v) : [v]);
  return `reshape ${t.file.file}:${t.path.join(".")}`;
}

const short = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]|[\ud800-\udfff]/u;
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** The checks on a valid estate: safe paths, UTF-8 clean bytes, deployments exactly as configured. */
function checkValid(c: Case, files: ReadonlyMap<string, string>, deployments: readonly { service: string; environment: string }[]): void {
  for (const [path, content] of files) {
    expect(SAFE_FILE.test(path) && !path.split("/").some((p) => p === "." || p === ".."), `unsafe path ${short(JSON.stringify(path))}`).toBe(true);
    expect(!(/[\ud800-\udfff]/.test(content) && LONE.test(content)), `${path} does not survive UTF-8`).toBe(true);
  }
  const asked = new Set<string>();
  const envNames = new Set(c.environments.map(nameOf));
  for (const s of c.services) {
    const envs = (s.value as { environments: object }).environments;
    for (const e of Object.keys(envs)) if (envNames.has(e)) asked.add(`${e}/${nameOf(s)}`);
  }
  expect(new Set(deployments.map((d) => `${d.environment}/${d.service}`))).toEqual(asked);
}

/** The checks on problems: each names one of the files and a field path, on one clean, bounded line. */
function checkProblems(c: Case, problems: readonly Problem[]): void {
  expect(problems.length).toBeGreaterThan(0);
  const files = new Set([c.estate, ...c.environments, ...c.services].map((m) => m.file));
  const roots = new Map([c.estate, ...c.environments, ...c.services].map((m) => [m.file, m.value]));
  for (const p of problems) {
    const line = formatProblem(p);
    expect(files.has(p.file), `names no config file: ${short(line)}`).toBe(true);
    expect(p.message.length > 0 && p.fix.length > 0, short(line)).toBe(true);
    expect(UNSAFE.test(line), `control, bidi or surrogate characters in ${short(JSON.stringify(line))}`).toBe(false);
    expect(line.length, short(line)).toBeLessThan(1200);
    // A whole-file problem only when the whole file is wrong: its export is not an object at all.
    if (p.path === "") {
      const root = roots.get(p.file);
      let plainObject = false;
      try {
        plainObject = typeof root === "object" && root !== null && !Array.isArray(root) && Object.getPrototypeOf(root) === Object.prototype;
      } catch {
        // a proxy that throws: not a plain object
      }
      expect(plainObject, `no field path: ${short(line)}`).toBe(false);
    }
    // The file as it is when it is a plain path, quoted when it is not; then the field path.
    expect(line.startsWith(/^[A-Za-z0-9_.\/-]+$/.test(p.file) ? `${p.file}: ${p.path || "(file)"}: ` : '"'), short(line)).toBe(true);
    expect(line.split(" — ").length, `one separator between message and fix: ${short(line)}`).toBe(2);
  }
}

/**
 * The generator's renderObjects, with each deployment's objects memoised by the deployment's resolved value (a
 * pure function of it): most valid cases differ from the example in one service, and rendering dominates the time.
 */
const memo = new Map<string, RenderedObject[]>();
function render(estate: ResolvedEstate): Map<string, string> {
  const workloads = estate.deployments.flatMap((d) => {
    const key = JSON.stringify(d);
    let objects = memo.get(key);
    if (!objects) memo.set(key, (objects = renderDeployment(d)));
    return objects;
  });
  return new Map(renderFiles([...workloads, ...argocdObjects(estate, folderKinds(workloads))])).set("README.md", estateReadme(estate));
}

describe("mutated config", () => {
  it(`never crashes, never escapes generated/, always names file and field (seed ${SEED}, ${CASES} cases)`, async () => {
    const loaded = await load(REPO);
    expect(loaded.problems).toEqual([]);
    const base = loaded.sources!;
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const random = prng(SEED);
    const tally = { valid: 0, invalid: 0, mutations: 0 };
    const failures: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const copy = (s: SourceFile): Mutable => ({ file: s.file, value: structuredClone(s.value) });
      const c: Case = { estate: copy(base.estate), environments: base.environments.map(copy), services: base.services.map(copy) };
      const applied: string[] = [];
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) applied.push(mutate(c, random));
      tally.mutations += applied.length;
      try {
        const result = resolve(c as Sources);
        if (result.ok) {
          checkValid(c, render(result.estate), result.estate.deployments);
          expect(LONE.test(codeowners(result.estate)), "CODEOWNERS does not survive UTF-8").toBe(false);
          tally.valid++;
        } else {
          checkProblems(c, result.problems);
          tally.invalid++;
        }
        expect(Object.getOwnPropertyNames(Object.prototype).sort(), "Object.prototype changed").toEqual(prototypeKeys);
        expect(({} as Record<string, unknown>).polluted, "Object.prototype polluted").toBeUndefined();
      } catch (error) {
        // Keep going: one run shows every distinct way the cases fail, each shortened and reproducible by its index.
        const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
        failures.push(`case ${i} (FUZZ_SEED=${SEED}) after ${applied.join("; ")}:\n${detail.slice(0, 1500)}`);
        if (failures.length >= 20) break;
      }
    }
    expect(failures, failures.join("\n\n")).toEqual([]);
    expect(tally.valid + tally.invalid).toBe(CASES);
    // Both outcomes are exercised, not just one.
    expect(tally.valid).toBeGreaterThan(CASES / 20);
    expect(tally.invalid).toBeGreaterThan(CASES / 2);
    console.log(`fuzz: seed ${SEED}, ${CASES} cases (${tally.mutations} mutations): ${tally.valid} valid, ${tally.invalid} rejected with problems`);
  });
});
