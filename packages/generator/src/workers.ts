/**
 * The GITOPS_WORKERS setting, apart from the renderer (renderer.ts) that reads it: the CLI checks the value before a
 * run, and importing this costs nothing, where the renderer's imports load the model and ArgoCD's modules.
 */

/** What is wrong with a GITOPS_WORKERS value, or undefined when it is a count (the CLI refuses a bad one as usage). */
export function workersProblem(value: string): string | undefined {
  if (/^\d{1,3}$/.test(value)) return undefined;
  return `GITOPS_WORKERS must be a whole number from 0 to 999 (worker threads besides the main one; 0 renders in the main thread only), not ${JSON.stringify(value)} — set it to e.g. 1, or unset it for one per other core`;
}
