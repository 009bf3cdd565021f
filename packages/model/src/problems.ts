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
export function fromZod(file: string, error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    const input = "input" in issue ? issue.input : undefined;
    switch (issue.code) {
      case "unrecognized_keys":
        return issue.keys.map((key) =>
          problem(file, [...issue.path, key], `is not a known field — remove it or fix its spelling`),
        );
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
