/**
 * One base per platform component: the Helm values its chart gets in one account, and the objects that configure
 * it beside the chart. Every account gets the same values from the same code; what differs comes from the context
 * (sizes from the tier, the account's store, issuer and labels, and whether the release is the hub's).
 * Charts run under predictable names (`fullnameOverride`), which is what services' OTLP endpoint and network
 * policies rely on (`wellKnown` in @gitops/model).
 */
import { components, wellKnown, type ComponentName, type ResolvedDeployment } from "@gitops/model";
import {
  externalSecret,
  hours,
  hubIngress,
  HUB_CREDENTIALS_KEY,
  HUB_CREDENTIALS_SECRET,
  HUB_HTPASSWD_KEY,
  HUB_HTPASSWD_SECRET,
  hubQueryHtpasswdKey,
  hubQueryHtpasswdSecret,
  type CompanionObject,
  type ComponentBase,
  type ReleaseContext,
} from "./context.ts";

const size = (ctx: ReleaseContext) => ({ replicaCount: ctx.replicas, resources: ctx.resources });
/** A disruption budget wherever the tier runs more than one replica, like services'. */
const pdb = (ctx: ReleaseContext) => ({ enabled: ctx.replicas > 1, maxUnavailable: 1 });
/** A spoke's shipping credentials for the hub, from its own account's store. */
const hubCredentials = (ctx: ReleaseContext) => externalSecret(ctx, HUB_CREDENTIALS_SECRET, HUB_CREDENTIALS_KEY, ["username", "password", "basic"]);
const htpasswd = (ctx: ReleaseContext) => externalSecret(ctx, HUB_HTPASSWD_SECRET, HUB_HTPASSWD_KEY, ["auth"]);
/**
 * The one path of its API each hub host serves spokes, so that shipping credentials write and never read: Prometheus
 * remote-writes (`write`) and canary analyses, with the query credentials, run instant queries (`query`: Argo
 * Rollouts' Prometheus provider) at their account's own query host; Prometheus posts alerts to Alertmanager's v2 API
 * (`alerts`: no silences, no reading others' alerts); fluent-bit pushes to Loki (`logsPush`: no querying another
 * account's logs). Nothing else (admin, federation, the UIs) is reachable from outside the hub. The OTLP host serves
 * the collector, which only receives.
 */
const HUB_PATHS = { write: "/api/v1/write", query: "/api/v1/query", alerts: "/api/v2/alerts", logsPush: "/loki/api/v1/push" } as const;
const only = (path: string) => [{ path, pathType: "Exact" as const }];

/** In-cluster addresses inside the hub. */
const hubServices = {
  prometheus: { service: "kube-prometheus-stack-prometheus", port: 9090 },
  alertmanager: { service: "kube-prometheus-stack-alertmanager", port: 9093 },
  lokiGateway: { service: "loki-gateway", port: 80 },
  tempo: { service: "tempo", port: 4317 },
  /** Tempo's HTTP API (the chart's `tempo.server.http_listen_port`), which Grafana queries. */
  tempoQuery: { service: "tempo", port: 3100 },
  collector: { service: wellKnown.collector.service, port: wellKnown.collector.grpcPort },
} as const;
const local = (ns: string, s: { service: string; port: number }) => `${s.service}.${ns}.svc.cluster.local:${s.port}`;

const certManager: ComponentBase = {
  values: (ctx) => ({
    fullnameOverride: "cert-manager",
    // Leader election in its own namespace, not kube-system, which no platform project may deploy to.
    global: { commonLabels: { ...ctx.labels }, leaderElection: { namespace: ctx.release.namespace } },
    crds: { enabled: true, keep: true },
    ...size(ctx),
    podDisruptionBudget: pdb(ctx),
    webhook: { ...size(ctx), podDisruptionBudget: pdb(ctx) },
    cainjector: { ...size(ctx), podDisruptionBudget: pdb(ctx) },
    prometheus: { enabled: true, servicemonitor: { enabled: true } },
  }),
  // The issuer every public host's certificate comes from (services' Ingresses name it).
  objects: (ctx) => [
    {
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      name: ctx.account.ingress.clusterIssuer,
      clusterScoped: true,
      body: {
        spec: {
          acme: {
            server: "https://acme-v02.api.letsencrypt.org/directory",
            email: ctx.release.acmeEmail,
            privateKeySecretRef: { name: `${ctx.account.ingress.clusterIssuer}-account-key` },
            solvers: [{ http01: { ingress: { ingressClassName: ctx.account.ingress.className } } }],
          },
        },
      },
    },
  ],
};

const externalSecrets: ComponentBase = {
  values: (ctx) => ({
    fullnameOverride: "external-secrets",
    commonLabels: { ...ctx.labels },
    installCRDs: true,
    ...size(ctx),
    podDisruptionBudget: pdb(ctx),
    webhook: { ...size(ctx), podDisruptionBudget: pdb(ctx) },
    certController: { ...size(ctx), podDisruptionBudget: pdb(ctx) },
    serviceMonitor: { enabled: true },
  }),
  /**
   * The account's one store. Every account reads the same secret manager (in common) through its own mount and its
   * own auth role, so a nonprod cluster can never read prod's secrets, whatever an ExternalSecret asks for. A
   * namespaced SecretStore (`secretStore.kind`) is the account's to provide in each namespace; none is rendered.
   */
  objects: (ctx) =>
    ctx.account.secretStore.kind !== "ClusterSecretStore"
      ? []
      : [
          {
            apiVersion: "external-secrets.io/v1",
            kind: "ClusterSecretStore",
            name: ctx.account.secretStore.name,
            clusterScoped: true,
            body: {
              spec: {
                provider: {
                  vault: {
                    server: ctx.release.vault,
                    path: ctx.account.name,
                    version: "v2",
                    auth: {
                      kubernetes: {
                        mountPath: `kubernetes-${ctx.account.name}`,
                        role: "external-secrets",
                        serviceAccountRef: { name: "external-secrets", namespace: ctx.release.namespace },
                      },
                    },
                  },
                },
              },
            },
          },
        ],
};

/**
 * Prometheus's volume per replica, and the size limit below it (`retentionSize`, decimal units as Prometheus takes
 * them): the hub keeps every account's series for the platform's retention, a spoke a day of its own.
 */
const METRICS_VOLUME = { hub: { size: "100Gi", retentionSize: "90GB" }, spoke: { size: "20Gi", retentionSize: "18GB" } } as const;
const ALERTMANAGER_VOLUME = "1Gi";
/** A volume claim template as the Prometheus operator's `storageSpec`/`storage` take it: one volume per replica. */
const volumeClaim = (size: string) => ({ volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } } } });

/**
 * Prometheus in every cluster: it scrapes the PodMonitors (the services') and ServiceMonitors (the charts') and
 * evaluates the PrometheusRules of its own account, keeps a day locally, remote-writes everything to the hub and
 * sends alerts to the hub's Alertmanager.
 * The hub keeps the metrics for the platform's retention and routes alerts by severity.
 */
const kubePrometheusStack: ComponentBase = {
  values: (ctx) => {
    const { hub, endpoints } = ctx.release;
    const retention = ctx.platform.retention;
    const spoke = !hub;
    return {
      fullnameOverride: "kube-prometheus-stack",
      commonLabels: { ...ctx.labels },
      crds: { enabled: true },
      // Managed control planes hide these; the chart would otherwise put Services into kube-system.
      kubeEtcd: { enabled: false },
      kubeScheduler: { enabled: false },
      kubeControllerManager: { enabled: false },
      kubeProxy: { enabled: false },
      coreDns: { enabled: false },
      grafana: hub
        ? {
            enabled: true,
            replicas: ctx.replicas,
            resources: ctx.resources,
            admin: { existingSecret: "grafana-admin", userKey: "username", passwordKey: "password" },
            // Beside the chart's own Prometheus data source: the hub's logs and traces, so one Grafana shows all three.
            additionalDataSources: [
              { name: "Loki", type: "loki", uid: "loki", access: "proxy", url: `http://${local(components.loki.namespace, hubServices.lokiGateway)}` },
              { name: "Tempo", type: "tempo", uid: "tempo", access: "proxy", url: `http://${local(components.tempo.namespace, hubServices.tempoQuery)}` },
            ],
          }
        : { enabled: false },
      alertmanager: hub
        ? {
            enabled: true,
            // Silences and the notification log on a volume: a restart neither forgets a silence nor pages again.
            alertmanagerSpec: { replicas: ctx.replicas, resources: ctx.resources, secrets: ["alertmanager-receivers"], storage: volumeClaim(ALERTMANAGER_VOLUME) },
            config: {
              route: {
                receiver: "null",
                group_by: ["alertname", "account", "environment", "service"],
                routes: [
                  { matchers: ['severity="page"'], receiver: "pager" },
                  { matchers: ['severity="ticket"'], receiver: "tickets" },
                  // info: recorded in Alertmanager (and Grafana), routed to nobody.
                ],
              },
              receivers: [
                { name: "null" },
                { name: "pager", webhook_configs: [{ url_file: "/etc/alertmanager/secrets/alertmanager-receivers/pager-url" }] },
                { name: "tickets", webhook_configs: [{ url_file: "/etc/alertmanager/secrets/alertmanager-receivers/tickets-url" }] },
              ],
            },
          }
        : { enabled: false },
      prometheus: {
        prometheusSpec: {
          replicas: ctx.replicas,
          resources: ctx.resources,
          retention: spoke ? "24h" : retention.metrics,
          // On a volume, so the hub's retention (and a spoke's day of data, with the write-ahead log of what the hub
          // has not received yet) outlives a restart; the size limit deletes the oldest blocks before the disk fills.
          retentionSize: METRICS_VOLUME[spoke ? "spoke" : "hub"].retentionSize,
          storageSpec: volumeClaim(METRICS_VOLUME[spoke ? "spoke" : "hub"].size),
          externalLabels: { account: ctx.account.name },
          // Pick up every ServiceMonitor, PodMonitor and PrometheusRule in the cluster, not only the chart's own.
          serviceMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelectorNilUsesHelmValues: false,
          ruleSelectorNilUsesHelmValues: false,
          ...(spoke
            ? {
                secrets: [HUB_CREDENTIALS_SECRET],
                remoteWrite: [
                  {
                    url: `https://${endpoints.metrics}/api/v1/write`,
                    basicAuth: { username: { name: HUB_CREDENTIALS_SECRET, key: "username" }, password: { name: HUB_CREDENTIALS_SECRET, key: "password" } },
                  },
                ],
                additionalAlertManagerConfigs: [
                  {
                    scheme: "https",
                    // What the hub's alertmanager host serves (HUB_PATHS.alerts), said rather than defaulted.
                    api_version: "v2",
                    static_configs: [{ targets: [`${endpoints.alertmanager}:443`] }],
                    basic_auth: { username: ctx.account.name, password_file: `/etc/prometheus/secrets/${HUB_CREDENTIALS_SECRET}/password` },
                  },
                ],
              }
            : { enableRemoteWriteReceiver: true }),
        },
      },
    };
  },
  objects: (ctx) =>
    ctx.release.hub
      ? [
          htpasswd(ctx),
          externalSecret(ctx, "alertmanager-receivers", "platform/alertmanager-receivers", ["pager-url", "tickets-url"]),
          externalSecret(ctx, "grafana-admin", "platform/grafana-admin", ["username", "password"]),
          hubIngress(ctx, "metrics", ctx.release.endpoints.metrics, hubServices.prometheus, { paths: only(HUB_PATHS.write) }),
          ...Object.entries(ctx.platform.queryEndpoints).flatMap(([account, host]) => accountQueries(ctx, account, host)),
          hubIngress(ctx, "alertmanager", ctx.release.endpoints.alertmanager, hubServices.alertmanager, { paths: only(HUB_PATHS.alerts) }),
        ]
      : [hubCredentials(ctx)],
};

/**
 * prom-label-proxy (https://github.com/prometheus-community/prom-label-proxy): it parses each PromQL query and sets
 * the label it enforces on every selector, whatever the query asked. Pinned like the charts.
 */
const LABEL_PROXY = { image: "quay.io/prometheuscommunity/prom-label-proxy:v0.16.0", port: 8080 } as const;

/**
 * One spoke account's metrics queries at the hub, fenced to its own series: its query host (`queryEndpoints`),
 * checked against its own htpasswd list (so another account's credentials are refused there), served by a
 * prom-label-proxy that puts `account="<account>"` on every selector before Prometheus sees the query. A nonprod
 * analysis can then read nonprod's series only, and prod's only prod's, while both live in one Prometheus.
 */
function accountQueries(ctx: ReleaseContext, account: string, host: string): CompanionObject[] {
  const name = `prom-label-proxy-${account}`;
  const podLabels = { "app.kubernetes.io/name": "prom-label-proxy", "app.kubernetes.io/instance": name };
  const upstream = `http://${local(ctx.release.namespace, hubServices.prometheus)}`;
  return [
    externalSecret(ctx, hubQueryHtpasswdSecret(account), hubQueryHtpasswdKey(account), ["auth"]),
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name,
      body: {
        spec: {
          replicas: ctx.replicas,
          selector: { matchLabels: podLabels },
          template: {
            metadata: { labels: { ...podLabels, ...ctx.labels } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
              // Replicas on different nodes where there are several, so a node's loss leaves queries answered.
              ...(ctx.replicas > 1
                ? { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: podLabels } } }] } } }
                : {}),
              containers: [
                {
                  name: "prom-label-proxy",
                  image: LABEL_PROXY.image,
                  args: [`-insecure-listen-address=0.0.0.0:${LABEL_PROXY.port}`, `-upstream=${upstream}`, "-label=account", `-label-value=${account}`],
                  ports: [{ name: "http", containerPort: LABEL_PROXY.port }],
                  resources: ctx.resources,
                  readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 10 },
                  livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 20 },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                },
              ],
            },
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      name,
      body: { spec: { selector: podLabels, ports: [{ name: "http", port: LABEL_PROXY.port, targetPort: "http" }] } },
    },
    ...(ctx.replicas > 1
      ? [{ apiVersion: "policy/v1", kind: "PodDisruptionBudget", name, body: { spec: { maxUnavailable: 1, selector: { matchLabels: podLabels } } } }]
      : []),
    hubIngress(ctx, `metrics-${account}`, host, { service: name, port: LABEL_PROXY.port }, { paths: only(HUB_PATHS.query), authSecret: hubQueryHtpasswdSecret(account) }),
  ];
}

const ingressNginx: ComponentBase = {
  values: (ctx) => ({
    fullnameOverride: "ingress-nginx",
    commonLabels: { ...ctx.labels },
    controller: {
      ...size(ctx),
      ingressClass: ctx.account.ingress.className,
      ingressClassResource: { name: ctx.account.ingress.className, default: true },
      minAvailable: ctx.replicas > 1 ? ctx.replicas - 1 : 0,
      metrics: { enabled: true, serviceMonitor: { enabled: true } },
      admissionWebhooks: { enabled: true },
    },
  }),
  objects: () => [],
};

/**
 * The collector every workload sends OTLP to. It adds the account and, from pod labels, the environment, team and
 * service (so services never state where they run); a spoke forwards to the hub's collector, and the hub's feeds
 * Tempo, Prometheus and Loki.
 */
const openTelemetryCollector: ComponentBase = {
  values: (ctx) => {
    const hub = ctx.release.hub;
    const pipeline = (exporter: string) => ({ receivers: ["otlp"], processors: ["memory_limiter", "k8sattributes", "resource", "batch"], exporters: [exporter] });
    return {
      fullnameOverride: wellKnown.collector.service,
      mode: "deployment",
      image: { repository: "otel/opentelemetry-collector-contrib" },
      ...size(ctx),
      podDisruptionBudget: pdb(ctx),
      presets: { kubernetesAttributes: { enabled: true } },
      ...(hub ? {} : { extraEnvs: [{ name: "HUB_BASIC_AUTH", valueFrom: { secretKeyRef: { name: HUB_CREDENTIALS_SECRET, key: "basic" } } }] }),
      config: {
        receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${wellKnown.collector.grpcPort}` }, http: { endpoint: `0.0.0.0:${wellKnown.collector.httpPort}` } } } },
        processors: {
          batch: {},
          memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 25 },
          k8sattributes: {
            extract: {
              // The image tag is the service's version: services do not repeat it in their settings.
              metadata: ["k8s.namespace.name", "k8s.pod.name", "k8s.deployment.name", "k8s.cronjob.name", "container.image.name", "container.image.tag"],
              labels: [
                { tag_name: "deployment.environment.name", key: "environment", from: "pod" },
                { tag_name: "service.owner", key: "team", from: "pod" },
              ],
            },
          },
          resource: { attributes: [{ key: "deployment.account", value: ctx.account.name, action: "upsert" }] },
        },
        exporters: hub
          ? {
              "otlp/tempo": { endpoint: local(components.tempo.namespace, hubServices.tempo), tls: { insecure: true } },
              prometheusremotewrite: { endpoint: `http://${local(components["kube-prometheus-stack"].namespace, hubServices.prometheus)}/api/v1/write` },
              "otlphttp/loki": { endpoint: `http://${local(components.loki.namespace, hubServices.lokiGateway)}/otlp` },
            }
          : { "otlp/hub": { endpoint: `${ctx.release.endpoints.otlp}:443`, headers: { authorization: "Basic ${env:HUB_BASIC_AUTH}" } } },
        service: {
          pipelines: hub
            ? { traces: pipeline("otlp/tempo"), metrics: pipeline("prometheusremotewrite"), logs: pipeline("otlphttp/loki") }
            : { traces: pipeline("otlp/hub"), metrics: pipeline("otlp/hub"), logs: pipeline("otlp/hub") },
        },
      },
    };
  },
  objects: (ctx) =>
    ctx.release.hub
      ? [htpasswd(ctx), hubIngress(ctx, "otlp", ctx.release.endpoints.otlp, hubServices.collector, { annotations: { "nginx.ingress.kubernetes.io/backend-protocol": "GRPC" } })]
      : [hubCredentials(ctx)],
};

/** Log shipping: every node's container logs, labelled with the account, to the hub's Loki. */
const fluentBit: ComponentBase = {
  values: (ctx) => {
    const hub = ctx.release.hub;
    const output = hub
      ? ["[OUTPUT]", "    Name loki", "    Match kube.*", `    Host ${hubServices.lokiGateway.service}.${components.loki.namespace}.svc.cluster.local`, `    Port ${hubServices.lokiGateway.port}`]
      : ["[OUTPUT]", "    Name loki", "    Match kube.*", `    Host ${ctx.release.endpoints.logs}`, "    Port 443", `    Uri ${HUB_PATHS.logsPush}`, "    tls On", "    tls.verify On", "    http_user ${HUB_USERNAME}", "    http_passwd ${HUB_PASSWORD}"];
    return {
      fullnameOverride: "fluent-bit",
      resources: ctx.resources,
      ...(hub
        ? {}
        : {
            env: [
              { name: "HUB_USERNAME", valueFrom: { secretKeyRef: { name: HUB_CREDENTIALS_SECRET, key: "username" } } },
              { name: "HUB_PASSWORD", valueFrom: { secretKeyRef: { name: HUB_CREDENTIALS_SECRET, key: "password" } } },
            ],
          }),
      config: {
        outputs: [...output, `    Labels account=${ctx.account.name}, namespace=$kubernetes['namespace_name'], app=$kubernetes['labels']['app.kubernetes.io/name']`, "    Line_Format json", ""].join("\n"),
      },
    };
  },
  objects: (ctx) => (ctx.release.hub ? [] : [hubCredentials(ctx)]),
};

/** The hub's log store: every account's logs, told apart by the `account` label their shipper adds, kept for the platform's log retention. */
const loki: ComponentBase = {
  values: (ctx) => ({
    fullnameOverride: "loki",
    deploymentMode: "SingleBinary",
    loki: {
      auth_enabled: false,
      commonConfig: { replication_factor: 1 },
      storage: { type: "filesystem" },
      schemaConfig: { configs: [{ from: "2024-04-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } }] },
      limits_config: { retention_period: hours(ctx.platform.retention.logs) },
      compactor: { retention_enabled: true, delete_request_store: "filesystem" },
    },
    // Filesystem storage runs one replica; object storage is what lets it scale (see packages/platform/README.md).
    singleBinary: { replicas: 1, resources: ctx.resources, persistence: { enabled: true, size: "50Gi" } },
    read: { replicas: 0 },
    write: { replicas: 0 },
    backend: { replicas: 0 },
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
  }),
  objects: (ctx) => [htpasswd(ctx), hubIngress(ctx, "logs", ctx.release.endpoints.logs, hubServices.lokiGateway, { paths: only(HUB_PATHS.logsPush) })],
};

/** The hub's trace store. */
const tempo: ComponentBase = {
  values: (ctx) => ({
    fullnameOverride: "tempo",
    tempo: {
      retention: hours(ctx.platform.retention.traces),
      resources: ctx.resources,
      server: { http_listen_port: hubServices.tempoQuery.port },
      receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${hubServices.tempo.port}` } } } },
    },
    persistence: { enabled: true, size: "50Gi" },
  }),
  objects: () => [],
};

/** Velero's name for the account's bucket, and the Secret with the credentials for it. */
const VELERO_CREDENTIALS = "velero-credentials";

/**
 * Backups: Velero in every account, writing to the account's own bucket (prod's backups never leave prod), with one
 * Schedule per stateful service namespace on its tier's schedule. File-system backups of the pod volumes, so any
 * storage class works; the restore drill is `pnpm gitops restore` (a Restore from the schedule's latest backup into
 * a scratch namespace).
 */
const velero: ComponentBase = {
  values: (ctx) => ({
    fullnameOverride: "velero",
    resources: ctx.resources,
    credentials: { useSecret: true, existingSecret: VELERO_CREDENTIALS },
    deployNodeAgent: true,
    nodeAgent: { resources: ctx.resources },
    initContainers: [{ name: "velero-plugin-for-aws", image: "velero/velero-plugin-for-aws:v1.11.0", imagePullPolicy: "IfNotPresent", volumeMounts: [{ mountPath: "/target", name: "plugins" }] }],
    configuration: {
      backupStorageLocation: [{ name: "default", provider: "aws", bucket: ctx.platform.backups.bucket.replaceAll("{account}", ctx.account.name), config: { region: ctx.platform.backups.region } }],
      volumeSnapshotLocation: [],
      defaultVolumesToFsBackup: true,
    },
    snapshotsEnabled: false,
    metrics: { enabled: true, serviceMonitor: { enabled: true } },
    // Schedules are rendered as objects beside the chart (below), one per stateful namespace, never as values.
    schedules: {},
  }),
  objects: (ctx) => [
    externalSecret(ctx, VELERO_CREDENTIALS, "platform/velero-credentials", ["cloud"]),
    ...ctx.deployments
      .filter((d) => d.backup)
      .map((d): CompanionObject => ({
        apiVersion: "velero.io/v1",
        kind: "Schedule",
        name: d.namespace,
        // The backup is the service's data: its cost and ownership labels, not the platform's.
        labels: { ...d.labels, "gitops.dev/service": d.service },
        sources: ctx.sourcesOf(d),
        body: {
          spec: {
            schedule: d.backup!.schedule,
            useOwnerReferencesInBackup: false,
            template: {
              includedNamespaces: [d.namespace],
              ttl: d.backup!.ttl,
              storageLocation: "default",
              snapshotVolumes: false,
              defaultVolumesToFsBackup: true,
            },
          },
        },
      })),
  ],
};

/**
 * The restore procedure as an object: a Velero Restore of the latest backup the service's Schedule took. By default
 * a drill, into a scratch namespace beside the live one (`<namespace>-restore`), so it can be run and checked at any
 * time without touching the service; `into` names another target, and the namespace itself restores in place.
 */
export function restoreObject(d: ResolvedDeployment, into = `${d.namespace}-restore`): Record<string, unknown> {
  if (!d.backup) throw new Error(`${d.service} in ${d.environment} has no backups to restore from`);
  return {
    apiVersion: "velero.io/v1",
    kind: "Restore",
    // generateName: every drill is a new Restore; `kubectl create`, not apply.
    metadata: { generateName: `${d.namespace}-`, namespace: components.velero.namespace, labels: { ...d.labels, "gitops.dev/service": d.service } },
    spec: {
      scheduleName: d.namespace,
      includedNamespaces: [d.namespace],
      ...(into === d.namespace ? {} : { namespaceMapping: { [d.namespace]: into } }),
      restorePVs: true,
      existingResourcePolicy: "none",
    },
  };
}

/**
 * The Argo Rollouts controller (and its CRDs) in every account that runs services: it runs their canary and
 * blue-green Rollouts and the AnalysisRuns that query the hub's metrics (a hub's own Prometheus in a hub), and
 * aborts a rollout, returning it to the stable version, when an analysis fails. Its metrics (rollout phase and
 * replicas, analysis results) are scraped like the other controllers'.
 */
const argoRollouts: ComponentBase = {
  values: (ctx) => ({
    fullnameOverride: "argo-rollouts",
    installCRDs: true,
    keepCRDs: true,
    global: { deploymentLabels: { ...ctx.labels } },
    podLabels: { ...ctx.labels },
    controller: {
      replicas: ctx.replicas,
      resources: ctx.resources,
      pdb: { enabled: ctx.replicas > 1, maxUnavailable: 1 },
      metrics: { enabled: true, serviceMonitor: { enabled: true } },
    },
    dashboard: { enabled: false },
  }),
  objects: () => [],
};

export const componentBases: Record<ComponentName, ComponentBase> = {
  "argo-rollouts": argoRollouts,
  "cert-manager": certManager,
  "external-secrets": externalSecrets,
  "fluent-bit": fluentBit,
  "ingress-nginx": ingressNginx,
  "kube-prometheus-stack": kubePrometheusStack,
  loki,
  "opentelemetry-collector": openTelemetryCollector,
  tempo,
  velero,
};

export type { CompanionObject };
