/**
 * No secret value ever reaches generated/: every file is scanned with the patterns secret scanners use
 * (gitleaks-style: cloud keys, tokens, private keys, credentials in URLs), environment values with
 * secret-sounding names are refused, high-entropy strings in ConfigMaps and env are refused, secrets
 * arrive only as ExternalSecrets reading the account's own store, and that store reads only the account's own
 * path and auth mount in the platform's secret manager (so a nonprod cluster cannot read prod's secrets).
 */
import { asArr, asObj, containersOf, eachString, formatObjPath, get, isObj, kindOf, nameOf, podTemplate, storeRefsOf, str, type Context, type Obj, type ObjPath, type PolicyObject, type Unit } from "../context.ts";
import type { Finding } from "../finding.ts";
import { rule } from "../rule.ts";

/** Patterns for values no config may hold, each named the way a reviewer would say it. */
export const secretPatterns: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: "an AWS access key ID", pattern: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/ },
  { name: "an AWS secret access key", pattern: /aws.{0,20}?(?:secret|key).{0,20}?[=:"'\s]\s*["']?[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/i },
  { name: "a private key", pattern: /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/ },
  { name: "a GitHub token", pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}\b/ },
  { name: "a GitLab token", pattern: /\bglpat-[A-Za-z0-9_-]{20,}\b/ },
  { name: "a Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/ },
  { name: "a Slack webhook", pattern: /hooks\.slack\.com\/services\/[A-Za-z0-9+/]{20,}/ },
  { name: "a Stripe key", pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/ },
  { name: "a Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: "a JSON Web Token", pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/ },
  { name: "an npm token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { name: "credentials in a URL", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:[^\s/@'"]+@/i },
];

/** Environment names that hold a secret when they end in one of these words (PASSWORD_MIN_LENGTH does not). */
const secretName = /(?:^|[_.-])(?:PASSWORD|PASSWD|PWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY|CLIENT_?SECRET|CREDENTIALS?)$/i;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Random-looking tokens in a value: base64-ish runs of 20+ characters above 4 bits/char, or hex runs of 32+ above 3. */
export function highEntropyTokens(value: string): string[] {
  const out: string[] = [];
  for (const m of value.matchAll(/[A-Za-z0-9+/=_-]{20,}/g)) {
    const token = m[0].replace(/^\/+|\/+$/g, "");
    if (token.length < 20) continue;
    const hex = /^[0-9a-fA-F]+$/.test(token);
    if ((hex && token.length >= 32 && entropy(token) >= 3) || (!hex && entropy(token) >= 4)) out.push(token);
  }
  return out;
}

/**
 * Each pattern compiled once as a test (never global: `test` keeps no state then) and as a global regex for its
 * matches: every string leaf of every object is scanned.
 */
const globalPatterns = secretPatterns.map(({ name, pattern }) => ({
  name,
  pattern: new RegExp(pattern.source, pattern.flags.replace("g", "")),
  global: new RegExp(pattern.source, `${pattern.flags.replace("g", "")}g`),
  // A text without "://" holds no URL, and the URL pattern tries at every word start: most of the scan's cost.
  needs: pattern.source.includes(":\\/\\/") ? "://" : "",
}));

/** What a scanner would match in a text, by pattern name. */
export function scanText(text: string): { name: string; match: string }[] {
  const out: { name: string; match: string }[] = [];
  for (const { name, pattern, global, needs } of globalPatterns) {
    // Nearly every text matches nothing: a test first, and the matches only collected where there are some.
    if ((needs && !text.includes(needs)) || !pattern.test(text)) continue;
    global.lastIndex = 0;
    for (let m = global.exec(text); m; m = global.exec(text)) {
      out.push({ name, match: m[0] });
      if (m[0] === "") global.lastIndex++;
    }
  }
  return out;
}

const redact = (s: string) => (s.length <= 8 ? "****" : `${s.slice(0, 4)}…${s.slice(-2)}`);

/** Key/value pairs a workload receives as environment: ConfigMap data and container env values. */
function envValues(o: PolicyObject): { key: string; value: string; path: ObjPath }[] {
  const out: { key: string; value: string; path: ObjPath }[] = [];
  if (kindOf(o) === "ConfigMap")
    for (const [k, v] of Object.entries(asObj(o.object.data))) if (typeof v === "string") out.push({ key: k, value: v, path: ["data", k] });
  const t = podTemplate(o);
  if (t)
    for (const c of containersOf(t))
      asArr(c.container.env).forEach((e, i) => {
        const name = str(asObj(e).name);
        const value = str(asObj(e).value);
        if (name && value !== undefined) out.push({ key: name, value, path: [...c.path, "env", i, "value"] });
      });
  return out;
}

export const noValuesRule = rule("secrets/no-values", "No generated file holds a secret value: no keys, tokens, private keys, credentials in URLs, or values of secret-named variables.", (ctx: Context) => {
  const out: Finding[] = [];
  const fix = "remove the value from the config, rotate it, and reference it from the account's secret store under secrets";
  // The objects, leaf by leaf (so a finding names the field), then every file as a scanner sees it
  // (headers and kustomizations included), reporting only what the objects did not already show.
  const found = new Map<string, Set<string>>();
  for (const o of ctx.objects) {
    const u = ctx.unitOf(o);
    const seen = new Set<string>();
    found.set(o.file, seen);
    eachString(o.object, (value, at) => {
      const hits = scanText(value);
      if (hits.length === 0) return;
      const path = at();
      for (const hit of hits) {
        seen.add(hit.match);
        out.push(ctx.finding("secrets/no-values", u ? ctx.locate(u, o, path) : ctx.objectSource(o), `${kindOf(o)} ${nameOf(o)} holds ${hit.name} (${redact(hit.match)}) — ${fix}`, { unit: u, object: o, path }));
      }
    });
  }
  const byFile = new Map(ctx.objects.map((o) => [o.file, o]));
  for (const [file, text] of ctx.files) {
    const o = byFile.get(file);
    const u = ctx.unitOfFile(file);
    for (const hit of scanText(text)) {
      if (found.get(file)?.has(hit.match)) continue;
      const at = u ? { file: u.service.file, path: "" } : { file: o?.sources[0] ?? ctx.estate.file, path: "" };
      out.push(ctx.finding("secrets/no-values", at, `generated/${file} holds ${hit.name} (${redact(hit.match)}) — ${fix}`, { unit: u, environment: u?.env.name ?? ctx.environmentOf(file)?.name ?? null }));
    }
  }
  for (const u of ctx.units)
    for (const o of u.objects)
      for (const { key, value, path } of envValues(o))
        if (secretName.test(key) && value !== "" && !value.startsWith("/") && !/^(true|false)$/i.test(value))
          out.push(ctx.finding("secrets/no-values", ctx.configSource(u, key), `${key} is a secret-named variable with a plain value in ${kindOf(o)} ${nameOf(o)} — move it to secrets: { ${key}: { key: "<path in ${u.account.secretStore.name}>" } }`, { unit: u, object: o, path }));
  return out;
});

export const highEntropyRule = rule("secrets/high-entropy", "No ConfigMap or environment value holds a random-looking (high-entropy) string.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units)
    for (const o of u.objects)
      for (const { key, value, path } of envValues(o))
        for (const token of highEntropyTokens(value))
          out.push(ctx.finding("secrets/high-entropy", ctx.configSource(u, key), `${key} holds a random-looking string (${redact(token)}, ${entropy(token).toFixed(1)} bits/char) in ${kindOf(o)} ${nameOf(o)} — if it is a secret, move it to secrets and rotate it; if not, waive secrets/high-entropy for it with a reason`, { unit: u, object: o, path }));
  return out;
});

export const storeOnlyRule = rule("secrets/store-only", "Secrets arrive only as ExternalSecrets from the account's own secret store, never as Secret objects; platform secrets included.", (ctx: Context) => {
  const out: Finding[] = [];
  const stores = new Set(ctx.estate.accounts.map((a) => a.secretStore.name));
  for (const o of ctx.objects) {
    const u: Unit | undefined = ctx.unitOf(o);
    if (kindOf(o) === "Secret" && (o.object.apiVersion === "v1"))
      out.push(ctx.finding("secrets/store-only", u ? { file: u.service.file, path: "secrets" } : ctx.objectSource(o), `Secret ${nameOf(o)} would commit its value to git — declare it under secrets so an ExternalSecret fetches it from the account's store`, { unit: u, object: o, path: ["data"] }));
    const account = ctx.accountOf(o);
    if (!account) continue;
    const want = account.secretStore;
    for (const ref of storeRefsOf(o)) {
      // Another account's store is isolation/cross-account's finding; here, anything else that is not the account's own.
      if (ref.name && stores.has(ref.name) && ref.name !== want.name) continue;
      if (ref.name !== want.name || ref.kind !== want.kind)
        out.push(ctx.finding("secrets/store-only", ctx.sourceOf(o, ref.path), `ExternalSecret ${nameOf(o)} reads from ${ref.kind} ${ref.name ?? "(none)"}, not account ${account.name}'s store ${want.kind} ${want.name} — read from ${want.name}`, { unit: u, object: o, path: ref.path }));
    }
  }
  return out;
});

/** Where a store's provider says what it reads; each must name its own account (the platform's convention: path `<account>`, auth mount `kubernetes-<account>`). */
function scopedFields(provider: Obj): { path: ObjPath; value: string | undefined }[] {
  const vault = asObj(provider.vault);
  const mounts = Object.entries(asObj(vault.auth)).filter(([, v]) => isObj(v) && "mountPath" in v).map(([method, v]) => ({ path: ["spec", "provider", "vault", "auth", method, "mountPath"] as ObjPath, value: str(asObj(v).mountPath) }));
  return [{ path: ["spec", "provider", "vault", "path"], value: str(vault.path) }, ...mounts];
}

/** The account names a path or mount spells out, segment by segment (`kubernetes-nonprod` names nonprod, not prod). */
const accountsNamed = (value: string, accounts: readonly string[]) => accounts.filter((a) => value.split(/[/_.:-]+/).includes(a));

export const storeScopeRule = rule("secrets/store-scope", "Every secret store reads the platform's secret manager only through its own account's path and auth mount, under the account's store name.", (ctx: Context) => {
  const out: Finding[] = [];
  const names = ctx.estate.accounts.map((a) => a.name);
  // The secret manager the account's releases read: the shared hub's, or the account's own without one.
  const vaultOf = (account: string) => ctx.estate.platform.releases.find((r) => r.account === account)?.vault;
  for (const o of ctx.objects) {
    const kind = kindOf(o);
    if (kind !== "ClusterSecretStore" && kind !== "SecretStore") continue;
    const account = ctx.accountOf(o);
    const report = (path: ObjPath, text: string) => out.push(ctx.finding("secrets/store-scope", ctx.sourceOf(o, path), `${kind} ${nameOf(o)} ${text}`, { unit: ctx.unitOf(o), object: o, path }));
    if (!account) {
      report([], "is rendered outside any account's folders, so nothing holds it to one account — render it in the account's platform folder");
      continue;
    }
    const mine = account.secretStore;
    const vault = vaultOf(account.name);
    if (nameOf(o) !== mine.name || kind !== mine.kind) report(["metadata", "name"], `is not account ${account.name}'s store (${mine.kind} ${mine.name}) — render only the account's own store, under its name`);
    const provider = asObj(get(o.object, ["spec", "provider"]));
    const other = Object.keys(provider).filter((p) => p !== "vault");
    if (!isObj(provider.vault) || other.length > 0) {
      report(["spec", "provider", ...(other[0] ? [other[0]] : [])], `reads ${other.length > 0 ? `from provider ${other.join(", ")}` : "from no provider"}, not the platform's Vault, so its reach cannot be held to account ${account.name} — use provider.vault${vault ? ` at ${vault}` : ""}`);
      continue;
    }
    const server = str(asObj(provider.vault).server);
    if (vault !== undefined && server !== vault) report(["spec", "provider", "vault", "server"], `reads from ${server ?? "(no server)"}, not the platform's secret manager ${vault} — point it at ${vault}`);
    for (const f of scopedFields(provider)) {
      const named = f.value === undefined ? [] : accountsNamed(f.value, names);
      const foreign = named.filter((a) => a !== account.name);
      if (foreign.length > 0) report(f.path, `${formatObjPath(f.path.slice(3))} is ${f.value}, which is account ${foreign.join(", ")}'s — account ${account.name}'s store reads only account ${account.name}'s ${f.path.at(-1) === "path" ? "secrets" : "auth mount"}; use its own`);
      else if (!named.includes(account.name)) report(f.path, `${formatObjPath(f.path.slice(3))} is ${f.value ?? "unset"}, which names no account, so it may read any account's secrets — scope it to account ${account.name}`);
    }
  }
  return out;
});

export const secretRules = [noValuesRule, highEntropyRule, storeOnlyRule, storeScopeRule];
