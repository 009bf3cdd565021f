/**
 * Config is code, so a file's default export is whatever that code built: it may hold getters or proxies that
 * throw, class instances, cycles, `__proto__` as an own key (which the schemas would silently drop), strings no
 * UTF-8 file can hold (a lone surrogate would be written as U+FFFD, so `generate --check` would call the tree
 * stale forever), or sparse arrays of four billion holes. `plain` reads the export exactly once into plain data
 * (own enumerable string keys, arrays as arrays) and reports each such value as a problem at its field path, so
 * the schemas only ever see plain data and nothing the file exports can throw later.
 */
import { errorText, LONE_SURROGATE, problem, type Problem } from "./problems.ts";

/** Any surrogate: a cheap test first, as most strings hold none. */
const SURROGATE = /[\ud800-\udfff]/;
/** Deeper than any schema goes: anything nested further is a mistake, and would only cost time to copy. */
const MAX_DEPTH = 64;
/** No config list comes close (command, args, dependsOn, waivers); a longer array is a mistake. */
const MAX_ITEMS = 10_000;

export function plain(file: string, value: unknown): { value: unknown; problems: Problem[] } {
  const problems: Problem[] = [];
  const stack = new Set<object>();
  const fault = (path: PropertyKey[], text: string) => problems.push(problem(file, path, text));

  const copy = (v: unknown, path: PropertyKey[]): unknown => {
    if (typeof v === "string") {
      if (SURROGATE.test(v) && LONE_SURROGATE.test(v)) fault(path, "holds malformed unicode (a lone surrogate, e.g. a broken \\u escape) — write the character whole or remove it");
      return v;
    }
    if (typeof v !== "object" || v === null) return v;
    if (stack.has(v)) {
      fault(path, "refers to itself (a cycle) — write the value out instead of pointing back at its parent");
      return undefined;
    }
    if (path.length >= MAX_DEPTH) {
      fault(path, `is nested more than ${MAX_DEPTH} levels deep — no field goes that deep; flatten it`);
      return undefined;
    }
    stack.add(v);
    try {
      if (Array.isArray(v)) {
        if (v.length > MAX_ITEMS) {
          fault(path, `has ${v.length} items — no list takes more than ${MAX_ITEMS}; shorten it`);
          return [];
        }
        return Array.from({ length: v.length }, (_, i) => copy(v[i], [...path, i]));
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        const name = typeof proto?.constructor?.name === "string" ? proto.constructor.name.replace(/[^\w$]/g, "").slice(0, 40) : "";
        fault(path, `is ${name ? `${/^[AEIOU]/i.test(name) ? "an" : "a"} ${name}` : "an object with a prototype"}, not plain data — write it as an object literal { … }, a list [ … ] or a plain value`);
        return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        if (key === "__proto__") {
          fault([...path, key], "is JavaScript's prototype key, never a field or a name — remove or rename it");
          continue;
        }
        if (SURROGATE.test(key) && LONE_SURROGATE.test(key)) fault([...path, key], "holds malformed unicode (a lone surrogate) — write the name whole");
        let item: unknown;
        try {
          item = (v as Record<string, unknown>)[key];
        } catch (error) {
          fault([...path, key], `could not be read: ${errorText(error)} — export plain values (no getters that throw)`);
          continue;
        }
        out[key] = copy(item, [...path, key]);
      }
      return out;
    } catch (error) {
      fault(path, `could not be read: ${errorText(error)} — export plain values (no getters or proxies that throw)`);
      return undefined;
    } finally {
      stack.delete(v);
    }
  };

  return { value: copy(value, []), problems };
}
