/**
 * The part of Go's text/template (with ArgoCD's Sprig function map) that our ApplicationSets use, evaluated the
 * way the ApplicationSet controller does in goTemplate mode: field chains (`.path.basename`), `index`, `toJson`,
 * string and integer literals, and `{{-`/`-}}` trim markers. Anything else is an error that names the action,
 * so the expander never guesses what ArgoCD would render.
 */

/** Go's `missingkey` option: `error` fails on a missing map key; the default prints `<no value>`. */
export type MissingKey = "error" | "default";

export interface TemplateOptions {
  readonly missingKey: MissingKey;
}

/** Reads `missingkey=…` from an ApplicationSet's `goTemplateOptions` (the last one wins, as Go's Option does). */
export function templateOptions(goTemplateOptions: readonly string[] | undefined): TemplateOptions {
  let missingKey: MissingKey = "default";
  for (const option of goTemplateOptions ?? []) {
    const m = /^missingkey=(.*)$/.exec(option);
    if (!m) throw new Error(`unrecognized goTemplateOptions entry "${option}"`);
    if (m[1] === "error") missingKey = "error";
    else if (m[1] === "default" || m[1] === "invalid" || m[1] === "zero") missingKey = "default";
    else throw new Error(`unrecognized option "${option}": missingkey takes error, default, invalid or zero`);
  }
  return { missingKey };
}

const NO_VALUE = "<no value>";
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which `%v` uses for JSON numbers (they decode to float64). */
export function goFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (!Number.isFinite(f)) return f > 0 ? "+Inf" : "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const [mantissa, e] = f.toExponential().split("e") as [string, string];
  const exp = Number(e);
  // With shortest digits Go switches to %e below exponent -4 and from exponent 6 (fmt.Println(1e6) is "1e+06").
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(f);
}

/** How `{{ x }}` prints a value: Go's fmt `%v` for the types JSON decodes to. */
export function goPrint(v: unknown): string {
  if (v === undefined || v === null) return NO_VALUE;
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return goFloat(v);
  if (Array.isArray(v)) return `[${v.map(goPrintNested).join(" ")}]`;
  if (isMap(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goPrintNested(v[k])}`)
      .join(" ")}]`;
  throw new Error(`cannot print ${typeof v}`);
}

/** Inside a slice or map, a nil prints as `<nil>`, not `<no value>`. */
const goPrintNested = (v: unknown): string => (v === undefined || v === null ? "<nil>" : goPrint(v));

/** Sprig's `toJson`: Go's json.Marshal, which sorts map keys and escapes `<`, `>`, `&`, U+2028 and U+2029. */
export function goJson(v: unknown): string {
  const sorted = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (isMap(x))
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sorted(x[k])]),
      );
    return x === undefined ? null : x;
  };
  return JSON.stringify(sorted(v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

type Arg = { kind: "field"; path: string[]; text: string } | { kind: "string"; value: string } | { kind: "number"; value: number };

function parseArg(word: string): Arg {
  if (word === ".") return { kind: "field", path: [], text: word };
  if (/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(word)) return { kind: "field", path: word.slice(1).split("."), text: word };
  if (/^"(?:[^"\\]|\\.)*"$/.test(word)) return { kind: "string", value: JSON.parse(word) as string };
  if (/^-?\d+$/.test(word)) return { kind: "number", value: Number(word) };
  throw new Error(`unsupported operand ${word}`);
}

/** A field chain with Go's semantics: a missing map key is an error under missingkey=error, else no value. */
function field(data: unknown, arg: Extract<Arg, { kind: "field" }>, options: TemplateOptions): unknown {
  let current: unknown = data;
  for (const key of arg.path) {
    if (current === undefined || current === null) throw new Error(`nil pointer evaluating interface {}.${key} (in ${arg.text})`);
    if (!isMap(current)) throw new Error(`can't evaluate field ${key} in type ${Array.isArray(current) ? "[]interface {}" : typeof current} (in ${arg.text})`);
    if (!Object.hasOwn(current, key)) {
      if (options.missingKey === "error") throw new Error(`map has no entry for key "${key}" (in ${arg.text})`);
      return undefined;
    }
    current = current[key];
  }
  return current;
}

function value(arg: Arg, data: unknown, options: TemplateOptions): unknown {
  return arg.kind === "field" ? field(data, arg, options) : arg.value;
}

/** Go's builtin `index`: maps return the zero value for a missing key (missingkey does not apply); slices check bounds. */
function index(target: unknown, keys: readonly unknown[]): unknown {
  let v = target;
  for (const k of keys) {
    if (Array.isArray(v)) {
      if (typeof k !== "number" || !Number.isInteger(k)) throw new Error(`cannot index slice/array with type ${typeof k}`);
      if (k < 0 || k >= v.length) throw new Error(`error calling index: index out of range: ${k}`);
      v = v[k];
    } else if (isMap(v)) {
      if (typeof k !== "string") throw new Error(`value has type ${typeof k}; should be string`);
      v = Object.hasOwn(v, k) ? v[k] : undefined;
    } else if (v === undefined || v === null) throw new Error("error calling index: index of untyped nil");
    else throw new Error(`can't index item of type ${typeof v}`);
  }
  return v;
}

function action(body: string, data: unknown, options: TemplateOptions): string {
  const words = wordsOf(body);
  if (words.includes("|")) throw new Error(`unsupported template action {{${body}}}: pipelines are not in the subset`);
  const [head, ...rest] = words;
  if (head === undefined) throw new Error("missing value for command");
  if (head === "index") {
    if (rest.length < 2) throw new Error(`wrong number of args for index in {{${body}}}`);
    const [target, ...keys] = rest.map((w) => value(argOf(w), data, options));
    return goPrint(index(target, keys));
  }
  if (head === "toJson") {
    if (rest.length !== 1) throw new Error(`wrong number of args for toJson: want 1 got ${rest.length}`);
    return goJson(value(argOf(rest[0]!), data, options));
  }
  if (rest.length === 0 && (head.startsWith(".") || head.startsWith('"') || /^-?\d+$/.test(head))) return goPrint(value(argOf(head), data, options));
  throw new Error(`unsupported template action {{${body}}}: only field chains, index and toJson are in the subset`);
}

// An ApplicationSet renders the same few template strings once per Application it generates, thousands of times:
// each text is scanned once and each action's words and operands parsed once (pure functions of the text).
const MEMO_LIMIT = 10_000;
const memo = <V>(cache: Map<string, V>, key: string, make: (key: string) => V): V => {
  let v = cache.get(key);
  if (v === undefined) {
    v = make(key);
    if (cache.size >= MEMO_LIMIT) cache.clear();
    cache.set(key, v);
  }
  return v;
};
const wordCache = new Map<string, readonly string[]>();
const wordsOf = (body: string) => memo(wordCache, body, (b) => b.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []);
const argCache = new Map<string, Arg>();
const argOf = (word: string) => memo(argCache, word, parseArg);

/** A scanned template: literals (trim markers applied) and action bodies in order, or the error that stopped the scan. */
interface Scanned {
  readonly parts: readonly { readonly literal: string; readonly body?: string }[];
  readonly error?: string;
}
const scanCache = new Map<string, Scanned>();

function scan(text: string): Scanned {
  const parts: { literal: string; body?: string }[] = [];
  let i = 0;
  let pendingTrim = false;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    let literal = text.slice(i, open < 0 ? undefined : open);
    if (pendingTrim) literal = literal.replace(/^[ \t\r\n]+/, "");
    if (open < 0) {
      parts.push({ literal });
      return { parts };
    }
    const close = text.indexOf("}}", open + 2);
    if (close < 0) return { parts, error: `unclosed action in template ${JSON.stringify(text)}` };
    let body = text.slice(open + 2, close);
    // Trim markers need a space: `{{- x}}` trims before, `{{x -}}` after; `{{-3}}` is the number -3.
    if (/^-[ \t\r\n]/.test(body)) {
      literal = literal.replace(/[ \t\r\n]+$/, "");
      body = body.slice(1);
    }
    pendingTrim = false;
    if (/[ \t\r\n]-$/.test(body)) {
      pendingTrim = true;
      body = body.slice(0, -1);
    }
    if (/^\s*\/\*/.test(body)) return { parts: [...parts, { literal }], error: "template comments are not in the subset" };
    parts.push({ literal, body });
    i = close + 2;
  }
  return { parts };
}

/** Renders `text` like Go's template.Execute with `data` as dot. Throws where Go would fail to parse or execute. */
export function renderTemplate(text: string, data: unknown, options: TemplateOptions): string {
  const { parts, error } = memo(scanCache, text, scan);
  // Go parses the whole template before executing any of it: a parse error comes before any execution error.
  if (error !== undefined) throw new Error(error);
  let out = "";
  for (const { literal, body } of parts) out += body === undefined ? literal : literal + action(body, data, options);
  return out;
}

/** True when a string holds a template action, i.e. the controller will render it. */
export const isTemplated = (s: string): boolean => s.includes("{{");
