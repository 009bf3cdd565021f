export {
  ACCOUNT_LABEL,
  APPLICATIONSET_NAME,
  ARGOCD_FOLDER_NAME,
  argocdFolder,
  argocdObjects,
  CLUSTER_SCOPED_KINDS,
  ENVIRONMENT_LABEL,
  isClusterScoped,
  RESOURCES_FINALIZER,
  ROOT_APP_NAME,
  rolloutEnvironments,
  WAVE_ANNOTATION,
  type ArgoObject,
  type EmittedObject,
} from "./objects.ts";
export { APPLICATION_HEALTH_LUA, COMPONENT_LABEL, platformProjectName, type PlatformApp } from "./platform.ts";
export { directoriesOf, expandApplicationSet, mergeParams, renderDeep, sanitizeName, selectingSteps, strategicMerge, type ExpandedApp } from "./expand.ts";
export { goFloat, goJson, goPrint, isTemplated, renderTemplate, templateOptions, type MissingKey, type TemplateOptions } from "./template.ts";
export {
  globMatch,
  goPathMatch,
  isDestinationMatched,
  isGroupKindPermitted,
  isSourcePermitted,
  pathMatch,
  type Destination,
  type DestinationRules,
  type GroupKind,
  type PathMatchResult,
} from "./match.ts";
export { isArgoKind, validateArgoObject, type SchemaProblem } from "./validate.ts";
export { ALLOWED_SYNC_OPTIONS, checkArgo, policyProblem, type ArgoCheckInput, type ArgoFinding, type StandaloneApp } from "./checks.ts";
