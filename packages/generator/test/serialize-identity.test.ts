/**
 * The fast emitter must write exactly what the `yaml` package writes with YAML_OPTIONS, byte for byte: on every
 * object the generator renders, on strings chosen to hit every quoting rule, and on seeded random documents.
 * `yaml` stays the reference; nothing here is timed.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Document, parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { build } from "../src/generate.ts";
import { emitFast, emitYaml, goYamlNumber, PLAIN_TAG_TESTS, referenceYaml, toYaml, header, YAML_OPTIONS } from "../src/serialize.ts";

const REPO = resolve(import.meta.dirname, "../../..");
const FIXTURES = resolve(REPO, "test/fixtures");

/** The minimal fixture estate with the yaml11 fixture's service (a ConfigMap of YAML traps) layered on top. */
function yaml11Estate(): string {
  const root = mkdtempSync(join(tmpdir(), "gitops-serialize-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
  for (const layer of ["minimal", "yaml11"])
    for (const dir of ["environments", "services"])
      if (existsSync(join(FIXTURES, layer, dir))) cpSync(join(FIXTURES, layer, dir), join(root, dir), { recursive: true, force: true });
  return root;
}

/**
 * Asserts the fast path writes the reference bytes. It must handle `value` itself unless a key renders longer
 * than 1024 characters (yaml then writes an explicit `? key`, which is left to yaml).
 */
function same(value: unknown, label = JSON.stringify(value)?.slice(0, 120)) {
  const reference = referenceYaml(value);
  const fast = emitFast(value);
  if (fast === undefined && longKey(value)) return expect(emitYaml(value), label).toBe(reference);
  expect(fast, label).toBeDefined();
  expect(fast, label).toBe(reference);
}
const longKey = (v: unknown): boolean =>
  typeof v === "object" && v !== null && (Array.isArray(v) ? v.some(longKey) : Object.entries(v).some(([k, x]) => k.length > 1000 || longKey(x)));

/** Strings that exercise each branch: YAML 1.1 booleans/nulls/numbers, indicators, quotes, whitespace, escapes. */
const ADVERSARIAL = [
  ...["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "true", "True", "TRUE", "false", "False", "FALSE"],
  ...["~", "null", "Null", "NULL", "", " ", "  ", "\t", "\n", "\n\n", " \n", "\n ", "yEs", "nO", "oN", "y2", "n/a"],
  ...["0", "00", "0755", "0o17", "0O17", "0b101", "0B1", "0x1F", "0X1f", "0x_1", "+0x1", "-0", "-1", "+1", "1_000", "1__0", "_1", "1e3", "1E3", "1e+3", "1.5e-3", "1e1_0", "+_0x1", "-_1", ".5", "5.", ".", "-.", "+.", "1.2.3", "1:20", "1:20:30", "-1:20", "1:20.5", "190:20:30", "1:60", ".inf", "-.inf", "+.Inf", ".nan", ".NaN", ".NAN", "nan", "inf", "Infinity", "NaN", "e3", "1e", "1_e3", "0x", "0b", "08", "09", "0.", "0.0.0"],
  ...["2024-01-01", "2024-1-1", "2024-01-01T10:00:00Z", "2024-01-01 10:00:00 +02:00", "2024-01-01t1:2:3.45-3", "10:00", "1.2.3-rc.1", "v1.0.0", "3.2.0"],
  ...["=", "<<", "<", ">", "|", "!", "&", "*", "%", "@", "`", "#", "-", "?", ":", ",", "[", "]", "{", "}", "'", '"', "\\", "- a", "? a", ": a", "-a", "?a", ":a", "a:", "a: b", "a:b", "a :b", "a #b", "a#b", "#a", "a #", "a\t#b", "!tag", "&anchor", "*alias", "%YAML", "@at", "`tick`"],
  ...["---", "--- a", "---a", "...", "... a", "a\n---", "a\n...\nb", "%a\nb", "--", "...."],
  ...[" lead", "trail ", " both ", "\tlead", "trail\t", "a  b", "a\tb", "a\n b", "a \nb", "a\n\nb", "a\n\n\nb", "line1\nline2", "line1\nline2\n", "line1\nline2\n\n", "\nlead newline", "\n\nlead newlines", " \nx", "x\n ", "x\n\t", "x\n \n", "  indented\nnext", "\n  indented after newline", "a\r\nb", "a\rb"],
  ...["'", "''", "'a'", "a'b", '"', '""', '"a"', 'a"b', `a'b"c`, `'"`, "it's", 'say "hi"', "back\\slash", "\\n", "\\", "tab\\t"],
  ...["héllo", "日本語", "😀", "emoji 😀 in text", "\u00a0", "a\u00a0b", "\u0085", "a\u0085b", "\u2028", "a\u2028b", "\u2029", "\ufeffbom", "\u200b", "\u202e rtl", "\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x9f", "\ud800", "a\udfffb", "\ud83d\ude00"],
  ...["http://example.com", "https://x.example.com/v1?a=b&c=d#frag", "{domain}", "${VAR}", "{{.environment}}-{{.path.basename}}", "[a, b]", "{a: b}", "key=value", "a,b", "x, y"],
  "x".repeat(80),
  "word ".repeat(40),
  `${"long line ".repeat(20)}\n${"another ".repeat(20)}\n`,
  "spec:\n  syncPolicy:\n    automated:\n      allowEmpty: {{ .allowEmpty }}\n",
  "a".repeat(1030),
];

describe("the fast emitter against yaml", () => {
  it("tests plain strings with exactly the YAML 1.1 schema's default tags plus the compat tag", () => {
    const schema = new Document(null, YAML_OPTIONS).schema;
    const fromYaml = schema.tags
      .filter((t) => t.default && t.tag !== "tag:yaml.org,2002:str" && t.test)
      .map((t) => String(t.test));
    const compat = (schema.compat ?? []).filter((t) => t.default && t.test);
    expect(compat).toEqual([goYamlNumber]);
    expect(PLAIN_TAG_TESTS.slice(0, -1).map(String)).toEqual(fromYaml);
    expect(PLAIN_TAG_TESTS.at(-1)).toBe(goYamlNumber.test);
  });

  it("writes every adversarial string identically as a value, a key, a list item and deep inside", () => {
    for (const s of ADVERSARIAL) {
      same({ data: { value: s } }, `value ${JSON.stringify(s)}`);
      same({ [s]: "x", other: 1 }, `key ${JSON.stringify(s)}`);
      same({ [s]: { [s]: [s] } }, `nested key ${JSON.stringify(s)}`);
      same([s, [s], { k: s }], `item ${JSON.stringify(s)}`);
      same({ a: { b: { c: { d: [{ e: s }] } } } }, `deep ${JSON.stringify(s)}`);
    }
  });

  it("writes a ConfigMap of YAML 1.1 look-alikes as yaml does", () => {
    const data = Object.fromEntries(ADVERSARIAL.map((s, i) => [`K${i}`, s]));
    same({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "flags" }, data });
  });

  it("writes numbers, booleans, null, empty and nested collections as yaml does", () => {
    same({ a: 0, b: -1, c: 1.5, d: -0, e: 1e21, f: 1e-7, g: Number.MAX_SAFE_INTEGER, h: NaN, i: Infinity, j: -Infinity, k: 0.1 + 0.2 });
    same({ t: true, f: false, n: null, u: undefined, e: {}, l: [], nested: { e: {}, l: [], ll: [[]], lm: [{}] } });
    same([[1, [2, [3, []]]], [{ a: [{ b: {} }] }], {}, []]);
    same({ "1": "numeric key first", a: 1, "0": 0, "-1": "negative key" });
    same(Object.assign(Object.create(null) as object, { nullProto: true }));
  });

  it("hands what it does not port to yaml, which still writes the reference bytes", () => {
    const unusual: unknown[] = [
      [1, undefined, 2],
      [1, , 3], // a hole
      { d: new Date(0) },
      { m: new Map([["a", 1]]) },
      { s: new Set([1]) },
      { b: 10n },
      { j: { toJSON: () => "converted" } },
      { ["k".repeat(1100)]: 1 },
      "a root string",
      42,
      null,
    ];
    for (const v of unusual) expect(emitYaml(v)).toBe(referenceYaml(v));
    expect(emitFast([1, undefined])).toBeUndefined();
    expect(emitFast({ d: new Date(0) })).toBeUndefined();
  });

  it("agrees on 3,000 seeded random documents", () => {
    let seed = 20261122;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const alphabet = ["a", "b", "Z", "0", "1", "7", "9", " ", " ", "\n", "\t", ":", "#", "-", "?", "'", '"', "\\", ".", "_", "e", "x", "%", "@", "`", "|", ">", "{", "}", "[", "]", ",", "&", "*", "!", "é", "日", "😀", "\u2028", "\x00", "\x1b", "\u00a0", "\ud800", "=", "~", "<"];
    const string = (): string => {
      if (random() < 0.3) return pick(ADVERSARIAL);
      let s = "";
      const n = Math.floor(random() * 12);
      for (let i = 0; i < n; i++) s += pick(alphabet);
      return s;
    };
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 4 || r < 0.45) {
        const k = random();
        return k < 0.6 ? string() : k < 0.75 ? Math.floor(random() * 2000 - 1000) : k < 0.8 ? random() * 100 : k < 0.9 ? random() < 0.5 : null;
      }
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [string(), value(depth + 1)]));
    };
    for (let i = 0; i < 3000; i++) {
      const doc = random() < 0.5 ? { apiVersion: "v1", kind: "ConfigMap", data: value(0) } : value(0);
      if (typeof doc !== "object" || doc === null) continue;
      same(doc, `random document ${i}`);
    }
  });
});

describe("every object the generator renders", () => {
  for (const [name, root] of [["the repository", () => REPO], ["the minimal and yaml11 fixtures", yaml11Estate]] as const) {
    it(`is written identically to yaml's output: ${name}`, async () => {
      const result = await build(root());
      if (!result.ok) throw new Error(`${name} does not build: ${JSON.stringify(result.problems.slice(0, 3))}`);
      const { objects, files } = result.build;
      expect(objects.length).toBeGreaterThan(10);
      for (const o of objects) {
        same(o.object, o.file);
        expect(files.get(o.file)).toBe(header(o.sources) + referenceYaml(o.object));
        expect(toYaml(o.object, o.sources)).toBe(files.get(o.file));
      }
      for (const [file, text] of files)
        if (file.endsWith("kustomization.yaml")) {
          const body = text.slice(text.indexOf("\napiVersion:") + 1);
          expect(referenceYaml(parse(body, { version: "1.1" }))).toBe(body);
        }
    });
  }
});
