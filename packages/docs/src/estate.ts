/** The documents generated beside the manifests: generated/README.md and .github/CODEOWNERS. */
import type { ResolvedEstate } from "@gitops/model";
import { renderTemplate } from "./render.ts";

const millicores = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
const mebibytes = (q: string) => Number(q.slice(0, -2)) * ({ Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 }[q.slice(-2)] ?? 0);

/** One secret-store key an ExternalSecret in an account reads, and what reads it (for the estate README's bootstrap list). */
export interface StoreKeyRead {
  readonly account: string;
  readonly key: string;
  /** The property read; undefined: the whole value. */
  readonly property?: string;
  /** Who reads it: `platform <component>`, `ArgoCD`, or a service. */
  readonly reader: string;
  /** Where a service reads it: an environment, or `preview`. Default: nowhere in particular (the platform, ArgoCD). */
  readonly environment?: string;
}

/**
 * generated/README.md: accounts, waves, every service's version and replicas per environment, cost per team, the
 * shared platform, every secret-store key each account's store must hold (`storeKeys`, default none listed), and
 * every public host DNS must resolve, per account.
 */
export function estateReadme(estate: ResolvedEstate, storeKeys: readonly StoreKeyRead[] = []): string {
  const envs = estate.environments;
  // Indexed once: a lookup per service and environment over every deployment grew with the square of the estate.
  const byCell = new Map(estate.deployments.map((d) => [`${d.service}\0${d.environment}`, d]));
  const perEnvironment = new Map<string, number>();
  for (const d of estate.deployments) perEnvironment.set(d.environment, (perEnvironment.get(d.environment) ?? 0) + 1);
  const count = (env: string) => perEnvironment.get(env) ?? 0;
  const accounts = estate.accounts.map((a) => ({
    name: a.name,
    cluster: a.cluster.name,
    server: a.cluster.server,
    domain: a.domain,
    secretStore: `${a.secretStore.kind}/${a.secretStore.name}`,
    environments: envs.filter((e) => e.account === a.name).map((e) => ({ name: e.name, wave: e.wave, services: count(e.name) })),
  }));
  const arrows = envs.slice(1).map((e, i) => ({ from: envs[i]!.name, to: e.name }));
  const services = estate.services.map((s) => ({
    name: s.name,
    kind: s.kind,
    team: s.team,
    cells: envs.map((e) => {
      const d = byCell.get(`${s.name}\0${e.name}`);
      if (!d) return "·";
      const replicas = d.autoscaling ? `${d.autoscaling.minReplicas}–${d.autoscaling.maxReplicas}` : String(d.replicas);
      return `${d.version} × ${d.kind === "job" ? "job" : replicas}`;
    }),
  }));
  // Grouped once: filtering every deployment per team grew with teams × deployments (2,000 × 6,000 at S=2000).
  const byTeam = new Map<string, (typeof estate.deployments)[number][]>();
  for (const d of estate.deployments) (byTeam.get(d.team) ?? byTeam.set(d.team, []).get(d.team)!).push(d);
  const teams = [...new Set(estate.services.map((s) => s.team))].sort().map((team) => {
    const ds = byTeam.get(team) ?? [];
    const pods = ds.reduce((n, d) => n + (d.kind === "job" ? 0 : d.replicas), 0);
    const cpu = ds.reduce((n, d) => n + (d.kind === "job" ? 0 : d.replicas * millicores(d.resources.requests.cpu)), 0);
    const mem = ds.reduce((n, d) => n + (d.kind === "job" ? 0 : d.replicas * mebibytes(d.resources.requests.memory)), 0);
    return {
      name: team,
      costCenters: [...new Set(ds.map((d) => d.costCenter))].sort().join(", "),
      services: new Set(ds.map((d) => d.service)).size,
      pods,
      cpu: `${(cpu / 1000).toFixed(1)} cores`,
      memory: `${(mem / 1024).toFixed(1)} GiB`,
    };
  });
  return renderTemplate("estate-readme.md", {
    accounts,
    arrows,
    environments: envs.map((e) => ({ name: e.name, wave: e.wave, account: e.account, tier: e.tierName, services: count(e.name) })),
    services,
    teams,
    platform: {
      file: estate.file,
      team: estate.platform.team,
      costCenter: estate.platform.costCenter,
      hub: estate.platform.hub,
      releases: estate.platform.releases.map((r) => ({
        account: r.account,
        component: r.component,
        chart: r.chart.chart,
        version: r.chart.version,
        namespace: r.namespace,
        wave: r.wave,
        role: r.hub ? (estate.platform.hub ? "hub" : "keeps its own") : `ships to ${estate.platform.hub}`,
      })),
      config: Object.entries(estate.platform.config).map(([name, value]) => ({
        name,
        value: value.replaceAll("|", "\\|"),
        readers: [...new Set(estate.deployments.filter((d) => d.origins[`config.${name}`]?.layer === "platform").map((d) => d.service))].sort().join(", ") || "nobody yet",
      })),
    },
    stores: storesOf(estate, storeKeys),
    dns: dnsOf(estate),
    waivers: estate.services.flatMap((s) =>
      (s.waivers ?? []).map((w) => ({ service: s.name, rule: w.rule, environments: w.environments?.join(", ") ?? "all", expires: w.expires, reason: w.reason.replaceAll("|", "\\|") })),
    ),
  });
}

/** What each of the hub's endpoints takes, for the DNS table. */
const HUB_SERVES: Readonly<Record<string, string>> = { otlp: "OTLP from the accounts", metrics: "remote write from the accounts", alertmanager: "alerts from the accounts", logs: "log pushes from the accounts" };

/**
 * Per account (in the estate's order), every public host that must resolve to its ingress controller: its services'
 * hosts per environment and, in the hub, the hub's endpoints and each spoke's own query host. cert-manager's HTTP-01
 * challenge needs each of them to resolve before the host gets its certificate. Rows joined here, like the keys.
 */
function dnsOf(estate: ResolvedEstate) {
  const hostsOf = new Map<string, Map<string, string>>();
  const add = (account: string, host: string, what: string) => (hostsOf.get(account) ?? hostsOf.set(account, new Map()).get(account)!).set(host, what);
  for (const d of estate.deployments) if (d.ingress) add(d.account, d.ingress.host, `${d.service} (${d.environment})`);
  // Every account that keeps telemetry (the shared hub, or each account without one) serves the hub's endpoints.
  for (const r of estate.platform.releases)
    if (r.hub) for (const [endpoint, host] of Object.entries(r.endpoints)) add(r.account, host, HUB_SERVES[endpoint] ?? `the hub's ${endpoint} endpoint`);
  const hub = estate.platform.hub;
  if (hub) for (const [account, host] of Object.entries(estate.platform.queryEndpoints)) add(hub, host, `${account}'s metrics queries`);
  return estate.accounts.flatMap((a) => {
    const hosts = hostsOf.get(a.name);
    if (!hosts) return [];
    const rows = [...hosts.keys()].sort().map((host) => `| \`${host}\` | ${hosts.get(host)!} |`);
    return [{ account: a.name, cluster: a.cluster.name, controller: `${a.ingress.namespace}/${a.ingress.className}`, rows: rows.join("\n") }];
  });
}

/** Readers named in full in a key's row; more are counted. */
const MAX_READERS = 6;

/**
 * Per account (in the estate's order), its store and the keys the platform team provisions there: those the
 * platform or ArgoCD read, and those several services share (the hub's query credentials); each with its properties
 * and readers. A service's own keys are only counted: its runbook lists them, and its team provisions them. Rows are
 * joined here rather than in the template, which at S=2000 took several times as long for the same table.
 */
function storesOf(estate: ResolvedEstate, reads: readonly StoreKeyRead[]) {
  const cell = (s: string) => s.replaceAll("|", "\\|");
  const byAccount = new Map<string, Map<string, { properties: Set<string>; readers: Map<string, Set<string>> }>>();
  for (const r of reads) {
    const keys = byAccount.get(r.account) ?? byAccount.set(r.account, new Map()).get(r.account)!;
    const k = keys.get(r.key) ?? keys.set(r.key, { properties: new Set(), readers: new Map() }).get(r.key)!;
    k.properties.add(r.property ?? "(whole value)");
    const where = k.readers.get(r.reader) ?? k.readers.set(r.reader, new Set()).get(r.reader)!;
    if (r.environment !== undefined) where.add(r.environment);
  }
  return estate.accounts.flatMap((a) => {
    const keys = byAccount.get(a.name);
    if (!keys) return [];
    const shared = (readers: Map<string, Set<string>>) => readers.size > 1 || [...readers.values()].some((envs) => envs.size === 0);
    const listed = [...keys.keys()].filter((key) => shared(keys.get(key)!.readers)).sort();
    const rows = listed.map((key) => {
      const { properties, readers } = keys.get(key)!;
      const who = [...readers.keys()].sort().map((r) => (readers.get(r)!.size > 0 ? `${r} (${[...readers.get(r)!].sort().join(", ")})` : r));
      const named = who.length > MAX_READERS ? [...who.slice(0, MAX_READERS - 1), `and ${who.length - MAX_READERS + 1} more`] : who;
      return `| \`${cell(key)}\` | ${[...properties].sort().map((p) => `\`${cell(p)}\``).join(", ")} | ${named.map(cell).join(", ")} |`;
    });
    return [{ account: a.name, store: `${a.secretStore.kind}/${a.secretStore.name}`, rows: rows.join("\n"), listed: listed.length, own: keys.size - listed.length }];
  });
}

/**
 * .github/CODEOWNERS: the platform team owns prod, common, environments and packages; each team owns its
 * service's source and its non-prod output. GitHub applies the last matching line, so specific lines come last.
 */
export function codeowners(estate: ResolvedEstate): string {
  const org = estate.platformTeam.includes("/") ? estate.platformTeam.slice(0, estate.platformTeam.indexOf("/")) : estate.platformTeam;
  const platform = estate.platformTeam;
  const lines = [
    "# Generated by `pnpm generate` from environments/ and services/: do not edit.",
    `*                       ${platform}`,
    `/environments/          ${platform}`,
    `/packages/              ${platform}`,
    `/.github/               ${platform}`,
  ];
  // Paged environments (prod, shared: ArgoCD itself) belong to the platform team; service lines below add the team.
  for (const e of estate.environments) if (e.tier.pager) lines.push(`/generated/${e.account}/${e.name}/ ${platform}`);
  for (const s of estate.services) {
    const team = `${org}/${s.team}`;
    lines.push(`/services/${s.name}/ ${team}`);
    for (const env of s.environments) {
      const e = estate.environments.find((x) => x.name === env)!;
      // Paged environments stay with the platform team alone: any PR that changes prod output needs its review.
      if (!e.tier.pager) lines.push(`/generated/${e.account}/${env}/${s.name}/ ${team}`);
    }
    // Its pull-request preview folder, which changes with its dev output (`preview` is @gitops/argocd's PREVIEW_FOLDER).
    lines.push(`/generated/*/preview/${s.name}/ ${team}`);
  }
  return `${lines.join("\n")}\n`;
}
