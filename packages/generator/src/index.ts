export { acquireLock, build, generate, type Build, type BuildResult, type GenerateResult, type GenerateSummary } from "./generate.ts";
export { discover, ESTATE_FILE, load, type Loaded } from "./load.ts";
export { estateObjects, fileName, folderOf, renderDeployment, renderFiles, renderObjects, type RenderedObject } from "./render.ts";
export { header, toYaml } from "./serialize.ts";
export { diffTrees, isEmptyDiff, OUTPUT_DIR, readTree, recover, writeTree, type TreeDiff } from "./tree.ts";
export { compareTrees, type ChangeKind, type ObjectChange } from "./compare.ts";
export { applicationsOf, RUNBOOK_DIR, runbookPath } from "./runbooks.ts";
