/**
 * Which account a host belongs to: the account whose domain, environment domain or cluster server is the
 * longest suffix of it (prod's apex `acme.dev` holds `nonprod.acme.dev`, which nonprod owns). Cluster-internal
 * names (`*.svc`, `*.cluster.local`) resolve only inside their own cluster and belong to no account.
 */
import type { ResolvedEstate } from "@gitops/model";

export interface Ownership {
  /** The account owning a host, or undefined for hosts outside the estate's domains. */
  ownerOf(host: string): string | undefined;
  /** The account that holds what prod and nonprod share (the registry's), if any. */
  readonly common: string | undefined;
  readonly registryHost: string;
}

const hostPattern = /(?<![A-Za-z0-9_.@-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9](?![A-Za-z0-9_-])/gi;

const urlPattern = /\b[a-z][a-z0-9+.-]*:\/\/(?:[^/@\s]*@)?([^/:?#\s]+)/gi;

/**
 * Host names in a string: URL hosts (credentials skipped), bare DNS names, image registries; never
 * cluster-internal names, nor the domain of an e-mail address (which is not a connection).
 */
export function hostsIn(value: string): string[] {
  if (!value.includes(".")) return []; // every host this finds has a dot (most values are names and numbers)
  const out = new Set<string>();
  for (const m of value.matchAll(urlPattern)) out.add(m[1]!.toLowerCase());
  for (const m of value.matchAll(hostPattern)) out.add(m[0].toLowerCase());
  return [...out].filter((h) => h.includes(".") && !internal(h) && !/^[\d.]+$/.test(h));
}

const internal = (host: string) => host.endsWith(".svc") || host.endsWith(".cluster.local") || host.includes(".svc.");

export function hostOf(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/@\s]*@)?([^/:?#\s]+)/i.exec(url);
  return m?.[1]?.toLowerCase();
}

export function ownership(estate: ResolvedEstate): Ownership {
  const suffixes: { suffix: string; account: string }[] = [];
  for (const a of estate.accounts) {
    suffixes.push({ suffix: a.domain, account: a.name });
    const server = hostOf(a.cluster.server);
    if (server && !internal(server)) suffixes.push({ suffix: server, account: a.name });
  }
  for (const e of estate.environments) suffixes.push({ suffix: e.domain, account: e.account });
  suffixes.sort((x, y) => y.suffix.length - x.suffix.length);
  const ownerOf = (host: string) => {
    const h = host.toLowerCase().replace(/\.$/, "");
    return suffixes.find((s) => h === s.suffix || h.endsWith(`.${s.suffix}`))?.account;
  };
  const registryHost = estate.registry.split("/")[0]!.split(":")[0]!;
  return { ownerOf, common: ownerOf(registryHost), registryHost };
}
