/**
 * What a platform component's base sees for one account: the release (chart, namespace, tier), the account, and
 * the platform as a whole (hub endpoints, vault, retention). Bases read only this: nothing here knows an account's
 * name beyond using it as a label or a path, and hub or spoke is the release's `hub` flag, set by the estate.
 */
import type { PlatformRelease, ResolvedAccount, ResolvedDeployment, ResolvedPlatform, Resources } from "@gitops/model";
import { wellKnown } from "@gitops/model";

export interface ReleaseContext {
  readonly release: PlatformRelease;
  readonly account: ResolvedAccount;
  readonly platform: ResolvedPlatform;
  /** Sizes from the account's platform tier: its minimum replica count and its resource floor. */
  readonly replicas: number;
  readonly resources: Resources;
  /** The account's deployments, for what the platform does per service (backup schedules). */
  readonly deployments: readonly ResolvedDeployment[];
  /** The typed files a deployment was resolved from (service, environment, estate): the header of what it causes. */
  readonly sourcesOf: (d: ResolvedDeployment) => readonly string[];
  /** Ownership and cost labels for everything the release creates. */
  readonly labels: Readonly<Record<string, string>>;
}

/** A Kubernetes object body; the renderer adds name, namespace, labels and annotations. */
export interface CompanionObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Cluster-scoped objects (ClusterIssuer, ClusterSecretStore) have none; default: the release's namespace. */
  readonly clusterScoped?: boolean;
  readonly annotations?: Readonly<Record<string, string>>;
  /** The typed files it comes from, for its header; default: the estate file, where the platform is declared. */
  readonly sources?: readonly string[];
  /** Labels beside the platform's (a service's backup schedule carries the service's cost labels). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
}

/** One platform component: its chart values, and the objects that configure it beside the chart. */
export interface ComponentBase {
  values(ctx: ReleaseContext): Record<string, unknown>;
  objects(ctx: ReleaseContext): CompanionObject[];
}

/** Where a spoke's shipping credentials for the hub live in its own account's store (one path, the same in every account). */
export const HUB_CREDENTIALS_KEY = wellKnown.hubCredentials.storeKey;
/** The Secret each spoke component that ships to the hub reads those credentials from (never a service's: analyses query with model `wellKnown.hubQueryCredentials`). */
export const HUB_CREDENTIALS_SECRET = wellKnown.hubCredentials.secret;
/** In the hub: htpasswd lines for the spokes' shipping credentials (`HUB_CREDENTIALS_KEY`), which the hub's ingresses check. */
export const HUB_HTPASSWD_KEY = "platform/hub-htpasswd";
export const HUB_HTPASSWD_SECRET = "hub-basic-auth";
/**
 * In the hub, one per spoke account: htpasswd lines for that account's query credentials (model
 * `wellKnown.hubQueryCredentials`), checked on that account's own query host only.
 */
export const hubQueryHtpasswdKey = (account: string): string => `platform/hub-query-htpasswd-${account}`;
export const hubQueryHtpasswdSecret = (account: string): string => `hub-query-basic-auth-${account}`;

/** An ExternalSecret from the account's own store: how every credential the platform needs arrives. */
export function externalSecret(ctx: ReleaseContext, name: string, key: string, properties: readonly string[]): CompanionObject {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    name,
    body: {
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: ctx.account.secretStore.kind, name: ctx.account.secretStore.name },
        target: { name, creationPolicy: "Owner", deletionPolicy: "Retain" },
        data: properties.map((p) => ({ secretKey: p, remoteRef: { key, property: p } })),
      },
    },
  };
}

/** How a hub ingress admits: which paths of its host it serves, and whose htpasswd it checks. */
export interface HubIngressOptions {
  /** The paths served, each `Exact` or `Prefix`; default everything (`/`, Prefix). */
  readonly paths?: readonly { readonly path: string; readonly pathType: "Exact" | "Prefix" }[];
  /** The htpasswd Secret checked; default the shipping credentials' (`HUB_HTPASSWD_SECRET`). */
  readonly authSecret?: string;
  /** More annotations (ingress-nginx's), default none. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * A public host of the hub, with TLS from the account's issuer and basic auth against the spokes' htpasswd: the
 * only way a spoke reaches the hub. ingress-nginx merges the ingresses of one host, each path under its own
 * ingress's auth, and answers 404 for any path none of them serves.
 */
export function hubIngress(ctx: ReleaseContext, name: string, host: string, backend: { service: string; port: number }, options: HubIngressOptions = {}): CompanionObject {
  const paths = options.paths ?? [{ path: "/", pathType: "Prefix" }];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    name,
    annotations: {
      "cert-manager.io/cluster-issuer": ctx.account.ingress.clusterIssuer,
      "nginx.ingress.kubernetes.io/auth-type": "basic",
      "nginx.ingress.kubernetes.io/auth-secret": options.authSecret ?? HUB_HTPASSWD_SECRET,
      "nginx.ingress.kubernetes.io/auth-realm": "platform hub",
      ...options.annotations,
    },
    body: {
      spec: {
        ingressClassName: ctx.account.ingress.className,
        tls: [{ hosts: [host], secretName: `${name}-tls` }],
        rules: [{ host, http: { paths: paths.map(({ path, pathType }) => ({ path, pathType, backend: { service: { name: backend.service, port: { number: backend.port } } } })) } }],
      },
    },
  };
}

/** "30d" → "720h": Loki and Tempo take hours. */
export const hours = (retention: string) => (retention.endsWith("d") ? `${Number(retention.slice(0, -1)) * 24}h` : retention);
