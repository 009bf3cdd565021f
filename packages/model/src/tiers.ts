/**
 * The tiers: what an environment of each kind runs with. These are the seeds' figures, held as data so that
 * no base or service ever branches on an environment's name — an environment picks a tier, and the
 * differences between dev, staging and prod live here and nowhere else.
 */

/** CPU and memory, as Kubernetes quantities. */
export interface Quantities {
  readonly cpu: string;
  readonly memory: string;
}

export interface Resources {
  readonly requests: Quantities;
  readonly limits: Quantities;
}

/** How strongly replicas are kept apart: `preferred` spreads when it can, `required` refuses to co-locate. */
export type AntiAffinity = "none" | "preferred" | "required";

/** The Pod Security Standard the tier enforces on its namespaces and containers. */
export type PodSecurityLevel = "baseline" | "restricted";

export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Who hears about a breach. Every tier renders the same alert rules (parity: dev runs what prod runs); the
 * severity decides the route in the hub's Alertmanager: `info` is recorded and notifies nobody, `ticket` waits for
 * working hours, `page` wakes someone.
 */
export type AlertSeverity = "info" | "ticket" | "page";

/** A service-level objective: alert (and, later, canary analysis) thresholds. The seeds' figures: 5 % errors, 500 ms. */
export interface Slo {
  /** Share of requests that may fail (HTTP 5xx), in percent. */
  readonly errorRatePercent: number;
  /** 99th-percentile request latency, in milliseconds. */
  readonly latencyP99Ms: number;
}

/**
 * How a new version replaces the old one. `rolling`: the Deployment's rolling update (the tier's `rollingUpdate`).
 * `canary`: an Argo Rollouts canary that moves a share of the pods to the new version step by step, analysing the
 * canary's metrics against the SLO after each step. `blueGreen`: the new version runs beside the old one behind a
 * preview Service, is analysed there, and takes the traffic in one switch (http services only: a worker has no
 * Service to switch). A failed analysis aborts the rollout, and Argo Rollouts returns to the stable version by
 * itself: the automatic rollback.
 */
export type DeliveryStrategy = "rolling" | "canary" | "blueGreen";
export const deliveryStrategies = ["rolling", "canary", "blueGreen"] as const satisfies readonly DeliveryStrategy[];

/**
 * How one analysis run measures (Argo Rollouts' AnalysisRun semantics): `count` measurements, `interval` apart; a
 * measurement fails when the canary's error rate or p99 latency breaches the service's SLO, and the run fails (so
 * the rollout aborts) as soon as more than `failureLimit` measurements have failed.
 */
export interface AnalysisCadence {
  /** Time between measurements, as an Argo Rollouts duration (e.g. "1m"). */
  readonly interval: string;
  /** Measurements per run; the run succeeds once all of them are taken without exceeding `failureLimit`. */
  readonly count: number;
  /** Failed measurements tolerated per run: the run fails when more than this many fail. 0: none. */
  readonly failureLimit: number;
  /** PromQL range each measurement reads (`rate(…[window])`): at least two scrapes (scrape interval 30 s). */
  readonly window: string;
}

/** A replica-weighted canary (no service mesh): each step moves `weight` % of the pods, waits `pause`, then analyses. */
export interface CanaryDelivery {
  /** In order; after the last step the canary is promoted to all pods. */
  readonly steps: readonly { readonly weight: number; readonly pause: string }[];
  readonly analysis: AnalysisCadence;
}

/** A blue-green switch: the preview is analysed before promotion, and promoted automatically when the analysis passes. */
export interface BlueGreenDelivery {
  /** How long the previous version keeps running after the switch (seconds), so an abort or undo is instant. */
  readonly scaleDownDelaySeconds: number;
  readonly analysis: AnalysisCadence;
}

/**
 * The strategies a tier allows, each with its parameters (a strategy is allowed exactly when it has an entry), and
 * the one a service gets unless it chooses another with `strategy` (service-wide or per environment). Jobs have no
 * strategy: every run is a new pod.
 */
export interface Delivery {
  /** The strategy of services that choose none; must be one of `strategies`. */
  readonly default: DeliveryStrategy;
  readonly strategies: {
    /** The Deployment's rolling update, with the tier's `rollingUpdate`. */
    readonly rolling?: true;
    readonly canary?: CanaryDelivery;
    readonly blueGreen?: BlueGreenDelivery;
  };
}

export interface Tier {
  readonly description: string;
  /** Replica bounds; the default replica count is `min`. */
  readonly replicas: { readonly min: number; readonly max: number };
  /** The floor for every container: services may raise these, never lower them. */
  readonly resources: Resources;
  /** Horizontal autoscaling, or null for a fixed replica count. */
  readonly autoscaling: { readonly maxReplicas: number; readonly targetCPUUtilizationPercentage: number } | null;
  readonly antiAffinity: AntiAffinity;
  readonly podSecurity: PodSecurityLevel;
  /** Restricted tiers mount the root filesystem read-only; writable scratch space is an emptyDir at /tmp. */
  readonly readOnlyRootFilesystem: boolean;
  /** Whether people may debug workloads here (exec, ephemeral containers). Only dev. */
  readonly debug: boolean;
  /** Breakage here pages someone at 3 AM: changes are highlighted in PR previews. */
  readonly pager: boolean;
  readonly rollingUpdate: { readonly maxSurge: string; readonly maxUnavailable: string };
  /** PodDisruptionBudget applied whenever a workload runs more than one replica. */
  readonly disruptionBudget: { readonly maxUnavailable: number };
  readonly logLevel: LogLevel;
  /**
   * What "healthy" means for a rollout, which is what a RollingSync step waits for: a new pod must stay ready
   * `minReadySeconds` before it counts, and a rollout that has not progressed in `progressDeadlineSeconds` turns
   * the Deployment (so the Application) Degraded instead of Progressing forever.
   */
  readonly health: { readonly minReadySeconds: number; readonly progressDeadlineSeconds: number };
  /** Deployment strategies: which the tier allows, its default, the canary's steps and the analysis cadence. */
  readonly delivery: Delivery;
  /** Alert rules: severity, the default SLO a service may tighten, and how long a breach lasts before it fires. */
  readonly alerting: { readonly severity: AlertSeverity; readonly slo: Slo; readonly for: string };
  /**
   * Namespace guard rails: each service namespace gets a ResourceQuota of its largest size (autoscaler maximum)
   * plus this headroom, in percent, for what a rollout runs beside it (a surge, a canary, a blue-green preview at
   * full size), and a LimitRange at the workload's own requests and limits.
   */
  readonly quota: { readonly headroomPercent: number };
  /**
   * Backups of services that declare `state`: a Velero schedule (cron, UTC) in the account that holds the data, and
   * how long each backup is kept. null: no backups, the tier's state is disposable (ephemeral where possible).
   */
  readonly backup: { readonly schedule: string; readonly ttl: string } | null;
  /** ArgoCD sync behaviour for the environment's Applications. */
  readonly sync: {
    readonly allowEmpty: boolean;
    readonly syncOptions: readonly string[];
    /** RollingSync `maxUpdate` for the environment's step: how many apps sync at once. Default "100%". */
    readonly maxUpdate: string;
  };
}

/** Analysis cadence: staging measures 3 times a minute apart, prod 5; both tolerate one failed measurement. */
const stagingAnalysis = { interval: "1m", count: 3, failureLimit: 1, window: "2m" } as const satisfies AnalysisCadence;
const prodAnalysis = { interval: "1m", count: 5, failureLimit: 1, window: "2m" } as const satisfies AnalysisCadence;

const devSyncOptions = ["CreateNamespace=true", "ApplyOutOfSyncOnly=true"] as const;
const strictSyncOptions = [...devSyncOptions, "RespectIgnoreDifferences=true", "PruneLast=true"] as const;

export const tiers = {
  dev: {
    description: "Fast iteration: single replica, minimal resources, debug allowed.",
    replicas: { min: 1, max: 1 },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    autoscaling: null,
    antiAffinity: "none",
    podSecurity: "baseline",
    readOnlyRootFilesystem: false,
    debug: true,
    pager: false,
    rollingUpdate: { maxSurge: "1", maxUnavailable: "1" },
    disruptionBudget: { maxUnavailable: 1 },
    logLevel: "debug",
    health: { minReadySeconds: 0, progressDeadlineSeconds: 300 },
    delivery: { default: "rolling", strategies: { rolling: true } },
    alerting: { severity: "info", slo: { errorRatePercent: 5, latencyP99Ms: 500 }, for: "15m" },
    quota: { headroomPercent: 100 },
    backup: null,
    sync: { allowEmpty: true, syncOptions: devSyncOptions, maxUpdate: "100%" },
  },
  staging: {
    description: "Pre-production validation: two replicas, production-like security, representative resources.",
    replicas: { min: 2, max: 6 },
    resources: { requests: { cpu: "200m", memory: "256Mi" }, limits: { cpu: "1000m", memory: "512Mi" } },
    autoscaling: { maxReplicas: 4, targetCPUUtilizationPercentage: 75 },
    antiAffinity: "preferred",
    podSecurity: "restricted",
    readOnlyRootFilesystem: true,
    debug: false,
    pager: false,
    rollingUpdate: { maxSurge: "1", maxUnavailable: "0" },
    disruptionBudget: { maxUnavailable: 1 },
    logLevel: "info",
    health: { minReadySeconds: 10, progressDeadlineSeconds: 600 },
    delivery: {
      default: "rolling",
      strategies: {
        rolling: true,
        canary: { steps: [{ weight: 50, pause: "2m" }], analysis: stagingAnalysis },
        blueGreen: { scaleDownDelaySeconds: 60, analysis: stagingAnalysis },
      },
    },
    alerting: { severity: "ticket", slo: { errorRatePercent: 5, latencyP99Ms: 500 }, for: "10m" },
    quota: { headroomPercent: 100 },
    backup: { schedule: "0 3 * * 0", ttl: "168h" },
    sync: { allowEmpty: false, syncOptions: strictSyncOptions, maxUpdate: "100%" },
  },
  prod: {
    description: "Live service: three or more replicas, strict anti-affinity, zero-downtime updates, no debug access.",
    replicas: { min: 3, max: 50 },
    resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2000m", memory: "1Gi" } },
    autoscaling: { maxReplicas: 10, targetCPUUtilizationPercentage: 70 },
    antiAffinity: "required",
    podSecurity: "restricted",
    readOnlyRootFilesystem: true,
    debug: false,
    pager: true,
    rollingUpdate: { maxSurge: "25%", maxUnavailable: "0" },
    disruptionBudget: { maxUnavailable: 1 },
    logLevel: "info",
    health: { minReadySeconds: 30, progressDeadlineSeconds: 600 },
    delivery: {
      default: "canary",
      strategies: {
        canary: { steps: [{ weight: 20, pause: "2m" }, { weight: 50, pause: "2m" }], analysis: prodAnalysis },
        blueGreen: { scaleDownDelaySeconds: 600, analysis: prodAnalysis },
      },
    },
    alerting: { severity: "page", slo: { errorRatePercent: 5, latencyP99Ms: 500 }, for: "5m" },
    quota: { headroomPercent: 100 },
    backup: { schedule: "0 2 * * *", ttl: "720h" },
    sync: { allowEmpty: false, syncOptions: strictSyncOptions, maxUpdate: "25%" },
  },
} as const satisfies Record<string, Tier>;

export type TierName = keyof typeof tiers;
export const tierNames = Object.keys(tiers) as TierName[];
