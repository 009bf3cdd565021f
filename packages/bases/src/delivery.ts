/**
 * Progressive delivery: what a canary or blue-green strategy renders in place of the Deployment (see
 * DeliveryStrategy in @gitops/model). An Argo Rollouts `Rollout` with the Deployment's pod template, selector and
 * health settings; an `AnalysisTemplate` that reads the new version's error rate and p99 latency (a worker's: its
 * container restarts) from the account's metrics at the hub and fails a measurement when they breach the resolved
 * SLO; a blue-green's preview Service (`<svc>-preview`); and, in a spoke,
 * the hub credentials the analysis authenticates with. A failed analysis aborts the rollout and Argo Rollouts
 * returns to the stable version by itself: the automatic rollback. Pure functions of the resolved deployment; the
 * workload bases add the objects.
 */
import type { ResolvedAnalysis, ResolvedDelivery, RenderableDeployment } from "@gitops/model";

/** The Argo Rollouts API group and version (Rollout, AnalysisTemplate). */
export const ROLLOUTS_API_VERSION = "argoproj.io/v1alpha1";

/** A strategy Argo Rollouts runs (not the Deployment's rolling update). */
export type ProgressiveDelivery = Exclude<ResolvedDelivery, { strategy: "rolling" }>;

/** The deployment's canary or blue-green delivery; undefined for a rolling update or a job. */
export function progressive(d: RenderableDeployment): ProgressiveDelivery | undefined {
  return d.delivery && d.delivery.strategy !== "rolling" ? d.delivery : undefined;
}

/** The analysis argument carrying the hub's `Authorization: Basic` credential (a spoke's only). */
export const HUB_AUTH_ARG = "hub-basic-auth";
/**
 * The analysis argument carrying the new ReplicaSet's pod-template hash: Argo Rollouts names a ReplicaSet
 * `<rollout>-<hash>` and its pods `<replicaset>-<suffix>`, so the new version's series are those whose `pod` starts
 * `<service>-<hash>-`. Every analysis tells the new version apart this way (each pod is scraped once, by its PodMonitor).
 */
export const POD_HASH_ARG = "pod-template-hash";

/**
 * The extra Service a blue-green http service gets, `<svc>-preview` (previewService): Argo Rollouts points it at the
 * new version, which can be reached there before the switch. Undefined otherwise: a replica-weighted canary needs
 * no Service of its own (the service's Service selects every pod, old and new), and workers serve nothing.
 */
export function deliveryServiceName(d: RenderableDeployment): string | undefined {
  return progressive(d)?.strategy === "blueGreen" && d.kind === "http" ? `${d.service}-preview` : undefined;
}

/**
 * A measurement's success condition (expr-lang, as Argo Rollouts evaluates it): no data (no series, or NaN from
 * 0/0 when the new version served nothing in the window) passes — the analysis judges what was served — and
 * otherwise the value must be within `limit`. Without a failure condition, a measurement that does not succeed
 * fails. `evaluateCondition` in ./analysis.ts evaluates exactly these.
 */
export function withinCondition(op: "<=" | "<", limit: number): string {
  return `len(result) == 0 || isNaN(result[0]) || result[0] ${op} ${limit}`;
}

/** A PromQL label matcher: name, operator, value. */
type Matcher = readonly [string, "=" | "=~", string];
const selector = (matchers: readonly Matcher[]) => `{${matchers.map(([k, op, v]) => `${k}${op}"${v}"`).join(",")}}`;

/** The matcher that picks the account's series out of the hub's (every account's); none in the account's own Prometheus. */
const accountLabel = (a: ResolvedAnalysis): Matcher[] => (a.metrics.account ? [["account", "=", a.metrics.account]] : []);

/**
 * The metrics one analysis run measures, on the tier's cadence, of the new version's pods (POD_HASH_ARG): for http
 * services the alert rules' queries (OpenTelemetry's `http_server_request_duration_seconds`), error rate in percent
 * and p99 latency in milliseconds against the SLO; for workers the restarts of their containers.
 */
export function analysisMetrics(d: RenderableDeployment, delivery: ProgressiveDelivery) {
  const a = delivery.analysis;
  const cadence = { interval: a.interval, count: a.count, failureLimit: a.failureLimit };
  const provider = (query: string) => ({
    prometheus: {
      address: a.metrics.address,
      ...(a.metrics.credentials ? { headers: [{ key: "Authorization", value: `Basic {{args.${HUB_AUTH_ARG}}}` }] } : {}),
      query,
    },
  });
  const newPods: Matcher = ["pod", "=~", `${d.service}-{{args.${POD_HASH_ARG}}}-.*`];
  if (d.kind === "http") {
    const own: Matcher[] = [["namespace", "=", d.namespace], ["service", "=", d.service], newPods, ...accountLabel(a)];
    const sel = selector(own);
    const errors = selector([...own, ["http_response_status_code", "=~", "5.."]]);
    return [
      {
        name: "error-rate",
        ...cadence,
        successCondition: withinCondition("<=", d.slo.errorRatePercent),
        provider: provider(`sum(rate(http_server_request_duration_seconds_count${errors}[${a.window}])) / sum(rate(http_server_request_duration_seconds_count${sel}[${a.window}])) * 100`),
      },
      {
        name: "latency-p99",
        ...cadence,
        successCondition: withinCondition("<=", d.slo.latencyP99Ms),
        provider: provider(`histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket${sel}[${a.window}]))) * 1000`),
      },
    ];
  }
  // A worker serves no requests: its new version is judged by whether its containers keep running.
  const pods = selector([["namespace", "=", d.namespace], ["container", "=", d.service], newPods, ...accountLabel(a)]);
  return [
    {
      name: "restarts",
      ...cadence,
      successCondition: withinCondition("<", 1),
      provider: provider(`sum(increase(kube_pod_container_status_restarts_total${pods}[${a.window}]))`),
    },
  ];
}

/** The AnalysisTemplate's spec: its arguments (the hub credential from a Secret, the new pods' hash) and metrics. */
export function analysisTemplateSpec(d: RenderableDeployment, delivery: ProgressiveDelivery) {
  const credentials = delivery.analysis.metrics.credentials;
  const args = [
    ...(credentials ? [{ name: HUB_AUTH_ARG, valueFrom: { secretKeyRef: { name: credentials.secret, key: credentials.key } } }] : []),
    { name: POD_HASH_ARG },
  ];
  return { ...(args.length > 0 ? { args } : {}), metrics: analysisMetrics(d, delivery) };
}

/** How a Rollout step or a blue-green promotion runs the service's AnalysisTemplate. */
function analysisRef(d: RenderableDeployment) {
  return {
    templates: [{ templateName: d.service }],
    args: [{ name: POD_HASH_ARG, valueFrom: { podTemplateHashValue: "Latest" } }],
  };
}

const intOrPercent = (v: string) => (v.endsWith("%") ? v : Number(v));

/**
 * The Rollout's strategy. Canary (replica-weighted, no mesh: the service's own Service keeps selecting every pod):
 * per tier step, move `weight` % of the pods, pause so metrics accumulate, then run the analysis, which must pass
 * before the next step; surge and unavailability as the tier's rolling update. Blue-green: the service's Service is
 * the active one, the preview is analysed before the switch and promoted automatically when the analysis passes;
 * the old version stays up `scaleDownDelaySeconds` after the switch.
 */
export function rolloutStrategy(d: RenderableDeployment, delivery: ProgressiveDelivery) {
  if (delivery.strategy === "canary") {
    return {
      canary: {
        maxSurge: intOrPercent(d.rollingUpdate.maxSurge),
        maxUnavailable: intOrPercent(d.rollingUpdate.maxUnavailable),
        steps: delivery.steps.flatMap((s) => [{ setWeight: s.weight }, { pause: { duration: s.pause } }, { analysis: analysisRef(d) }]),
      },
    };
  }
  return {
    blueGreen: {
      activeService: d.service,
      previewService: deliveryServiceName(d) ?? `${d.service}-preview`,
      prePromotionAnalysis: analysisRef(d),
      autoPromotionEnabled: true,
      scaleDownDelaySeconds: delivery.scaleDownDelaySeconds,
    },
  };
}

/**
 * In a spoke, the hub credentials the analysis sends, from the account's own store into the service's namespace
 * (Argo Rollouts reads an analysis's Secret arguments from the namespace it runs in): only the `basic` property,
 * the Authorization credential. Undefined where the analysis queries the account's own Prometheus.
 */
export function hubCredentialsSecret(d: RenderableDeployment, delivery: ProgressiveDelivery) {
  const c = delivery.analysis.metrics.credentials;
  if (!c) return undefined;
  return {
    name: c.secret,
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { kind: d.secretStore.kind, name: d.secretStore.name },
      target: { name: c.secret, creationPolicy: "Owner", deletionPolicy: "Retain" },
      data: [{ secretKey: c.key, remoteRef: { key: c.storeKey, property: c.property } }],
    },
  };
}
