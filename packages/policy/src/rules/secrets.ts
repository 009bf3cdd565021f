/**
 * No secret value ever reaches generated/: every file is scanned with the patterns secret scanners use
 * (gitleaks-style: cloud keys, tokens, private keys, credentials in URLs), environment values with
 * secret-sounding names are refused, high-entropy strings in ConfigMaps and env are refused, and secrets
 * arrive only as ExternalSecrets reading the account's own store.
 */
import { asArr, asObj, eachString, get, kindOf, nameOf, podTemplate, containersOf, str, type Context, type ObjPath, type PolicyObject, type Unit } from "../context.ts";
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

/** What a scanner would match in a text, by pattern name. */
export function scanText(text: string): { name: string; match: string }[] {
  const out: { name: string; match: string }[] = [];
  for (const { name, pattern } of secretPatterns)
    for (const m of text.matchAll(new RegExp(pattern.source, `${pattern.flags}g`))) out.push({ name, match: m[0] });
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
    eachString(o.object, (path, value) => {
      for (const hit of scanText(value)) {
        seen.add(hit.match);
        out.push(ctx.finding("secrets/no-values", u ? ctx.locate(u, o, path) : ctx.objectSource(o), `${kindOf(o)} ${nameOf(o)} holds ${hit.name} (${redact(hit.match)}) — ${fix}`, { unit: u, object: o, path }));
      }
    });
  }
  const byFile = new Map(ctx.objects.map((o) => [o.file, o]));
  for (const [file, text] of ctx.files) {
    const o = byFile.get(file);
    const u = o ? ctx.unitOf(o) : ctx.units.find((x) => file.startsWith(`${x.folder}/`));
    for (const hit of scanText(text)) {
      if (found.get(file)?.has(hit.match)) continue;
      const at = u ? { file: u.service.file, path: "" } : { file: o?.sources[0] ?? ctx.estate.file, path: "" };
      out.push(ctx.finding("secrets/no-values", at, `generated/${file} holds ${hit.name} (${redact(hit.match)}) — ${fix}`, { unit: u, environment: u?.d.environment ?? ctx.environmentOf(file)?.name ?? null }));
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

export const storeOnlyRule = rule("secrets/store-only", "Secrets arrive only as ExternalSecrets from the account's own secret store, never as Secret objects.", (ctx: Context) => {
  const out: Finding[] = [];
  const stores = new Set(ctx.estate.accounts.map((a) => a.secretStore.name));
  for (const o of ctx.objects) {
    const u: Unit | undefined = ctx.unitOf(o);
    if (kindOf(o) === "Secret" && (o.object.apiVersion === "v1"))
      out.push(ctx.finding("secrets/store-only", u ? { file: u.service.file, path: "secrets" } : ctx.objectSource(o), `Secret ${nameOf(o)} would commit its value to git — declare it under secrets so an ExternalSecret fetches it from the account's store`, { unit: u, object: o, path: ["data"] }));
    if (kindOf(o) === "ExternalSecret" && u) {
      const ref = asObj(get(o.object, ["spec", "secretStoreRef"]));
      const name = str(ref.name);
      const kind = str(ref.kind) ?? "SecretStore";
      const want = u.account.secretStore;
      // Another account's store is isolation/cross-account's finding; here, anything else that is not the account's own.
      if (name && stores.has(name) && name !== want.name) continue;
      if (name !== want.name || kind !== want.kind)
        out.push(ctx.finding("secrets/store-only", ctx.source(u, "secretStore"), `ExternalSecret ${nameOf(o)} reads from ${kind} ${name ?? "(none)"}, not the account's store ${want.kind} ${want.name} — read from ${want.name}`, { unit: u, object: o, path: ["spec", "secretStoreRef"] }));
    }
  }
  return out;
});

export const secretRules = [noValuesRule, highEntropyRule, storeOnlyRule];
