export { componentBases, restoreObject } from "./components.ts";
export {
  HUB_CREDENTIALS_KEY,
  HUB_CREDENTIALS_SECRET,
  HUB_HTPASSWD_KEY,
  HUB_HTPASSWD_SECRET,
  hubQueryHtpasswdKey,
  hubQueryHtpasswdSecret,
  type CompanionObject,
  type ComponentBase,
  type HubIngressOptions,
  type ReleaseContext,
} from "./context.ts";
export { PLATFORM_FOLDER_NAME, renderPlatform, type PlatformBuild, type PlatformObject } from "./render.ts";
