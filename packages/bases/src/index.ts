import type { Construct } from "constructs";
import type { RenderableDeployment, WorkloadKind } from "@gitops/model";
import { HttpService } from "./http-service.ts";
import { ScheduledJob } from "./scheduled-job.ts";
import { Worker } from "./worker.ts";
import type { Workload } from "./workload.ts";

export { HttpService } from "./http-service.ts";
export { ScheduledJob } from "./scheduled-job.ts";
export { Worker } from "./worker.ts";
export {
  analysisMetrics,
  analysisTemplateSpec,
  deliveryServiceName,
  HUB_AUTH_ARG,
  hubCredentialsSecret,
  POD_HASH_ARG,
  progressive,
  ROLLOUTS_API_VERSION,
  rolloutStrategy,
  withinCondition,
  type ProgressiveDelivery,
} from "./delivery.ts";
export {
  evaluateCondition,
  EvaluationError,
  measurementPhase,
  metricSpec,
  parseCondition,
  rolloutReaction,
  runAnalysis,
  simulateCanary,
  templateMetrics,
  UnsupportedCondition,
  type AnalysisPhase,
  type CanaryOutcome,
  type MetricResult,
  type MetricSpec,
  type RunPhase,
  type RunResult,
  type Sample,
} from "./analysis.ts";
export { BASE_ANNOTATION, CONFIG_HASH_ANNOTATION, NAME_LABEL, secretData, SYNC_WAVE, Workload, waves, type BaseKind } from "./workload.ts";

/** The base for each workload kind. */
export const bases: Record<WorkloadKind, new (scope: Construct, d: RenderableDeployment) => Workload> = {
  http: HttpService,
  worker: Worker,
  job: ScheduledJob,
};
