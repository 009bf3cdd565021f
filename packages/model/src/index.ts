export { defineEnvironment, defineEstate, defineService } from "./define.ts";
export { errorText, formatProblem, sortProblems, problem, type Problem } from "./problems.ts";
export { plain } from "./plain.ts";
export { explain, TIERS_FILE, type ExplainRow } from "./explain.ts";
export { expectedName, resolve, type Resolution, type SourceFile, type Sources } from "./resolve.ts";
export type {
  Layer,
  Origin,
  Peer,
  ResolvedAccount,
  ResolvedDeployment,
  ResolvedEnvironment,
  ResolvedEstate,
  ResolvedService,
  WorkloadKind,
} from "./resolved.ts";
export { nameSchema } from "./schema.ts";
export type { AccountInput, EnvironmentInput, EstateInput, OverrideInput, ServiceInput } from "./schema.ts";
export { tierNames, tiers, type AntiAffinity, type LogLevel, type PodSecurityLevel, type Resources, type Tier, type TierName } from "./tiers.ts";
