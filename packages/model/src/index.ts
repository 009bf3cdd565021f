export { defineEnvironment, defineEstate, defineService } from "./define.ts";
export { errorText, formatProblem, oneOf, sortProblems, problem, type Problem } from "./problems.ts";
export { plain } from "./plain.ts";
export { explain, TIERS_FILE, type ExplainRow } from "./explain.ts";
export { expectedName, resolve, type Resolution, type SourceFile, type Sources } from "./resolve.ts";
export { renderable } from "./resolved.ts";
export type {
  Layer,
  MetricsSource,
  Origin,
  Peer,
  PlatformRelease,
  ResolvedAccount,
  ResolvedAnalysis,
  ResolvedDelivery,
  RenderableDeployment,
  ResolvedDeployment,
  ResolvedEnvironment,
  ResolvedEstate,
  ResolvedPlatform,
  ResolvedService,
  WorkloadKind,
} from "./resolved.ts";
export { nameSchema } from "./schema.ts";
export type { AccountInput, EnvironmentInput, EstateInput, OverrideInput, PlatformInput, ServiceInput } from "./schema.ts";
export { componentNames, components, hubEndpoints, wellKnown, type ComponentName, type ComponentScope, type ComponentSpec, type HubEndpoint } from "./platform.ts";
export {
  deliveryStrategies,
  tierNames,
  tiers,
  type AlertSeverity,
  type AnalysisCadence,
  type AntiAffinity,
  type BlueGreenDelivery,
  type CanaryDelivery,
  type Delivery,
  type DeliveryStrategy,
  type LogLevel,
  type PodSecurityLevel,
  type Resources,
  type Slo,
  type Tier,
  type TierName,
} from "./tiers.ts";
