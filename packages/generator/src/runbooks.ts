/**
 * generated/runbooks/<service>.md, one per service, beside generated/README.md: documents, not manifests. The
 * folder holds no kustomization.yaml and sits outside every `generated/<account>/<env>/*` pattern, so no
 * ApplicationSet ever turns it into an Application, and `diff` and `check` ignore it as they ignore README.md.
 * A service's runbook is pruned with the service: the generator owns every file under generated/.
 */
import { directoriesOf, expandApplicationSet } from "@gitops/argocd";
import { runbookContexts, serviceRunbook, type RunbookApplication, type RunbookContext, type RunbookObject } from "@gitops/docs";
import type { ResolvedEstate } from "@gitops/model";
import { folderOf } from "./render.ts";
import { OUTPUT_DIR } from "./tree.ts";

export const RUNBOOK_DIR = "runbooks";
/** A service's runbook, relative to generated/. */
export const runbookPath = (service: string): string => `${RUNBOOK_DIR}/${service}.md`;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

/**
 * The Application syncing each of `folders` (relative to generated/), as ArgoCD expands the ApplicationSets. The
 * git directories generator judges every directory on its own, so expanding over just these folders (and their
 * parents) yields exactly their Applications, at a fraction of expanding over the whole tree. An ApplicationSet the
 * offline expander cannot expand is skipped: those folders' runbooks say no Application syncs them, and
 * `gitops apps` reports why.
 */
export function applicationsOf(objects: readonly RunbookObject[], folders: Iterable<string>): Map<string, RunbookApplication> {
  const out = new Map<string, RunbookApplication>();
  const sets = objects.filter((o) => o.object.kind === "ApplicationSet" && String(o.object.apiVersion).startsWith("argoproj.io/"));
  if (sets.length === 0) return out;
  const dirs = directoriesOf([...folders].map((f) => `${OUTPUT_DIR}/${f}/kustomization.yaml`));
  const prefix = `${OUTPUT_DIR}/`;
  for (const set of sets) {
    let apps;
    try {
      apps = expandApplicationSet(set.object as Json, dirs);
    } catch {
      continue;
    }
    for (const a of apps) {
      if (!a.source.path.startsWith(prefix)) continue;
      const automated = obj(obj(obj(a.application.spec).syncPolicy).automated);
      const folder = a.source.path.slice(prefix.length);
      out.set(folder, { folder, name: a.name, project: a.project, selfHeal: automated.selfHeal === true, prune: automated.prune === true, rollingSync: a.step !== undefined });
    }
  }
  return out;
}

/**
 * Every service's runbook context, from the estate-level objects (those not rendered per deployment), and a
 * fingerprint of what decides their Applications (the ApplicationSets), for the incremental generate's key.
 */
export function runbookInputs(estate: ResolvedEstate, estateObjects: readonly RunbookObject[]): { contexts: RunbookContext[]; applicationSets: string } {
  const sets = estateObjects.filter((o) => o.object.kind === "ApplicationSet").map((o) => o.object);
  return { contexts: runbookContexts(estate, { folderOf, estateObjects }), applicationSets: JSON.stringify(sets) };
}

/** One runbook, from its context, its deployments' objects (any superset: picked by folder) and the Applications. */
export function renderRunbook(ctx: RunbookContext, objectsByFolder: ReadonlyMap<string, readonly RunbookObject[]>, applications: ReadonlyMap<string, RunbookApplication>): string {
  return serviceRunbook(ctx, new Map(ctx.deployments.map((d) => [d.deployment.environment, objectsByFolder.get(d.folder) ?? []])), applications);
}

/** Objects grouped by their folder (relative to generated/). */
export function byFolder(objects: readonly RunbookObject[]): Map<string, RunbookObject[]> {
  const out = new Map<string, RunbookObject[]>();
  for (const o of objects) {
    const folder = o.file.slice(0, o.file.lastIndexOf("/"));
    (out.get(folder) ?? out.set(folder, []).get(folder)!).push(o);
  }
  return out;
}

/** All runbooks for a full build, from every rendered object: path → content. */
export function runbookFiles(estate: ResolvedEstate, objects: readonly RunbookObject[]): Map<string, string> {
  const folders = byFolder(objects);
  const deploymentFolders = new Set(estate.deployments.map(folderOf));
  const estateLevel = objects.filter((o) => !deploymentFolders.has(o.file.slice(0, o.file.lastIndexOf("/"))));
  const applications = applicationsOf(estateLevel, deploymentFolders);
  const out = new Map<string, string>();
  for (const ctx of runbookInputs(estate, estateLevel).contexts) out.set(runbookPath(ctx.service.name), renderRunbook(ctx, folders, applications));
  return out;
}
