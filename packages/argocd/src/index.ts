export { directoriesOf, expandApplicationSet, mergePatch, renderString, type ExpandedApp } from "./expand.ts";
export { globMatch, isDestinationMatched, pathMatch, type Destination } from "./match.ts";
export {
  ACCOUNT_LABEL,
  APPLICATIONSET_NAME,
  argocdFolder,
  argocdObjects,
  ENVIRONMENT_LABEL,
  ROOT_APP_NAME,
  WAVE_ANNOTATION,
  type ArgoObject,
  type EmittedObject,
} from "./objects.ts";
