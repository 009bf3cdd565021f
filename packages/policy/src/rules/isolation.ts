/**
 * Accounts are blast radii: nothing rendered for one account names another's hosts, URLs, cluster or secret
 * store; network policies never open to other accounts' namespaces or to the private ranges their clusters
 * live in; and common is reached only through what it exposes (the registry, its public hosts and the hub's
 * platform endpoints). "Rendered for an account" covers its services, its platform folder and the Applications
 * that install its platform releases (their Helm values ship telemetry to the hub); ArgoCD's own objects
 * (estate-level, in common) deploy to every cluster and are outside these rules.
 */
import type { ResolvedAccount } from "@gitops/model";
import { asArr, asObj, eachString, isObj, kindOf, nameOf, storeRefsOf, str, type Context, type ObjPath, type PolicyObject, type Unit } from "../context.ts";
import { hostOf, hostsIn, ownership } from "../domains.ts";
import type { Finding, SourceRef } from "../finding.ts";
import { rule } from "../rule.ts";

/** An object bound for one account, with its unit when a service rendered it. */
interface Bound {
  readonly o: PolicyObject;
  readonly account: ResolvedAccount;
  readonly unit?: Unit;
  /** Who renders it, for messages: `dev (account nonprod)`, or `the platform of account prod`. */
  readonly who: string;
  /** The domain its own hosts live in. */
  readonly domain: string;
}

function bound(ctx: Context): Bound[] {
  return [
    ...ctx.units.flatMap((u) => u.objects.map((o) => ({ o, account: u.account, unit: u, who: `${u.d.environment} (account ${u.d.account})`, domain: u.env.domain }))),
    ...ctx.platformObjects().map(({ o, account }) => ({ o, account, who: `the platform of account ${account.name}`, domain: account.domain })),
  ];
}

/** String leaves a rule reads for hosts: everything but annotations (ArgoCD and cert-manager settings, not connections). */
function eachHostValue(o: PolicyObject, fn: (path: ObjPath, host: string) => void): void {
  eachString(o.object, (value, at) => {
    const hosts = hostsIn(value);
    if (hosts.length === 0) return;
    const path = at();
    if (path[0] === "metadata" && path[1] === "annotations") return;
    for (const host of new Set(hosts)) fn(path, host);
  });
}

export const crossAccountRule = rule("isolation/cross-account", "Nothing rendered for one account (services, platform objects, platform Applications) references another account's domain, host, cluster or secret store.", (ctx: Context) => {
  const own = ownership(ctx.estate);
  const out: Finding[] = [];
  const stores = new Map(ctx.estate.accounts.map((a) => [a.secretStore.name, a.name]));
  for (const b of bound(ctx)) {
    const { o, account } = b;
    eachHostValue(o, (path, host) => {
      const owner = own.ownerOf(host);
      if (!owner || owner === account.name || owner === own.common) return;
      out.push(ctx.finding("isolation/cross-account", ctx.sourceOf(o, path), `${b.who} references ${host}, which belongs to account ${owner} — accounts never talk to each other; use a host in ${b.domain}, or reach shared things through common`, { unit: b.unit, object: o, path }));
    });
    for (const ref of storeRefsOf(o)) {
      const owner = ref.name ? stores.get(ref.name) : undefined;
      if (owner && owner !== account.name)
        out.push(ctx.finding("isolation/cross-account", ctx.sourceOf(o, ref.path), `${kindOf(o)} ${nameOf(o)} (${b.who}) reads from ${ref.name}, the secret store of account ${owner} — read only from account ${account.name}'s store (${account.secretStore.name})`, { unit: b.unit, object: o, path: [...ref.path, "name"] }));
    }
  }
  return out;
});

export const commonApiRule = rule("isolation/common-api", "Prod and nonprod reach common only through what it exposes: the registry, common's public hosts and the hub's platform endpoints.", (ctx: Context) => {
  const own = ownership(ctx.estate);
  if (!own.common) return [];
  const platform = ctx.estate.platform;
  const exposed = new Set([
    own.registryHost,
    ...ctx.units.filter((u) => u.d.account === own.common && u.d.ingress).map((u) => u.d.ingress!.host),
    // The hub's public endpoints, which every spoke's collector, Prometheus and log shipper sends to.
    ...Object.values(platform.endpoints).filter((h) => own.ownerOf(h) === own.common),
  ]);
  // The secret manager is common's too, but only the account's secret store may reach it, at the server its
  // releases name: workloads get secrets through the store.
  const vaultOf = (account: string) => hostOf(platform.releases.find((r) => r.account === account)?.vault ?? "");
  const storeServer = (o: PolicyObject, path: ObjPath) => (kindOf(o) === "ClusterSecretStore" || kindOf(o) === "SecretStore") && path.join(".") === "spec.provider.vault.server";
  // Each spoke's own metrics query host, where the hub shows it its own series only: another's is not its to ask.
  const queryHostOf = new Map(Object.entries(platform.queryEndpoints).map(([account, host]) => [host, account]));
  const out: Finding[] = [];
  for (const b of bound(ctx)) {
    if (b.account.name === own.common) continue;
    eachHostValue(b.o, (path, host) => {
      if (own.ownerOf(host) !== own.common || exposed.has(host) || (host === vaultOf(b.account.name) && storeServer(b.o, path))) return;
      const queries = queryHostOf.get(host);
      if (queries === b.account.name) return;
      if (queries !== undefined) {
        out.push(ctx.finding("isolation/common-api", ctx.sourceOf(b.o, path), `${b.who} queries ${host}, the hub's metrics host for account ${queries}, which shows ${queries}'s series only — query ${platform.queryEndpoints[b.account.name] ?? "your own account's host"} instead (a base fix: analyses take it from the resolved metrics source)`, { unit: b.unit, object: b.o, path }));
        return;
      }
      out.push(ctx.finding("isolation/common-api", ctx.sourceOf(b.o, path), `${b.who} references ${host} in account ${own.common}, which common does not expose (it exposes ${[...exposed].sort().join(", ")}) — reach common only through its registry, the hub's endpoints or a public host of a service in it`, { unit: b.unit, object: b.o, path }));
    });
  }
  return out;
});

interface Cidr { v4: true; start: number; end: number }
function parseV4(cidr: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const bits = Number(m[5]);
  const ip = (((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4])) >>> 0;
  const size = 2 ** (32 - bits);
  const start = ip - (ip % size);
  return { v4: true, start, end: start + size - 1 };
}
/** RFC 1918: where clusters, and so other accounts, live. */
const privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** Private ranges an ipBlock opens (overlaps without an `except` covering the overlap). */
export function openPrivateRanges(cidr: string, except: readonly string[]): string[] {
  if (cidr.includes(":")) {
    const bits = Number(cidr.split("/")[1]);
    return bits < 8 && !except.some((e) => e.toLowerCase() === "fc00::/7") ? ["fc00::/7"] : [];
  }
  const c = parseV4(cidr);
  if (!c) return [];
  const ex = except.map(parseV4).filter((e): e is Cidr => !!e);
  return privateRanges.filter((r) => {
    const p = parseV4(r)!;
    if (c.end < p.start || c.start > p.end) return false;
    const i = { start: Math.max(c.start, p.start), end: Math.min(c.end, p.end) };
    return !ex.some((e) => e.start <= i.start && e.end >= i.end);
  });
}

const NS_LABEL = "kubernetes.io/metadata.name";

export const networkPolicyRule = rule("isolation/network-policy", "Every namespace denies by default; policies open only to named namespaces of the same account, never to all namespaces or private ranges.", (ctx: Context) => {
  const out: Finding[] = [];
  const byNamespace = new Map(ctx.units.map((u) => [u.d.namespace, u]));
  // The namespaces a unit's policies may name, per account: made once (per unit it was quadratic in the estate).
  const knownOf = new Map<string, Set<string>>();
  const known = (u: Unit) => {
    let set = knownOf.get(u.d.account);
    if (!set) {
      // The account's own platform namespaces (its collector, its Prometheus) are peers too; another account's never are.
      const platform = ctx.estate.platform.releases.filter((r) => r.account === u.d.account).map((r) => r.namespace);
      knownOf.set(u.d.account, (set = new Set(["kube-system", u.account.ingress.namespace, ...platform, ...ctx.units.filter((x) => x.d.account === u.d.account).map((x) => x.d.namespace)])));
    }
    return set;
  };
  for (const u of ctx.units) {
    const policies = u.objects.filter((o) => kindOf(o) === "NetworkPolicy");
    const denyAll = policies.some((p) => {
      const spec = asObj(p.object.spec);
      const types = asArr(spec.policyTypes);
      return isObj(spec.podSelector) && Object.keys(spec.podSelector).length === 0 && types.includes("Ingress") && types.includes("Egress") && asArr(spec.ingress).length === 0 && asArr(spec.egress).length === 0;
    });
    if (!denyAll)
      out.push(ctx.finding("isolation/network-policy", { file: u.service.file, path: "" }, `namespace ${u.d.namespace} has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules) — render one (a base fix)`, { unit: u }));
    for (const p of policies) {
      const spec = asObj(p.object.spec);
      for (const [direction, peersKey] of [["ingress", "from"], ["egress", "to"]] as const) {
        asArr(spec[direction]).forEach((r, i) => {
          const peers = asArr(asObj(r)[peersKey]);
          const rulePath: ObjPath = ["spec", direction, i];
          const report = (path: ObjPath, text: string, ns?: string) =>
            out.push(ctx.finding("isolation/network-policy", sourceOfPeer(ctx, u, direction, ns), `NetworkPolicy ${nameOf(p)} ${text}`, { unit: u, object: p, path }));
          if (peers.length === 0) {
            report([...rulePath, peersKey], `has an ${direction} rule without ${peersKey}, which opens it to every address, other accounts included — name the peers`);
            return;
          }
          peers.forEach((peer, j) => {
            const path: ObjPath = [...rulePath, peersKey, j];
            const pe = asObj(peer);
            if (isObj(pe.ipBlock)) {
              const open = openPrivateRanges(str(pe.ipBlock.cidr) ?? "", asArr(pe.ipBlock.except).map(String));
              if (open.length > 0) report([...path, "ipBlock"], `opens ${direction} to the private range${open.length > 1 ? "s" : ""} ${open.join(", ")}, where other accounts' clusters live — except them from the ipBlock`);
            }
            if (pe.namespaceSelector !== undefined) {
              const sel = asObj(pe.namespaceSelector);
              const names = [str(asObj(sel.matchLabels)[NS_LABEL]), ...asArr(sel.matchExpressions).map(asObj).filter((e) => e.key === NS_LABEL && e.operator === "In").flatMap((e) => asArr(e.values).map(String))].filter((n): n is string => !!n);
              const otherKeys = Object.keys(asObj(sel.matchLabels)).filter((k) => k !== NS_LABEL).length + asArr(sel.matchExpressions).filter((e) => asObj(e).key !== NS_LABEL || asObj(e).operator !== "In").length;
              if (names.length === 0) {
                report([...path, "namespaceSelector"], otherKeys === 0 ? "selects every namespace in the cluster — select one namespace by its kubernetes.io/metadata.name" : "selects namespaces by labels other than their name, which cannot be held to the account — select namespaces by kubernetes.io/metadata.name");
                return;
              }
              for (const ns of names) {
                if (known(u).has(ns)) continue;
                const other = byNamespace.get(ns);
                report([...path, "namespaceSelector"], other ? `opens ${direction} to namespace ${ns} of account ${other.d.account} — accounts never talk to each other; remove the dependency` : `opens ${direction} to namespace ${ns}, which is not a namespace of account ${u.d.account} — open only to the account's own namespaces`, ns);
              }
            }
          });
        });
      }
    }
  }
  return out;
});

/** Egress peers come from the service's dependsOn; ingress peers from the calling service's dependsOn. */
function sourceOfPeer(ctx: Context, u: Unit, direction: "ingress" | "egress", ns: string | undefined): SourceRef {
  if (direction === "egress") return { file: u.service.file, path: "dependsOn" };
  const caller = ns ? ctx.units.find((x) => x.d.namespace === ns) : undefined;
  return caller ? { file: caller.service.file, path: "dependsOn" } : { file: u.service.file, path: "" };
}

export const isolationRules = [crossAccountRule, commonApiRule, networkPolicyRule];
