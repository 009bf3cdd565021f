/**
 * The resolved model: tier defaults, account, environment, service and override merged into plain,
 * complete values. Bases and generators read only this; nothing downstream sees authored input.
 */
import type { ComponentName, HubEndpoint } from "./platform.ts";
import type { AlertSeverity, AnalysisCadence, AntiAffinity, CanaryDelivery, LogLevel, Quantities, PodSecurityLevel, Resources, Slo, Tier, TierName } from "./tiers.ts";

export interface ResolvedAccount {
  readonly name: string;
  readonly file: string;
  readonly cluster: { readonly name: string; readonly server: string };
  readonly domain: string;
  readonly secretStore: { readonly name: string; readonly kind: "ClusterSecretStore" | "SecretStore" };
  readonly ingress: { readonly className: string; readonly clusterIssuer: string; readonly namespace: string };
}

export interface ResolvedEnvironment {
  readonly name: string;
  readonly file: string;
  readonly account: string;
  readonly tierName: TierName;
  readonly tier: Tier;
  readonly wave: number;
  readonly domain: string;
}

/** Where a resolved value came from, for `explain` and for errors that point back at the source. */
/** `platform`: declared once in the estate's platform block (shared config, telemetry settings) and copied down. */
export type Layer = "tier" | "account" | "platform" | "environment" | "service" | "override" | "derived";
export interface Origin {
  readonly layer: Layer;
  readonly file: string;
}

export type WorkloadKind = "http" | "worker" | "job";

/** A service's waiver of one policy rule, as written in its service file (see schema.ts). */
export interface Waiver {
  readonly rule: string;
  readonly reason: string;
  /** Last day the waiver holds, YYYY-MM-DD. */
  readonly expires: string;
  /** Environments covered; absent: all of the service's environments. */
  readonly environments?: readonly string[];
  /** The service file, and the waiver's field path in it (e.g. `waivers[0]`). */
  readonly file: string;
  readonly path: string;
}

export interface ResolvedService {
  readonly name: string;
  readonly file: string;
  readonly kind: WorkloadKind;
  readonly description: string;
  readonly team: string;
  readonly costCenter: string;
  /** Environments the service is deployed to, in wave order. */
  readonly environments: readonly string[];
  /** Policy rules the service is exempt from; absent when it has none. Read by @gitops/policy. */
  readonly waivers?: readonly Waiver[];
}

export interface Peer {
  readonly service: string;
  readonly namespace: string;
  /** The peer's container port, which network policies name. */
  readonly port: number;
}

/**
 * Where an analysis reads the service's metrics: the hub's Prometheus, which every spoke remote-writes to (the
 * common account's metrics), or the account's own when the account is its own hub.
 */
export interface MetricsSource {
  /** The Prometheus HTTP API: `https://<hub metrics endpoint>`, or the in-cluster Prometheus of a hub. */
  readonly address: string;
  /**
   * The `account` external label every series of this account carries at the hub (its Prometheus adds it when it
   * remote-writes); absent when querying the account's own Prometheus, whose local series carry no external labels.
   */
  readonly account?: string;
  /**
   * Basic auth at the hub: the Secret (in the service's namespace) and key holding the `Authorization: Basic`
   * credential, fetched by an ExternalSecret from `storeKey`/`property` in the account's own store. Absent in a hub.
   */
  readonly credentials?: { readonly secret: string; readonly key: string; readonly storeKey: string; readonly property: string };
}

/** The tier's analysis cadence, and where it reads the metrics. */
export interface ResolvedAnalysis extends AnalysisCadence {
  readonly metrics: MetricsSource;
}

/**
 * How a new version of the service replaces the old (see DeliveryStrategy in tiers.ts): the strategy the service or
 * the tier chose, with the tier's parameters for it.
 */
export type ResolvedDelivery =
  | { readonly strategy: "rolling" }
  | { readonly strategy: "canary"; readonly steps: CanaryDelivery["steps"]; readonly analysis: ResolvedAnalysis }
  | { readonly strategy: "blueGreen"; readonly scaleDownDelaySeconds: number; readonly analysis: ResolvedAnalysis };

/** One service in one environment: everything a base needs to render it. */
export interface ResolvedDeployment {
  readonly service: string;
  readonly kind: WorkloadKind;
  readonly environment: string;
  readonly account: string;
  readonly namespace: string;
  readonly description: string;
  readonly team: string;
  readonly costCenter: string;
  /** Files this deployment was resolved from, for the generated-file header. */
  readonly sources: readonly string[];
  readonly image: string;
  readonly version: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly replicas: number;
  readonly autoscaling: { readonly minReplicas: number; readonly maxReplicas: number; readonly targetCPUUtilizationPercentage: number } | null;
  readonly resources: Resources;
  readonly antiAffinity: AntiAffinity;
  readonly podSecurity: PodSecurityLevel;
  readonly readOnlyRootFilesystem: boolean;
  readonly debug: boolean;
  readonly rollingUpdate: { readonly maxSurge: string; readonly maxUnavailable: string };
  readonly disruptionBudget: { readonly maxUnavailable: number } | null;
  readonly logLevel: LogLevel;
  /** Serving port (http) or health port (worker); absent for jobs. */
  readonly port?: number;
  readonly health?: { readonly port: number; readonly readiness: string; readonly liveness: string };
  readonly schedule?: string;
  /** Non-secret environment variables, sorted by name; includes LOG_LEVEL, URLs and dependency URLs. */
  readonly config: Readonly<Record<string, string>>;
  /** Secret references by environment variable, sorted by name. */
  readonly secrets: readonly { readonly env: string; readonly key: string; readonly property?: string }[];
  readonly secretStore: ResolvedAccount["secretStore"];
  /** Services this one calls (egress allowed) and services that call it (ingress allowed). */
  readonly dependsOn: readonly Peer[];
  readonly dependents: readonly Peer[];
  readonly ingress?: { readonly host: string; readonly path: string; readonly className: string; readonly clusterIssuer: string; readonly controllerNamespace: string };
  /** Cost and ownership labels carried by every object. */
  readonly labels: Readonly<Record<string, string>>;
  /** Rollout health from the tier: what a RollingSync step waits for (see Tier.health). */
  readonly minReadySeconds: number;
  readonly progressDeadlineSeconds: number;
  /** The SLO alerts fire on and canary analysis aborts on: the tier's, tightened by the service. */
  readonly slo: Slo;
  /**
   * The deployment strategy and its parameters; absent for jobs (every run is a new pod). Origins:
   * `delivery.strategy` (override, service or tier), `delivery.analysis` (tier), `delivery.metrics` (platform).
   */
  readonly delivery?: ResolvedDelivery;
  /** How the workload is observed; the peers here are the account's platform releases. */
  readonly observability: {
    /** The account's OTLP collector, which every workload may reach (its OTEL_* settings point there). */
    readonly collector: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>>; readonly ports: readonly number[] };
    /** The account's Prometheus, which may reach the metrics port. */
    readonly scraper: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
    /** The scrape endpoint; absent for jobs and services with `metrics: false`. */
    readonly metrics?: { readonly port: number; readonly path: string };
    /** Alert rules: the tier's severity (the Alertmanager route) and how long a breach lasts before it fires. */
    readonly alerts: { readonly severity: AlertSeverity; readonly for: string };
  };
  /**
   * The namespace's guard rails: a ResourceQuota of the workload's largest size plus the tier's headroom, and a
   * LimitRange at its own requests and limits (see Tier.quota).
   */
  readonly quota: { readonly pods: number; readonly requests: Quantities; readonly limits: Quantities };
  /** The volume the service keeps its data on; absent for stateless services. */
  readonly state?: { readonly size: string; readonly mountPath: string; readonly accessMode: "ReadWriteOnce" | "ReadWriteMany"; readonly storageClassName?: string };
  /** The tier's backup schedule for that state; absent when stateless or where the tier keeps no backups. */
  readonly backup?: { readonly schedule: string; readonly ttl: string };
  /** Where each resolved value came from, keyed by field path. */
  readonly origins: Readonly<Record<string, Origin>>;
}

/**
 * What rendering reads of a deployment: all but its origins, which explain the model (`gitops explain`, the README)
 * and never reach a manifest or a runbook. The generator's render keys stand on exactly this (60 % of the JSON).
 */
export type RenderableDeployment = Omit<ResolvedDeployment, "origins">;

/** A deployment as rendering reads it: the same object when it has no origins, else a copy without them. */
export function renderable(deployment: RenderableDeployment & { readonly origins?: unknown }): RenderableDeployment {
  if (deployment.origins === undefined) return deployment;
  const { origins: _, ...data } = deployment;
  return data;
}

/** One platform component installed into one account's cluster, as an ArgoCD Application of its Helm chart. */
export interface PlatformRelease {
  readonly component: ComponentName;
  readonly account: string;
  /** The Application's name, `platform-<account>-<component>`. */
  readonly name: string;
  readonly namespace: string;
  readonly chart: { readonly repoURL: string; readonly chart: string; readonly version: string };
  /** Sync wave of the Application CR in the root app (operators first, then what uses their CRDs). */
  readonly wave: number;
  /** The account's platform tier: the tier of its last environment to roll out, which sizes the release. */
  readonly tierName: TierName;
  readonly tier: Tier;
  /** Whether the release runs in a hub (receives and stores) or in a spoke (ships to the hub). */
  readonly hub: boolean;
  /** The public hosts of the hub this release keeps or ships its telemetry at (`otlp.<hub domain>`, …). */
  readonly endpoints: Readonly<Record<HubEndpoint, string>>;
  /** The secret manager the account's store reads, through the account's own mount. Default: https://vault.<hub domain>. */
  readonly vault: string;
  /** The ACME contact of the account's ClusterIssuer. Default: platform@<hub domain>. */
  readonly acmeEmail: string;
}

export interface ResolvedPlatform {
  readonly team: string;
  readonly costCenter: string;
  /**
   * The account that receives every account's telemetry and keeps the stores: `platform.hub`, or by default the
   * account running ArgoCD when it runs no services. Absent when there is none: each account is its own hub.
   */
  readonly hub?: string;
  readonly retention: { readonly metrics: string; readonly logs: string; readonly traces: string };
  /** Each account's backup bucket (`{account}` unfilled) and region. */
  readonly backups: { readonly bucket: string; readonly region: string };
  /** The shared hub's public hosts, the only way spokes reach it; empty without a shared hub. */
  readonly endpoints: Readonly<Partial<Record<HubEndpoint, string>>>;
  /**
   * Each spoke account's own metrics query host at the shared hub, `<account>.metrics.<hub domain>`: queries there
   * see that account's series only (the hub enforces its `account` label). Empty without a shared hub.
   */
  readonly queryEndpoints: Readonly<Record<string, string>>;
  /** Shared settings declared once in common, by name (values as written, `{domain}` unfilled). */
  readonly config: Readonly<Record<string, string>>;
  /** Sorted by account, then wave, then component. */
  readonly releases: readonly PlatformRelease[];
}

export interface ResolvedEstate {
  readonly file: string;
  readonly repository: { readonly url: string; readonly revision: string };
  readonly registry: string;
  readonly platformTeam: string;
  readonly argocdNamespace: string;
  /** The environment whose cluster runs ArgoCD (default: the lowest wave's, i.e. shared). */
  readonly argocdEnvironment: string;
  /** Sorted by name. */
  readonly accounts: readonly ResolvedAccount[];
  /** Sorted by wave, then name. */
  readonly environments: readonly ResolvedEnvironment[];
  /** Sorted by name. */
  readonly services: readonly ResolvedService[];
  /** Sorted by environment wave, environment name, then service name. */
  readonly deployments: readonly ResolvedDeployment[];
  readonly platform: ResolvedPlatform;
}
