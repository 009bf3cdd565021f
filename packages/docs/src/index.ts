export { codeowners, estateReadme, type StoreKeyRead } from "./estate.ts";
export { renderTemplate, type TemplateName } from "./render.ts";
export { LOG_SHIPPER, runbookContexts, serviceRunbook, SERVICE_LABEL, type RunbookApplication, type RunbookContext, type RunbookObject } from "./runbook.ts";
