/**
 * What every workload kind shares: identity, configuration, secrets, network policy, debug access and the pod
 * template. Each kind's construct (http-service.ts, worker.ts, scheduled-job.ts) adds only what differs.
 * All differences between environments arrive as resolved data; nothing here knows an environment's name.
 */
import { createHash } from "node:crypto";
import { ApiObject, Chart } from "cdk8s";
import type { Construct } from "constructs";
import type { RenderableDeployment } from "@gitops/model";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { INetworkPolicyEgressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule";
import type { INetworkPolicyIngressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule";
import pkg from "../package.json" with { type: "json" };
import { analysisTemplateSpec, hubCredentialsSecret, progressive, rolloutStrategy, ROLLOUTS_API_VERSION } from "./delivery.ts";

/** Annotation naming the base and version that rendered an object, so a PR shows which base each environment moves to. */
export const BASE_ANNOTATION = "gitops.dev/base";
/** Pod-template annotation holding a hash of the ConfigMap, so a config change rolls the pods. */
export const CONFIG_HASH_ANNOTATION = "gitops.dev/config-hash";
export const SYNC_WAVE = "argocd.argoproj.io/sync-wave";
/** The one selector label; a Deployment's selector can never change, so it holds only the service name. */
export const NAME_LABEL = "app.kubernetes.io/name";
/** NAME_LABEL as Prometheus service discovery names a pod label (`__meta_kubernetes_pod_label_<name, sanitized>`). */
const NAME_LABEL_META = `__meta_kubernetes_pod_label_${NAME_LABEL.replace(/[^a-zA-Z0-9_]/g, "_")}`;

/**
 * Sync waves inside one Application: namespace first, then identity and config, then workloads,
 * then what depends on running pods. Quoted integers, as ArgoCD requires.
 */
export const waves = { namespace: "-2", config: "-1", workload: "0", after: "1" } as const;

export type BaseKind = "http-service" | "worker" | "scheduled-job";

/** A typed Kubernetes object body: apiVersion and kind plus the rest of the model's fields. */
type IObjectMeta = { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
type Body = { apiVersion: string; kind: string; metadata?: IObjectMeta } & Record<string, unknown>;

/**
 * What a deployment's ExternalSecret reads from its account's store: one entry per secret, the variable it becomes
 * and the store key (and property) it comes from. Empty: the deployment renders no ExternalSecret of its own. Also
 * what the generator lists as the keys each store must hold (generator/src/store-keys.ts).
 */
export function secretData(d: RenderableDeployment) {
  return d.secrets.map((s) => ({ secretKey: s.env, remoteRef: { key: s.key, ...(s.property ? { property: s.property } : {}) } }));
}

/** Shared rendering for one resolved deployment, scoped to one cdk8s chart (the service's folder). */
export abstract class Workload extends Chart {
  protected readonly d: RenderableDeployment;
  protected readonly base: string;

  constructor(scope: Construct, d: RenderableDeployment, kind: BaseKind) {
    // One chart per App (a deployment each), so a fixed id: a unique one gave every App's children a new shape.
    super(scope, "deployment", { disableResourceNameHashes: true });
    this.d = d;
    this.base = `${pkg.name}/${kind}@${pkg.version}`;
  }

  /** Adds one object with the standard metadata (name, namespace, labels, base, wave). */
  protected add<T extends Body>(wave: string, body: T, name = this.d.service): ApiObject {
    const cluster = body.kind === "Namespace";
    const metadata: IObjectMeta = {
      ...body.metadata,
      name,
      ...(cluster ? {} : { namespace: this.d.namespace }),
      labels: { ...this.commonLabels(), ...body.metadata?.labels },
      annotations: { [BASE_ANNOTATION]: this.base, [SYNC_WAVE]: wave, ...body.metadata?.annotations },
    };
    const key = `${body.kind} ${name}`;
    if (this.objects.has(key)) throw new Error(`${this.d.environment}/${this.d.service}: two ${body.kind} objects named ${name}`);
    // The construct id is the kind and a count, not the name: ids alike across charts let V8 give every chart's
    // children one shape, where names (unique to each service) made a new one per chart (0.15 s at S=2000).
    const id = `${body.kind}-${this.objects.size}`;
    this.objects.add(key);
    return new ApiObject(this, id, { ...body, metadata } as never);
  }

  /** Each object's kind and name, so that no two are alike (cdk8s checked the ids, which no longer hold names). */
  private readonly objects = new Set<string>();

  protected commonLabels(): Record<string, string> {
    return { [NAME_LABEL]: this.d.service, "app.kubernetes.io/managed-by": "gitops", ...this.d.labels };
  }

  protected selector(): Record<string, string> {
    return { [NAME_LABEL]: this.d.service };
  }

  /** Objects every kind has: namespace, identity, config, secrets, network policy and debug access. */
  protected renderCommon(): void {
    const d = this.d;
    this.add(waves.namespace, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        labels: {
          "pod-security.kubernetes.io/enforce": d.podSecurity,
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    }, d.namespace);
    this.renderGuardRails();
    this.add(waves.config, { apiVersion: "v1", kind: "ServiceAccount", automountServiceAccountToken: false });
    this.add(waves.config, { apiVersion: "v1", kind: "ConfigMap", data: { ...d.config } });
    if (d.secrets.length > 0) {
      this.add(waves.config, {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        spec: {
          refreshInterval: "1h",
          secretStoreRef: { kind: d.secretStore.kind, name: d.secretStore.name },
          target: { name: this.secretName(), creationPolicy: "Owner", deletionPolicy: "Retain" },
          data: secretData(d),
        },
      });
    }
    this.renderNetworkPolicies();
    if (d.debug) this.renderDebugAccess();
  }

  /**
   * The namespace's guard rails, sized from the resolved data: a quota of the workload's largest size plus the
   * tier's rollout headroom (nothing else fits in the namespace), and a LimitRange that gives any container without
   * figures the workload's own and lets none exceed them. The volume the service keeps its state on, if any.
   */
  private renderGuardRails(): void {
    const d = this.d;
    this.add(waves.config, {
      apiVersion: "v1",
      kind: "ResourceQuota",
      spec: {
        hard: {
          pods: String(d.quota.pods),
          "requests.cpu": d.quota.requests.cpu,
          "requests.memory": d.quota.requests.memory,
          "limits.cpu": d.quota.limits.cpu,
          "limits.memory": d.quota.limits.memory,
          // The volume it declares, and no other.
          persistentvolumeclaims: d.state ? "1" : "0",
          ...(d.state ? { "requests.storage": d.state.size } : {}),
        },
      },
    });
    this.add(waves.config, {
      apiVersion: "v1",
      kind: "LimitRange",
      spec: {
        limits: [
          {
            type: "Container",
            default: { ...d.resources.limits },
            defaultRequest: { ...d.resources.requests },
            max: { ...d.resources.limits },
          },
        ],
      },
    });
    if (d.state)
      this.add(waves.config, {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: {
          // Pruning or deleting the app must never take the data with it.
          annotations: { "argocd.argoproj.io/sync-options": "Prune=false,Delete=false" },
        },
        spec: {
          accessModes: [d.state.accessMode],
          resources: { requests: { storage: d.state.size } },
          ...(d.state.storageClassName ? { storageClassName: d.state.storageClassName } : {}),
        },
      }, this.dataVolumeName());
  }

  /** The PersistentVolumeClaim holding the service's state. */
  protected dataVolumeName(): string {
    return `${this.d.service}-data`;
  }

  protected secretName(): string {
    return `${this.d.service}-secrets`;
  }

  /** Default deny both ways, then only what the service declares: DNS, its dependencies, its callers, the ingress controller. */
  private renderNetworkPolicies(): void {
    const d = this.d;
    this.add(waves.config, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    }, "default-deny");

    const inNamespace = (namespace: string, service: string) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
      podSelector: { matchLabels: { [NAME_LABEL]: service } },
    });
    const egress: INetworkPolicyEgressRule[] = [
      {
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
        ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
      },
      ...d.dependsOn.map((p) => ({ to: [inNamespace(p.namespace, p.service)], ports: [{ protocol: "TCP" as const, port: p.port }] })),
    ];
    // External HTTPS only when the service declares URLs or secrets to reach; private ranges stay closed.
    if (Object.keys(d.config).some((k) => d.config[k]!.startsWith("https://")) || d.secrets.length > 0)
      egress.push({
        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }],
        ports: [{ protocol: "TCP", port: 443 }],
      });
    // Telemetry: every workload may reach its account's OTLP collector (OTEL_EXPORTER_OTLP_ENDPOINT points there).
    const { collector, scraper, metrics } = d.observability;
    const platformPeer = (namespace: string, podLabels: Readonly<Record<string, string>>) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
      podSelector: { matchLabels: { ...podLabels } },
    });
    egress.push({ to: [platformPeer(collector.namespace, collector.podLabels)], ports: collector.ports.map((port) => ({ protocol: "TCP" as const, port })) });
    const ingress: INetworkPolicyIngressRule[] = [];
    if (d.port !== undefined) {
      const from = d.dependents.map((p) => inNamespace(p.namespace, p.service));
      if (d.ingress)
        from.push({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": d.ingress.controllerNamespace } }, podSelector: { matchLabels: { [NAME_LABEL]: "ingress-nginx" } } });
      if (from.length > 0) ingress.push({ from, ports: [{ protocol: "TCP", port: d.port }] });
    }
    // The account's Prometheus scrapes the metrics port, and nothing else may.
    if (metrics) ingress.push({ from: [platformPeer(scraper.namespace, scraper.podLabels)], ports: [{ protocol: "TCP", port: metrics.port }] });
    this.add(waves.config, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      spec: {
        podSelector: { matchLabels: this.selector() },
        policyTypes: ["Ingress", "Egress"],
        ingress,
        egress,
      },
    });
  }

  /** Where the tier allows debugging, the owning team may exec, attach, port-forward and add ephemeral containers. */
  private renderDebugAccess(): void {
    const d = this.d;
    const name = `${d.service}-debug`;
    this.add(waves.config, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      rules: [
        { apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/exec", "pods/attach", "pods/portforward", "pods/ephemeralcontainers"], verbs: ["create", "get", "patch"] },
      ],
    }, name);
    this.add(waves.config, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: `team:${d.team}` }],
    }, name);
  }

  /** The pod template shared by every kind: security from the tier, config by hash, scratch space for read-only roots. */
  protected podTemplate(container: IContainer, extra: Partial<IPodSpec> = {}) {
    const d = this.d;
    const configHash = createHash("sha256").update(JSON.stringify(d.config)).digest("hex").slice(0, 16);
    const hardened: IContainer = {
      ...container,
      name: d.service,
      image: d.image,
      imagePullPolicy: "IfNotPresent",
      ...(d.command ? { command: [...d.command] } : {}),
      ...(d.args ? { args: [...d.args] } : {}),
      envFrom: [
        { configMapRef: { name: d.service } },
        ...(d.secrets.length > 0 ? [{ secretRef: { name: this.secretName() } }] : []),
      ],
      resources: { requests: { ...d.resources.requests }, limits: { ...d.resources.limits } },
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: d.readOnlyRootFilesystem,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      },
      volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...(d.state ? [{ name: "data", mountPath: d.state.mountPath }] : [])],
    };
    const spec: IPodSpec = {
      serviceAccountName: d.service,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        fsGroup: 10001,
        seccompProfile: { type: "RuntimeDefault" },
      },
      terminationGracePeriodSeconds: 30,
      ...this.affinity(),
      ...extra,
      containers: [hardened],
      volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }, ...(d.state ? [{ name: "data", persistentVolumeClaim: { claimName: this.dataVolumeName() } }] : [])],
    };
    return {
      metadata: { labels: this.commonLabels(), annotations: { [CONFIG_HASH_ANNOTATION]: configHash } },
      spec,
    };
  }

  private affinity(): Partial<IPodSpec> {
    const term = { labelSelector: { matchLabels: this.selector() }, topologyKey: "kubernetes.io/hostname" };
    switch (this.d.antiAffinity) {
      case "none":
        return {};
      case "preferred":
        return { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } } };
      case "required":
        return { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } };
    }
  }

  /**
   * A long-running workload plus its autoscaler and disruption budget, for http services and workers: a Deployment
   * for a rolling update, an Argo Rollouts Rollout (same pod template, selector and health) with its
   * AnalysisTemplate for a canary or blue-green delivery (see delivery.ts).
   */
  protected renderDeployment(container: IContainer): void {
    const d = this.d;
    const intOrPercent = (v: string) => (v.endsWith("%") ? v : Number(v));
    const delivery = progressive(d);
    const spec = {
      // With an autoscaler the HPA owns the count; a fixed replicas field would fight it on every sync.
      ...(d.autoscaling ? {} : { replicas: d.replicas }),
      revisionHistoryLimit: 5,
      // What "healthy" means to ArgoCD and so to RollingSync: pods ready for minReadySeconds; a stalled rollout
      // turns Degraded after the deadline instead of leaving the step Progressing forever.
      minReadySeconds: d.minReadySeconds,
      progressDeadlineSeconds: d.progressDeadlineSeconds,
      selector: { matchLabels: this.selector() },
    };
    if (!delivery)
      this.add(waves.workload, {
        apiVersion: "apps/v1",
        kind: "Deployment",
        spec: {
          ...spec,
          strategy: {
            type: "RollingUpdate",
            rollingUpdate: { maxSurge: intOrPercent(d.rollingUpdate.maxSurge), maxUnavailable: intOrPercent(d.rollingUpdate.maxUnavailable) },
          },
          template: this.podTemplate(container),
        },
      });
    else {
      // The analysis and its credentials exist before the Rollout can start one.
      const credentials = hubCredentialsSecret(d, delivery);
      if (credentials)
        this.add(waves.config, { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", spec: credentials.spec }, credentials.name);
      this.add(waves.config, { apiVersion: ROLLOUTS_API_VERSION, kind: "AnalysisTemplate", spec: analysisTemplateSpec(d, delivery) });
      this.add(waves.workload, {
        apiVersion: ROLLOUTS_API_VERSION,
        kind: "Rollout",
        spec: {
          ...spec,
          // A rollout that stalls past the deadline (pods never ready) is aborted too, back to the stable version.
          progressDeadlineAbort: true,
          strategy: rolloutStrategy(d, delivery),
          template: this.podTemplate(container),
        },
      });
    }
    const target = delivery ? { apiVersion: ROLLOUTS_API_VERSION, kind: "Rollout" } : { apiVersion: "apps/v1", kind: "Deployment" };
    if (d.autoscaling) {
      this.add(waves.after, {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        spec: {
          scaleTargetRef: { ...target, name: d.service },
          minReplicas: d.autoscaling.minReplicas,
          maxReplicas: d.autoscaling.maxReplicas,
          metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: d.autoscaling.targetCPUUtilizationPercentage } } }],
        },
      });
    }
    if (d.disruptionBudget) {
      this.add(waves.after, {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        spec: { maxUnavailable: d.disruptionBudget.maxUnavailable, selector: { matchLabels: this.selector() } },
      });
    }
  }

  /**
   * Observability objects: a PodMonitor on the container port that serves metrics, and the tier's alert rules
   * (SLO breaches for http services; unavailable replicas and crash loops for every long-running workload; failed
   * runs for jobs). Severity routes in the hub's Alertmanager: `page` wakes someone, `ticket` waits for the day.
   *
   * Pods, not Services: each pod is scraped exactly once, however many Services select it (a blue-green preview
   * Service and the active one select the same pods once promoted, which a ServiceMonitor on both scraped twice).
   * The scrape labels every series `service="<service>"`, as a ServiceMonitor would, which the rules select on; a
   * rollout's analysis tells the new version apart by pod name (delivery.ts).
   */
  protected renderObservability(metricsContainerPort?: string): void {
    const d = this.d;
    if (d.observability.metrics && metricsContainerPort) {
      this.add(waves.after, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        spec: {
          selector: { matchLabels: this.selector() },
          namespaceSelector: { matchNames: [d.namespace] },
          podMetricsEndpoints: [
            {
              port: metricsContainerPort,
              path: d.observability.metrics.path,
              interval: "30s",
              relabelings: [{ action: "replace", sourceLabels: [NAME_LABEL_META], targetLabel: "service" }],
            },
          ],
        },
      });
    }
    const alerts = d.observability.alerts;
    const sel = `namespace="${d.namespace}"`;
    const labels = { severity: alerts.severity, service: d.service, team: d.team, environment: d.environment };
    const rule = (alert: string, expr: string, summary: string) => ({ alert, expr, for: alerts.for, labels, annotations: { summary } });
    const rules =
      d.kind === "job"
        ? [rule("ScheduledJobFailed", `kube_job_status_failed{${sel},job_name=~"${d.service}-.*"} > 0`, `A scheduled run of ${d.service} failed in ${d.environment}`)]
        : [
            ...(d.kind === "http"
              ? [
                  rule(
                    "ServiceErrorRateHigh",
                    `sum(rate(http_server_request_duration_seconds_count{${sel},service="${d.service}",http_response_status_code=~"5.."}[5m])) / sum(rate(http_server_request_duration_seconds_count{${sel},service="${d.service}"}[5m])) * 100 > ${d.slo.errorRatePercent}`,
                    `${d.service} fails more than ${d.slo.errorRatePercent} % of requests in ${d.environment}`,
                  ),
                  rule(
                    "ServiceLatencyHigh",
                    `histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{${sel},service="${d.service}"}[5m]))) * 1000 > ${d.slo.latencyP99Ms}`,
                    `${d.service}'s p99 latency is above ${d.slo.latencyP99Ms} ms in ${d.environment}`,
                  ),
                ]
              : []),
            // The same rule whichever strategy runs the pods: a Deployment (kube-state-metrics) or a Rollout (the
            // Argo Rollouts controller's metrics, whose namespace label the scrape renames to exported_namespace).
            rule("WorkloadReplicasUnavailable", `(kube_deployment_status_replicas_unavailable{${sel},deployment="${d.service}"} or rollout_info_replicas_unavailable{exported_${sel},name="${d.service}"}) > 0`, `${d.service} has unavailable replicas in ${d.environment}`),
            rule("WorkloadCrashLooping", `increase(kube_pod_container_status_restarts_total{${sel},container="${d.service}"}[15m]) > 3`, `${d.service} keeps restarting in ${d.environment}`),
          ];
    this.add(waves.after, {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      spec: { groups: [{ name: `${d.service}.rules`, rules }] },
    });
  }

  /** HTTP probes on a named port: readiness gates traffic and waves, liveness restarts, startup covers slow boots. */
  protected probes(port: string) {
    const h = this.d.health!;
    return {
      readinessProbe: { httpGet: { path: h.readiness, port }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
      livenessProbe: { httpGet: { path: h.liveness, port }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
      startupProbe: { httpGet: { path: h.liveness, port }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 30 },
    };
  }
}
