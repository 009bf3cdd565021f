/**
 * Bad input at scale: thousands of seeded mutations of the real example config, each resolved and rendered in
 * memory. Every case must end in either a valid render whose files all stay inside generated/, or problems that
 * each name a file and say what is wrong and how to fix it — never an exception.
 */
import { resolve as resolvePath } from "node:path";
import { describe, expect, it } from "vitest";
import { load, renderFiles, renderObjects } from "@gitops/generator";
import { formatProblem, resolve, type Sources } from "@gitops/model";

const ROOT = resolvePath(import.meta.dirname, "../..");
const SEED = 20261122;
const CASES = 3000;

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const hostile: unknown[] = [
  undefined, null, 0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, "", " ", "x".repeat(100_000), "../x", "a/b", "/etc/passwd",
  "__proto__", "constructor", "prototype", "ünïcødé", "😀", "UPPER", "-lead", "trail-", "a".repeat(64), true, false, [], [1, 2], {}, { a: 1 },
  { __proto__: { polluted: true } }, "0755", "yes", "${domain}", "{domain}", "https://", "https://prod.k8s.acme.dev",
];

type Node = Record<string, unknown> | unknown[];
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null;

/** Every path to a value inside `v`. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (isNode(v)) for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...at, k], out);
  return out;
}

function mutate(sources: Sources, random: () => number): Sources {
  const copy = structuredClone(sources) as unknown as { estate: { value: unknown }; environments: { value: unknown }[]; services: { value: unknown }[] };
  const files = [copy.estate, ...copy.environments, ...copy.services];
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const file = files[Math.floor(random() * files.length)]!;
    const all = paths(file.value).filter((p) => p.length > 0);
    const path = all[Math.floor(random() * all.length)]!;
    let parent = file.value as Node;
    for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[k] as Node;
    const key = path.at(-1)!;
    const op = random();
    const record = parent as Record<string | number, unknown>;
    if (op < 0.25 && !Array.isArray(parent)) delete record[key];
    else if (op < 0.45 && !Array.isArray(parent)) {
      // a hostile key beside the real one (prototype names included), or a renamed key
      const k = String(hostile[Math.floor(random() * hostile.length)] ?? "__proto__");
      Object.defineProperty(parent, k, { value: record[key], enumerable: true, configurable: true, writable: true });
    } else record[key] = structuredClone(hostile[Math.floor(random() * hostile.length)]);
  }
  return copy as unknown as Sources;
}

describe("mutated config", () => {
  it(`never crashes, never escapes generated/, always names file and field (seed ${SEED}, ${CASES} cases)`, async () => {
    const loaded = await load(ROOT);
    expect(loaded.problems).toEqual([]);
    const random = prng(SEED);
    let valid = 0;
    let invalid = 0;
    for (let i = 0; i < CASES; i++) {
      const sources = mutate(loaded.sources!, random);
      let result: ReturnType<typeof resolve>;
      try {
        result = resolve(sources);
        if (result.ok) {
          const files = renderFiles(renderObjects(result.estate));
          for (const path of files.keys()) {
            expect(path, `case ${i}`).not.toMatch(/(^|\/)\.\.(\/|$)|^\//);
          }
          valid++;
        } else {
          for (const p of result.problems) {
            expect(p.file, `case ${i}: ${formatProblem(p)}`).toMatch(/^(environments|services)\//);
            expect(p.message.length, `case ${i}`).toBeGreaterThan(0);
            expect(p.fix.length, `case ${i}: ${formatProblem(p)}`).toBeGreaterThan(0);
            expect(formatProblem(p)).toMatch(/^\S+\.ts: .+: .+ — .+/s);
          }
          invalid++;
        }
      } catch (error) {
        throw new Error(`case ${i} (seed ${SEED}) threw: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
    expect(valid + invalid).toBe(CASES);
    expect(invalid).toBeGreaterThan(CASES / 2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    console.log(`fuzz: seed ${SEED}, ${CASES} cases, ${valid} valid, ${invalid} rejected with problems`);
  });
});
