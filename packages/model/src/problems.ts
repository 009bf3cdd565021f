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

/** `file: path: message — fix`, the one wording every command uses. */
export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.path || "(file)"}: ${p.message} — ${p.fix}`;
}

/** Orders problems by file, then path, so output does not depend on discovery order. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => cmp(a.file, b.file) || cmp(a.path, b.path) || cmp(a.message, b.message));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : `${i === 0 ? "" : "."}${String(k)}`))
    .join("");
}

/** Builds a problem from a message written as "what is wrong — how to fix it". */
export function problem(file: string, path: readonly PropertyKey[], text: string): Problem {
  const at = text.indexOf(" — ");
  return at < 0
    ? { file, path: formatPath(path), message: text, fix: "see the README's configuration reference" }
    : { file, path: formatPath(path), message: text.slice(0, at), fix: text.slice(at + 3) };
}

/** Turns zod's issues into problems; the schemas' own messages carry the fix, the rest get one here. */
export function fromZod(file: string, error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    switch (issue.code) {
      case "unrecognized_keys":
        return issue.keys.map((key) =>
          problem(file, [...issue.path, key], `is not a known field — remove it or fix its spelling`),
        );
      case "invalid_type": {
        // zod 4 leaves `input` off issues by default; its message still says what it received.
        const received = /received (\w+)/.exec(issue.message)?.[1];
        const missing = received === "undefined" || (received === undefined && issue.input === undefined);
        return [
          problem(
            file,
            issue.path,
            missing
              ? `is required — add it (${issue.expected})`
              : `must be ${article(issue.expected)}, not ${issue.input !== undefined ? describe(issue.input) : (received ?? "that")} — change its value`,
          ),
        ];
      }
      case "invalid_value":
        return [problem(file, issue.path, `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")} — pick one`)];
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

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && !Number.isInteger(value)) return `the fraction ${value}`;
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}
