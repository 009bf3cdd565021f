/**
 * The two pattern languages ArgoCD uses, ported so that tests can ask ArgoCD's questions offline:
 * Go's `path.Match` (git directory generators) and gobwas globs (AppProject destinations), with
 * ArgoCD's negation semantics in `isDestinationMatched`.
 */

const escape = (c: string) => c.replace(/[.+^${}()|[\]\\/*?-]/g, "\\$&");

/** A `[...]` character class starting at `i`: its regex source and the index after `]`, or undefined if unterminated. */
function charClass(pattern: string, i: number, exclude: string): { source: string; end: number } | undefined {
  let j = i + 1;
  let negate = false;
  if (pattern[j] === "^" || pattern[j] === "!") {
    negate = true;
    j++;
  }
  let body = "";
  let first = true;
  for (; j < pattern.length; j++) {
    const c = pattern[j]!;
    if (c === "]" && !first) return { source: negate ? `[^${body}${exclude}]` : `(?![${exclude}])[${body}]`, end: j + 1 };
    first = false;
    if (c === "\\" && j + 1 < pattern.length) body += escape(pattern[++j]!);
    else if (c === "-") body += "-";
    else body += escape(c);
  }
  return undefined;
}

/**
 * Go's path.Match: `*` is any run of non-`/` characters, `?` one non-`/` character, `[...]` a class, `\\` escapes.
 * No `**`: it is just two stars within one segment. A malformed pattern matches nothing (Go returns ErrBadPattern).
 */
export function pathMatch(pattern: string, name: string): boolean {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "\\") {
      if (i + 1 >= pattern.length) return false;
      source += escape(pattern[++i]!);
    } else if (c === "[") {
      const cls = charClass(pattern, i, "/");
      if (!cls) return false;
      source += cls.source;
      i = cls.end - 1;
    } else source += escape(c);
  }
  return new RegExp(`^${source}$`, "s").test(name);
}

/** A gobwas glob without separators, as ArgoCD uses for destinations: `*` crosses `.` and `/`; `{a,b}` alternation. */
export function globMatch(pattern: string, value: string): boolean {
  let source = "";
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "\\" && i + 1 < pattern.length) source += escape(pattern[++i]!);
    else if (c === "{") {
      depth++;
      source += "(?:";
    } else if (c === "}" && depth > 0) {
      depth--;
      source += ")";
    } else if (c === "," && depth > 0) source += "|";
    else if (c === "[") {
      const cls = charClass(pattern, i, "");
      if (!cls) return false;
      source += cls.source;
      i = cls.end - 1;
    } else source += escape(c);
  }
  if (depth > 0) return false;
  return new RegExp(`^${source}$`, "s").test(value);
}

const isDeny = (pattern: string | undefined) => pattern !== undefined && pattern.startsWith("!");

/** ArgoCD's globMatch with negation: `!x` matches everything that `x` does not. */
function argoGlob(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined || pattern === "") return false;
  if (isDeny(pattern)) return !globMatch(pattern.slice(1), value);
  return pattern === "*" || globMatch(pattern, value);
}

export interface Destination {
  readonly server?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/**
 * Port of AppProject.isDestinationMatched: an entry matches when server OR name matches AND the namespace
 * matches; a deny entry that fails to match vetoes the destination. The app's destination must already be
 * resolved to a registered cluster (both server and name known).
 */
export function isDestinationMatched(destinations: readonly Destination[], dst: { server: string; name: string; namespace: string }): boolean {
  let any = false;
  for (const item of destinations) {
    const nameMatched = dst.name !== "" && argoGlob(item.name, dst.name);
    const serverMatched = dst.server !== "" && argoGlob(item.server, dst.server);
    const namespaceMatched = argoGlob(item.namespace, dst.namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) any = true;
    else if ((!nameMatched && isDeny(item.name)) || (!serverMatched && isDeny(item.server)) || (!namespaceMatched && isDeny(item.namespace))) return false;
  }
  return any;
}
