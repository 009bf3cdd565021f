/**
 * `@gitops/argocd/checking`: generated/ read and checked as ArgoCD would read it (the `apps` command, policy and
 * tests), apart from the main entry point, because its schemas (`@kubernetes-models/argo-cd`, with ajv) are a
 * megabyte of code that generating never runs: every `generate` and every render worker would load it for nothing.
 */
export { isArgoKind, validateArgoObject, type SchemaProblem } from "./validate.ts";
export { ALLOWED_SYNC_OPTIONS, checkArgo, policyProblem, pullRequestGenerators, SAMPLE_HEAD_SHA, type ArgoCheckInput, type ArgoFinding, type StandaloneApp } from "./checks.ts";
