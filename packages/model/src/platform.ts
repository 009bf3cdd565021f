/**
 * The shared platform services, as data: which chart each one is, the version it is pinned to by default, the
 * namespace it runs in, and whether it runs in every account's cluster or only in the hub (the account that
 * receives everyone's telemetry: common). The estate may pin other versions; `@gitops/platform` turns each
 * component into the Helm values and companion objects for one account.
 */

/** `every`: one release per account's cluster; `hub`: only in the hub account (stores that everyone ships to). */
export type ComponentScope = "every" | "hub";

export interface ComponentSpec {
  readonly description: string;
  /** Helm repository and chart name. */
  readonly repoURL: string;
  readonly chart: string;
  /** The version `@gitops/platform`'s values are written for; the estate may pin another (see `platform.charts`). */
  readonly version: string;
  readonly namespace: string;
  readonly scope: ComponentScope;
  /**
   * Pod Security level its namespace enforces: what the chart needs and no more (log shippers and node exporters
   * mount host paths, so theirs is privileged).
   */
  readonly podSecurity: "privileged" | "baseline" | "restricted";
  /**
   * Rollout order among platform apps (ArgoCD sync waves on the Application CRs, gated by the Application health
   * check): operators whose CRDs others use come first.
   */
  readonly wave: number;
}

export const components = {
  "cert-manager": {
    description: "Certificates for every public host, from an ACME ClusterIssuer per account.",
    repoURL: "https://charts.jetstack.io",
    chart: "cert-manager",
    version: "v1.16.2",
    namespace: "cert-manager",
    scope: "every",
    podSecurity: "restricted",
    wave: -5,
  },
  "external-secrets": {
    description: "The external-secrets operator and the account's one ClusterSecretStore.",
    repoURL: "https://charts.external-secrets.io",
    chart: "external-secrets",
    version: "0.10.7",
    namespace: "external-secrets",
    scope: "every",
    podSecurity: "restricted",
    wave: -5,
  },
  "kube-prometheus-stack": {
    description: "Prometheus operator, a Prometheus per cluster that evaluates alert rules and remote-writes to the hub; the hub keeps metrics, Alertmanager and Grafana.",
    repoURL: "https://prometheus-community.github.io/helm-charts",
    chart: "kube-prometheus-stack",
    version: "66.3.1",
    namespace: "monitoring",
    scope: "every",
    podSecurity: "privileged",
    wave: -5,
  },
  "ingress-nginx": {
    description: "The ingress controller: the only way into a cluster's services from outside.",
    repoURL: "https://kubernetes.github.io/ingress-nginx",
    chart: "ingress-nginx",
    version: "4.11.3",
    namespace: "ingress-nginx",
    scope: "every",
    podSecurity: "baseline",
    wave: -4,
  },
  "argo-rollouts": {
    description: "The Argo Rollouts controller and its CRDs: canary and blue-green rollouts of services, analysed against their SLOs, aborted (rolled back) on a breach.",
    repoURL: "https://argoproj.github.io/argo-helm",
    chart: "argo-rollouts",
    // Chart 2.40.5 installs Argo Rollouts v1.8.3.
    version: "2.40.5",
    namespace: "argo-rollouts",
    scope: "every",
    podSecurity: "restricted",
    // After kube-prometheus-stack (-5), whose ServiceMonitor CRD its metrics use; before every service (the ApplicationSet).
    wave: -4,
  },
  "opentelemetry-collector": {
    description: "OTLP endpoint for every workload; spokes forward to the hub's collector, which feeds the stores.",
    repoURL: "https://open-telemetry.github.io/opentelemetry-helm-charts",
    chart: "opentelemetry-collector",
    version: "0.111.2",
    namespace: "observability",
    scope: "every",
    podSecurity: "baseline",
    wave: -3,
  },
  "fluent-bit": {
    description: "Log shipping: a DaemonSet that tails every container's logs and pushes them to the hub's Loki.",
    repoURL: "https://fluent.github.io/helm-charts",
    chart: "fluent-bit",
    version: "0.48.3",
    namespace: "logging",
    scope: "every",
    podSecurity: "privileged",
    wave: -3,
  },
  loki: {
    description: "Log store, in the hub only: logs never live with the environment they describe.",
    repoURL: "https://grafana.github.io/helm-charts",
    chart: "loki",
    version: "6.22.0",
    namespace: "loki",
    scope: "hub",
    podSecurity: "baseline",
    wave: -4,
  },
  tempo: {
    description: "Trace store, in the hub only.",
    repoURL: "https://grafana.github.io/helm-charts",
    chart: "tempo",
    version: "1.14.0",
    namespace: "tracing",
    scope: "hub",
    podSecurity: "baseline",
    wave: -4,
  },
  velero: {
    description: "Backups of the account's stateful namespaces, on the tiers' schedules, into the account's own bucket (the data never leaves its account).",
    repoURL: "https://vmware-tanzu.github.io/helm-charts",
    chart: "velero",
    version: "8.1.0",
    namespace: "velero",
    scope: "every",
    // Its node agent reads pod volumes from the host for file-system backups.
    podSecurity: "privileged",
    wave: -4,
  },
} as const satisfies Record<string, ComponentSpec>;

export type ComponentName = keyof typeof components;
export const componentNames = Object.keys(components).sort() as ComponentName[];

/**
 * In-cluster names workloads and network policies rely on. The platform renders its charts with these names
 * (`fullnameOverride`), so a service's OTLP endpoint and its network policy peers are the same in every account.
 */
export const wellKnown = {
  collector: {
    component: "opentelemetry-collector",
    service: "otel-collector",
    /** Pod labels of the collector chart's pods. */
    podLabels: { "app.kubernetes.io/name": "opentelemetry-collector" },
    grpcPort: 4317,
    httpPort: 4318,
  },
  scraper: {
    component: "kube-prometheus-stack",
    /** Pod labels of the Prometheus pods the operator runs. */
    podLabels: { "app.kubernetes.io/name": "prometheus" },
    /** The Service in front of them (the chart's, under `fullnameOverride`), which a hub's analyses query. */
    service: "kube-prometheus-stack-prometheus",
    port: 9090,
  },
  /**
   * A spoke's credentials for shipping to the hub (metrics, alerts, traces, logs): one path in every account's own
   * store, fetched into a Secret of this name by the platform's shippers only. They let a spoke write, not query.
   */
  hubCredentials: { storeKey: "platform/hub-credentials", secret: "hub-credentials" },
  /**
   * A spoke's read-only credentials for the hub: its metrics query endpoint and nothing else, fetched into a Secret
   * of this name beside each service whose canary analysis queries the hub. Kept apart from `hubCredentials` so
   * that no service namespace holds a credential that writes metrics (which could forge the series another
   * account's analyses judge a rollout by).
   */
  hubQueryCredentials: { storeKey: "platform/hub-query-credentials", secret: "hub-query-credentials" },
  /** The controller that runs canary and blue-green rollouts (the `argo-rollouts` component). */
  rollouts: { component: "argo-rollouts" },
  ingressController: {
    podLabels: { "app.kubernetes.io/name": "ingress-nginx" },
  },
} as const;

/** The hub's public endpoints, one host each under the hub account's domain: what spokes ship to. */
export const hubEndpoints = ["otlp", "metrics", "alertmanager", "logs"] as const;
export type HubEndpoint = (typeof hubEndpoints)[number];
