/**
 * Names Kubernetes and ArgoCD accept: RFC 1123 labels and subdomains with their length limits (63 where
 * a label carries the name, as ArgoCD's tracking label carries an Application's), valid label keys and
 * values, and no two objects claiming the same name in one cluster.
 */
import { asArr, asObj, containersOf, isObj, kindOf, nameOf, namespaceOf, podTemplate, str, apiVersionOf, type Context, type ObjPath, type PolicyObject, type Unit } from "../context.ts";
import type { Finding, SourceRef } from "../finding.ts";
import { rule } from "../rule.ts";

export const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ianaSvcName = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** What is wrong with a name of this shape, or undefined when it is fine. */
export function checkName(name: string, shape: "label" | "service" | "subdomain"): string | undefined {
  if (shape === "subdomain") {
    if (name.length > 253) return `is ${name.length} characters, over the 253 an RFC 1123 subdomain allows`;
    return dns1123Subdomain.test(name) ? undefined : "is not an RFC 1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)";
  }
  if (name.length > 63) return `is ${name.length} characters, over the 63 an RFC 1123 label allows`;
  if (shape === "service") return dns1035Label.test(name) ? undefined : "is not an RFC 1035 label (lowercase letters, digits and '-', starting with a letter)";
  return dns1123Label.test(name) ? undefined : "is not an RFC 1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)";
}

/** What is wrong with a label key or value, or undefined. */
export function checkLabel(key: string, value: unknown): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !dns1123Subdomain.test(prefix))) return `label key ${key} has a prefix that is not an RFC 1123 subdomain`;
  if (name.length === 0 || name.length > 63 || !labelName.test(name)) return `label key ${key} is not a label name (at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends)`;
  if (typeof value !== "string") return `label ${key} has a non-string value`;
  if (value.length > 63) return `label ${key} value "${value}" is ${value.length} characters, over the 63 a label value allows`;
  if (value !== "" && !labelName.test(value)) return `label ${key} value "${value}" is not a label value (letters, digits, '-', '_' or '.', alphanumeric at both ends)`;
  return undefined;
}

/** Kinds whose names ArgoCD carries in a tracking label, so they must also fit a label value. */
const trackedKinds = new Set(["Application", "ApplicationSet", "AppProject"]);
const labelShaped: Record<string, "label" | "service"> = { Namespace: "label", Service: "service" };

/** The typed source behind a label: the service's team and cost center, the environment's name and account. */
function labelSource(ctx: Context, u: Unit | undefined, o: PolicyObject, key: string): SourceRef {
  if (!u) return ctx.objectSource(o);
  switch (key) {
    case "team": return { file: u.service.file, path: "team" };
    case "cost-center": return { file: u.service.file, path: "costCenter" };
    case "environment": return { file: u.env.file, path: "name" };
    case "account": return { file: u.env.file, path: "account" };
    case "app.kubernetes.io/name": return { file: u.service.file, path: "name" };
    default: return { file: u.service.file, path: "" };
  }
}

export const rfc1123Rule = rule("names/rfc1123", "Every object, namespace, container, port and volume name is a valid RFC 1123 name within its length limit.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const o of ctx.objects) {
    const u = ctx.unitOf(o);
    const at = u ? { file: u.service.file, path: "name" } : ctx.objectSource(o);
    const report = (path: ObjPath, text: string) => out.push(ctx.finding("names/rfc1123", at, text, { unit: u, object: o, path }));
    const kind = kindOf(o);
    const name = nameOf(o);
    const problem = checkName(name, labelShaped[kind] ?? "subdomain");
    if (problem) report(["metadata", "name"], `${kind} name "${name}" ${problem} — shorten or rename the service (or environment)`);
    else if (trackedKinds.has(kind) && name.length > 63) report(["metadata", "name"], `${kind} name "${name}" is ${name.length} characters; ArgoCD's tracking label holds at most 63 — shorten it`);
    const ns = namespaceOf(o);
    if (ns !== undefined) {
      const nsProblem = checkName(ns, "label");
      if (nsProblem) report(["metadata", "namespace"], `namespace "${ns}" ${nsProblem} — shorten the environment or service name`);
    }
    const t = podTemplate(o);
    if (!t) continue;
    for (const c of containersOf(t)) {
      const cn = str(c.container.name) ?? "";
      const cp = checkName(cn, "label");
      if (cp) report([...c.path, "name"], `container name "${cn}" ${cp} — rename the service`);
      asArr(c.container.ports).forEach((p, i) => {
        const pn = str(asObj(p).name);
        if (pn !== undefined && (pn.length > 15 || !ianaSvcName.test(pn) || !/[a-z]/.test(pn) || pn.includes("--")))
          report([...c.path, "ports", i, "name"], `port name "${pn}" is not an IANA service name (at most 15 lowercase letters, digits and single '-', with a letter) — rename the port (a base fix)`);
      });
    }
    asArr(t.spec.volumes).forEach((v, i) => {
      const vn = str(asObj(v).name) ?? "";
      const vp = checkName(vn, "label");
      if (vp) report([...t.path, "spec", "volumes", i, "name"], `volume name "${vn}" ${vp} — rename the volume (a base fix)`);
    });
  }
  return out;
});

export const labelsRule = rule("names/labels", "Every label key and value is valid: names at most 63 characters wherever a label carries them.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const o of ctx.objects) {
    const u = ctx.unitOf(o);
    const places: { labels: unknown; path: ObjPath }[] = [{ labels: asObj(o.object.metadata).labels, path: ["metadata", "labels"] }];
    const t = podTemplate(o);
    if (t && t.path.length > 0) places.push({ labels: t.labels, path: [...t.path, "metadata", "labels"] });
    for (const { labels, path } of places) {
      if (!isObj(labels)) continue;
      for (const [k, v] of Object.entries(labels)) {
        const problem = checkLabel(k, v);
        if (problem) out.push(ctx.finding("names/labels", labelSource(ctx, u, o, k), `${kindOf(o)} ${nameOf(o)}: ${problem} — shorten or rename it`, { unit: u, object: o, path: [...path, k] }));
      }
    }
  }
  return out;
});

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");

export const collisionRule = rule("names/collision", "No two objects, namespaces or public hosts collide in one cluster (account).", (ctx: Context) => {
  const out: Finding[] = [];
  const seen = new Map<string, PolicyObject>();
  for (const o of ctx.objects) {
    const account = o.file.split("/")[0]!;
    const key = [account, groupOf(apiVersionOf(o)), kindOf(o), namespaceOf(o) ?? "", nameOf(o)].join("|");
    const first = seen.get(key);
    if (!first) {
      seen.set(key, o);
      continue;
    }
    const u = ctx.unitOf(o);
    const other = ctx.unitOf(first);
    const at = u ? { file: u.service.file, path: "name" } : ctx.objectSource(o);
    const clash = kindOf(o) === "Namespace" && u && other ? ` (${other.d.environment}/${other.d.service} and ${u.d.environment}/${u.d.service} both make ${nameOf(o)})` : "";
    out.push(ctx.finding("names/collision", at, `${kindOf(o)} ${namespaceOf(o) ? `${namespaceOf(o)}/` : ""}${nameOf(o)} is also rendered by generated/${first.file} in account ${account}${clash} — rename the service or environment so the names differ`, { unit: u, object: o, path: ["metadata", "name"] }));
  }
  const hosts = new Map<string, Unit>();
  for (const u of ctx.units) {
    if (!u.d.ingress) continue;
    const key = `${u.d.account}|${u.d.ingress.host}|${u.d.ingress.path}`;
    const first = hosts.get(key);
    if (first) out.push(ctx.finding("names/collision", ctx.source(u, "ingress.host"), `public host ${u.d.ingress.host}${u.d.ingress.path} is also served by ${first.d.environment}/${first.d.service} in account ${u.d.account} — pick another public.host, or give the environment its own domain`, { unit: u }));
    else hosts.set(key, u);
  }
  return out;
});

export const nameRules = [rfc1123Rule, labelsRule, collisionRule];
