import type { ResolvedEstate } from "@gitops/model";

/** One ArgoCD object bound for generated/common/shared/argocd/. */
export interface ArgoObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
  readonly sources: readonly string[];
}

/** ArgoCD's objects for the estate (filled in by the ArgoCD wiring). */
export function argocdObjects(_estate: ResolvedEstate): ArgoObject[] {
  return [];
}
