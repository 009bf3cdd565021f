/**
 * The pattern languages ArgoCD uses, ported so tests and `gitops apps` can ask ArgoCD's questions offline:
 * Go's `path.Match` (git directories generator, `filepath.Match` for resource whitelists), gobwas globs
 * (AppProject destinations and source repos) and AppProject's destination and resource-kind checks.
 * Ported from the Go sources rather than translated to regular expressions, so edge cases behave alike.
 */

/** The result of Go's `path.Match`: `error` is set when Go returns ErrBadPattern (ArgoCD then skips the entry). */
export interface PathMatchResult {
  readonly matched: boolean;
  readonly error?: "syntax error in pattern";
}

const BAD = { matched: false, error: "syntax error in pattern" } as const;

/** Go's scanChunk: leading stars, then the chunk up to the next star outside a class. */
function scanChunk(pattern: readonly string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let i = 0;
  let star = false;
  while (i < pattern.length && pattern[i] === "*") {
    i++;
    star = true;
  }
  const start = i;
  let inRange = false;
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      if (i + 1 < pattern.length) i++;
    } else if (c === "[") inRange = true;
    else if (c === "]") inRange = false;
    else if (c === "*" && !inRange) break;
  }
  return { star, chunk: pattern.slice(start, i), rest: pattern.slice(i) };
}

/** Go's getEsc: one possibly escaped character of a class; `-` or `]` here, or running off the end, is a bad pattern. */
function getEsc(chunk: readonly string[], at: number): { r: string; next: number } | undefined {
  if (at >= chunk.length || chunk[at] === "-" || chunk[at] === "]") return undefined;
  if (chunk[at] === "\\") {
    at++;
    if (at >= chunk.length) return undefined;
  }
  const r = chunk[at]!;
  if (at + 1 >= chunk.length) return undefined;
  return { r, next: at + 1 };
}

/** Go's matchChunk: the rest of `s` after the chunk, undefined when it does not match, "bad" for a bad pattern. */
function matchChunk(chunk: readonly string[], s: readonly string[]): readonly string[] | undefined | "bad" {
  let failed = false;
  let i = 0;
  let j = 0;
  while (i < chunk.length) {
    if (!failed && j >= s.length) failed = true;
    const c = chunk[i]!;
    if (c === "[") {
      const r = failed ? "" : s[j++]!;
      i++;
      let negated = false;
      if (i < chunk.length && chunk[i] === "^") {
        negated = true;
        i++;
      }
      let match = false;
      let ranges = 0;
      for (;;) {
        if (i < chunk.length && chunk[i] === "]" && ranges > 0) {
          i++;
          break;
        }
        const lo = getEsc(chunk, i);
        if (!lo) return "bad";
        i = lo.next;
        let hi = lo.r;
        if (chunk[i] === "-") {
          const h = getEsc(chunk, i + 1);
          if (!h) return "bad";
          hi = h.r;
          i = h.next;
        }
        if (!failed && (lo.r.codePointAt(0) ?? 0) <= (r.codePointAt(0) ?? 0) && (r.codePointAt(0) ?? 0) <= (hi.codePointAt(0) ?? 0)) match = true;
        ranges++;
      }
      if (match === negated) failed = true;
    } else if (c === "?") {
      if (!failed) {
        if (s[j] === "/") failed = true;
        j++;
      }
      i++;
    } else {
      if (c === "\\") {
        i++;
        if (i >= chunk.length) return "bad";
      }
      if (!failed) {
        if (chunk[i] !== s[j]) failed = true;
        j++;
      }
      i++;
    }
  }
  return failed ? undefined : s.slice(j);
}

/**
 * Go's `path.Match`, as the git directories generator applies it (git.go `filterApps`): `*` is any run of
 * characters other than `/` (so it never crosses a segment, and `**` is just two of them), `?` one such
 * character, `[...]`/`[^...]` a class, `\` escapes. A leading `/` never matches the repo-server's relative paths.
 */
export function goPathMatch(pattern: string, name: string): PathMatchResult {
  let p: string[] = [...pattern];
  let n: readonly string[] = [...name];
  outer: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p);
    p = rest;
    if (star && chunk.length === 0) return { matched: !n.includes("/") };
    const t = matchChunk(chunk, n);
    if (t !== undefined && t !== "bad" && (t.length === 0 || p.length > 0)) {
      n = t;
      continue;
    }
    if (t === "bad") return BAD;
    if (star) {
      for (let i = 0; i < n.length && n[i] !== "/"; i++) {
        const t2 = matchChunk(chunk, n.slice(i + 1));
        if (t2 === "bad") return BAD;
        if (t2 !== undefined) {
          if (p.length === 0 && t2.length > 0) continue;
          n = t2;
          continue outer;
        }
      }
    }
    // Go checks that the rest of the pattern is well formed before answering "no match".
    while (p.length > 0) {
      const next = scanChunk(p);
      p = next.rest;
      if (matchChunk(next.chunk, []) === "bad") return BAD;
    }
    return { matched: false };
  }
  return { matched: n.length === 0 };
}

/** `path.Match` as ArgoCD uses it: a bad pattern matches nothing. */
export const pathMatch = (pattern: string, name: string): boolean => goPathMatch(pattern, name).matched;

const escapeRegExp = (c: string) => c.replace(/[.+^${}()|[\]\\/*?]/g, "\\$&");
const escapeClass = (c: string) => c.replace(/[\]\\[^-]/g, "\\$&");

/**
 * A gobwas glob compiled without separators, as ArgoCD's `glob.Match` uses it for destinations: `*` (and `**`)
 * any run of characters, `.` and `/` included; `?` any one character; `[...]`/`[!...]` classes; `{a,b}`
 * alternatives; `\` escapes. A pattern that does not compile matches nothing (ArgoCD logs and returns false).
 */
export function globMatch(pattern: string, value: string): boolean {
  const p = [...pattern];
  let source = "";
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "*") {
      while (p[i + 1] === "*") i++;
      source += ".*";
    } else if (c === "?") source += ".";
    else if (c === "\\") {
      if (i + 1 >= p.length) return false;
      source += escapeRegExp(p[++i]!);
    } else if (c === "{") {
      depth++;
      source += "(?:";
    } else if (c === "}" && depth > 0) {
      depth--;
      source += ")";
    } else if (c === "," && depth > 0) source += "|";
    else if (c === "[") {
      let j = i + 1;
      let negate = false;
      if (p[j] === "!") {
        negate = true;
        j++;
      }
      let body = "";
      for (; j < p.length && p[j] !== "]"; j++) {
        if (p[j] === "-" && body !== "" && j + 1 < p.length && p[j + 1] !== "]") body += "-";
        else body += escapeClass(p[j]!);
      }
      if (j >= p.length || body === "") return false;
      source += negate ? `[^${body}]` : `[${body}]`;
      i = j;
    } else source += escapeRegExp(c);
  }
  if (depth > 0) return false;
  return new RegExp(`^${source}$`, "su").test(value);
}

const isDeny = (pattern: string | undefined): boolean => pattern !== undefined && pattern.startsWith("!");

/** ArgoCD's `globMatch` with negation allowed: `!x` matches every value `x` does not; `*` matches all. */
function argoGlob(pattern: string | undefined, value: string): boolean {
  const p = pattern ?? "";
  if (isDeny(p)) return !globMatch(p.slice(1), value);
  return p === "*" || globMatch(p, value);
}

export interface Destination {
  readonly server?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/** ArgoCD releases whose `isDestinationMatched` differ: v2.13 vetoes on any failed deny entry; v2.14+ ties the veto to the namespace. */
export type DestinationRules = "v2.13" | "v2.14+";

/**
 * Port of `AppProject.isDestinationMatched` (app_project_types.go). An entry matches when its server OR its
 * name matches AND its namespace matches; a negated entry also matches every other value, so
 * `{server: "!https://prod", namespace: "*"}` alone permits every cluster but prod (argocd.md §6). `dst` is the
 * destination already resolved to a registered cluster (ArgoCD fills both server and name before asking).
 */
export function isDestinationMatched(destinations: readonly Destination[], dst: { server?: string; name?: string; namespace: string }, rules: DestinationRules = "v2.14+"): boolean {
  let any = false;
  let noDenyFailed = true;
  for (const item of destinations) {
    const nameMatched = (dst.name ?? "") !== "" && argoGlob(item.name, dst.name!);
    const serverMatched = (dst.server ?? "") !== "" && argoGlob(item.server, dst.server!);
    const namespaceMatched = argoGlob(item.namespace, dst.namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) {
      any = true;
      continue;
    }
    if (rules === "v2.13") {
      if ((!nameMatched && isDeny(item.name)) || (!serverMatched && isDeny(item.server)) || (!namespaceMatched && isDeny(item.namespace))) noDenyFailed = false;
      continue;
    }
    // Go's precedence, kept: `a || b && c` is `a || (b && c)`.
    if ((!nameMatched && isDeny(item.name)) || (!serverMatched && isDeny(item.server) && namespaceMatched)) return false;
    if (!namespaceMatched && isDeny(item.namespace) && serverMatched) return false;
  }
  return any && noDenyFailed;
}

export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** `filepath.Match` on group and kind, as `isResourceInList` does; the core group is "". */
const inList = (gk: GroupKind, list: readonly GroupKind[]) => list.some((item) => pathMatch(item.group, gk.group) && pathMatch(item.kind, gk.kind));

/**
 * Port of `AppProject.IsGroupKindNamePermitted` without names: a namespaced kind passes an omitted whitelist but
 * not an explicit empty one; a cluster-scoped kind needs a non-empty whitelist that lists it.
 */
export function isGroupKindPermitted(
  spec: { clusterResourceWhitelist?: readonly GroupKind[]; clusterResourceBlacklist?: readonly GroupKind[]; namespaceResourceWhitelist?: readonly GroupKind[]; namespaceResourceBlacklist?: readonly GroupKind[] },
  gk: GroupKind,
  namespaced: boolean,
): boolean {
  if (namespaced) {
    const white = spec.namespaceResourceWhitelist;
    const allowed = white === undefined || (white.length > 0 && inList(gk, white));
    return allowed && !inList(gk, spec.namespaceResourceBlacklist ?? []);
  }
  const white = spec.clusterResourceWhitelist ?? [];
  return white.length > 0 && inList(gk, white) && !inList(gk, spec.clusterResourceBlacklist ?? []);
}

/** Port of `AppProject.IsSourcePermitted` for plain URLs: allow entries are globs with `/` as separator, `!` denies. */
export function isSourcePermitted(sourceRepos: readonly string[], repoURL: string): boolean {
  const normalize = (u: string) => u.toLowerCase().replace(/\.git$/, "").replace(/\/$/, "");
  let any = false;
  for (const entry of sourceRepos) {
    const deny = isDeny(entry);
    const pattern = normalize(deny ? entry.slice(1) : entry);
    const matched = pattern === "*" || globMatchSegments(pattern, normalize(repoURL));
    if (deny ? !matched : matched) any = true;
    else if (deny) return false;
  }
  return any;
}

/** gobwas with `/` as separator: `*` stays within a segment, `**` crosses. Only what source repos need. */
function globMatchSegments(pattern: string, value: string): boolean {
  const source = [...pattern].map((c) => (c === "*" ? "\u0000" : escapeRegExp(c))).join("").replace(/\u0000\u0000/g, ".*").replace(/\u0000/g, "[^/]*");
  return new RegExp(`^${source}$`, "su").test(value);
}
