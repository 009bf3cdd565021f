/**
 * Problems are data: the source file, the field path inside what that file exports, what is wrong and how to
 * fix it. Every stage collects them all and the CLI prints them together.
 */
import type { z } from "zod";

export interface Problem {
  /** Repository-relative path of the file that holds the faulty value. */
  readonly file: string;
  /** Dotted field path inside the file's export, e.g. `environments.prod.replicas`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/**
 * `file: path: message — fix`, the one wording every command uses: always one line, whatever the config holds.
 * Control characters, bidi overrides and the like are escaped, so a key or a file name cannot forge a second
 * problem line, recolour the terminal or reorder what a reviewer sees.
 */
export function formatProblem(p: Problem): string {
  const file = SIMPLE_FILE.test(p.file) ? p.file : quote(p.file, 120);
  return escapeUnsafe(`${file}: ${p.path || "(file)"}: ${p.message} — ${p.fix}`);
}

const SIMPLE_FILE = /^[A-Za-z0-9_.\/-]+$/;

/** Orders problems by file, then path, so output does not depend on discovery order. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => cmp(a.file, b.file) || cmp(a.path, b.path) || cmp(a.message, b.message));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `environments.prod.replicas`, `dependsOn[1]`: names as written when they look like names, anything else (a key
 * with spaces, dots, slashes, control characters, or a very long one) quoted and shortened: `config["a b"]`.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) =>
      typeof k === "number" ? `[${k}]`
      : typeof k === "string" && SIMPLE_KEY.test(k) ? `${i === 0 ? "" : "."}${k}`
      : `[${quote(String(k), 40)}]`,
    )
    .join("");
}

const SIMPLE_KEY = /^[A-Za-z0-9_$-]{1,64}$/;

/** A string as a JSON literal, shortened to about `max` characters, with nothing in it that could break a line. */
export function quote(text: string, max = 40): string {
  const short = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  // JSON escapes control characters and lone surrogates; an em dash would read as the message/fix separator.
  return escapeUnsafe(JSON.stringify(short)).replaceAll("—", "\\u2014");
}

/** A UTF-16 surrogate without its pair: no UTF-8 file can hold it (it is written as U+FFFD). */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Control characters, bidi overrides, zero-width characters and lone surrogates, as \uXXXX escapes. */
export function escapeUnsafe(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * One line saying what a thrown value was, whatever it is (an Error, a string, an object without a prototype, one
 * whose \`message\` getter throws), never throwing itself: first line only, escaped, at most \`max\` characters.
 */
export function errorText(error: unknown, max = 200): string {
  let text: string;
  try {
    if (error instanceof Error) text = String(error.message);
    else if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") text = error.message;
    else if (typeof error === "string") text = error;
    else text = `a thrown ${error === null ? "null" : Array.isArray(error) ? "array" : typeof error}`;
  } catch {
    text = "an error that could not be read";
  }
  const first = text.split(/\r?\n/).map((l) => l.trim()).find(Boolean) ?? "unknown error";
  // " — " separates what is wrong from the fix in a problem: keep it out of quoted text.
  const line = escapeUnsafe(first).replaceAll(" — ", " - ");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Builds a problem from a message written as "what is wrong — how to fix it". */
export function problem(file: string, path: readonly PropertyKey[], text: string): Problem {
  const at = text.indexOf(" — ");
  return at < 0
    ? { file, path: formatPath(path), message: text, fix: "see the README's configuration reference" }
    : { file, path: formatPath(path), message: text.slice(0, at), fix: text.slice(at + 3) };
}

/**
 * Turns zod's issues into problems; the schemas' own messages carry the fix, the rest get one here. Parse with
 * `reportInput: true` so that wrong values can be quoted back (`not the string "8080"`).
 */
export function fromZod(file: string, error: z.ZodError, schema?: z.ZodType): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    const input = "input" in issue ? issue.input : undefined;
    switch (issue.code) {
      case "unrecognized_keys": {
        const known = schema ? keysAt(schema, issue.path) : [];
        return issue.keys.map((key) => {
          const near = closest(key, known);
          return problem(file, [...issue.path, key], `is not a known field — ${near !== undefined ? `did you mean ${near}? Rename it, or remove it` : "remove it or fix its spelling"}`);
        });
      }
      case "invalid_type": {
        // zod 4 leaves `input` off issues unless asked; its message still says what it received.
        const received = /received (\w+)/.exec(issue.message)?.[1];
        const missing = received === "undefined" || (received === undefined && input === undefined);
        return [
          problem(
            file,
            issue.path,
            missing
              ? `is required — add it (${typeName(issue.expected)})`
              : `must be ${article(typeName(issue.expected))}, not ${input !== undefined ? describe(input) : (received ?? "that")} — change its value`,
          ),
        ];
      }
      case "invalid_value": {
        const options = issue.values.map((v) => JSON.stringify(v)).join(", ");
        return [
          input === undefined
            ? problem(file, issue.path, `is required — add it (one of ${options})`)
            : problem(file, issue.path, `must be one of ${options}, not ${typeof input === "string" ? quote(input) : describe(input)} — pick one`),
        ];
      }
      case "invalid_key": {
        // A record key that fails its schema: the key schema's own message says what a key must look like.
        const inner = issue.issues.find((i) => i.message.includes(" — "));
        return [problem(file, issue.path, inner ? inner.message : `is not a valid name here — ${issue.message.toLowerCase()}; rename it`)];
      }
      case "invalid_union": {
        // A union of plain types (config values: string, number or boolean): name them all, and what was given.
        const expected = issue.errors.map((branch) => (branch.length === 1 && branch[0]!.code === "invalid_type" && branch[0]!.path.length === 0 ? branch[0]!.expected : undefined));
        if (expected.length > 0 && expected.every((e) => e !== undefined)) {
          const names = expected.map((e) => article(typeName(e)));
          const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} or ${names.at(-1)!}`;
          return [problem(file, issue.path, input === undefined ? `is required — add it (${list})` : `must be ${list}, not ${describe(input)} — change its value`)];
        }
        return [problem(file, issue.path, `${issue.message} — change its value`)];
      }
      case "too_small":
      case "too_big":
      case "invalid_format":
      case "custom":
        return [problem(file, issue.path, issue.message.includes(" — ") ? issue.message : `${issue.message} — change its value`)];
      default:
        return [problem(file, issue.path, `${issue.message} — change its value`)];
    }
  });
}

/** zod's type names, in the words people use. */
function typeName(expected: string): string {
  return expected === "int" ? "whole number" : expected === "record" ? "object" : expected;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && !Number.isInteger(value)) return `the fraction ${value}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (typeof value === "bigint") return `the bigint ${String(value).slice(0, 30)}n`;
  if (typeof value === "string") return `the string ${quote(value)}`;
  return `the ${typeof value} ${String(value)}`;
}

/**
 * The fix for a name that is none of `candidates`: the closest one when the name looks like its typo, and the
 * candidates (the ten nearest when there are more: an estate of thousands of services is not one line).
 */
export function oneOf(name: string, candidates: Iterable<string>): string {
  const all = [...new Set(candidates)].sort();
  const near = closest(name, all);
  const listed =
    all.length <= 10
      ? all.join(", ")
      : `${all.map((c) => [distance(name, c), c] as const).sort((a, b) => a[0] - b[0] || cmp(a[1], b[1])).slice(0, 10).map(([, c]) => c).join(", ")}, … (${all.length} in all)`;
  return near !== undefined ? `did you mean ${near}? (${all.length <= 10 ? "one of" : "nearest"}: ${listed})` : `use one of ${listed}`;
}

/** The candidate a name most likely misspells: within a third of its length in edits (at least one), ties by order. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    if (c === name) continue;
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d <= limit && (best === undefined || d < best.d || (d === best.d && c < best.c))) best = { c, d };
  }
  return best?.c;
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Math.abs(a.length - b.length);
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The keys the object schema at `path` accepts, through optional, default, record, array and pipe; none elsewhere. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  type Def = { type: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown>; valueType?: unknown; element?: unknown };
  const defOf = (s: unknown) => (s as { _zod?: { def?: Def } } | undefined)?._zod?.def;
  const unwrap = (s: unknown): unknown => {
    for (let d = defOf(s); d; d = defOf(s)) {
      if (d.innerType !== undefined && ["optional", "nullable", "default", "prefault", "readonly", "nonoptional", "catch"].includes(d.type)) s = d.innerType;
      else if (d.type === "pipe") s = d.in;
      else break;
    }
    return s;
  };
  let s = unwrap(schema);
  for (const key of path) {
    const d = defOf(s);
    if (d?.type === "object" && typeof key === "string") s = d.shape?.[key];
    else if (d?.type === "record") s = d.valueType;
    else if (d?.type === "array") s = d.element;
    else return [];
    s = unwrap(s);
  }
  const d = defOf(s);
  return d?.type === "object" ? Object.keys(d.shape ?? {}) : [];
}
