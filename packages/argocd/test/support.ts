/**
 * Estates for the ArgoCD tests, built in memory with `build()` from copies of the config in temp roots (see
 * test/support/estate.ts): nothing reads or writes the repository's generated/.
 */
import { cpSync } from "node:fs";
import { join } from "node:path";
import { build, renderFiles, type Build } from "@gitops/generator";
import type { PullRequest } from "../src/index.ts";
import { checkArgo, type ArgoFinding } from "../src/checking.ts";
import { estate } from "../../../test/support/estate.ts";

/** This package's fixtures, layered over test/fixtures/minimal. `three-accounts` adds common, shared and a shared service. */
export const FIXTURES = join(import.meta.dirname, "fixtures");

/** Builds the repository's own config (`repo`), test/fixtures/minimal (`minimal`), or minimal plus one of ours. */
export async function buildEstate(name: "repo" | "minimal" | "three-accounts"): Promise<Build> {
  const root = name === "repo" ? estate("repo") : estate("minimal");
  if (name === "three-accounts") cpSync(join(FIXTURES, name), root, { recursive: true });
  const result = await build(root);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join("\n"));
  return result.build;
}

/** The clusters ArgoCD has registered, each with the account it belongs to. */
export const clustersOf = (b: Build) => b.estate.accounts.map((a) => ({ ...a.cluster, account: a.name }));

/**
 * The reference checks over a build; with `objects`, over those instead (files re-rendered from them), to prove
 * that a check catches a broken object; with `pullRequests`, what GitHub answers the pull-request generators.
 */
export function check(b: Build, objects?: Build["objects"], pullRequests?: readonly PullRequest[]): ReturnType<typeof checkArgo> {
  const files = objects ? renderFiles(objects) : b.files;
  return checkArgo({ objects: objects ?? b.objects, files, clusters: clustersOf(b), argocdNamespace: b.estate.argocdNamespace, ...(pullRequests ? { pullRequests } : {}) });
}

/** The checks' messages for one check id, for compact assertions. */
export const messages = (r: { findings: readonly ArgoFinding[] }, id: string) => r.findings.filter((f) => f.check === id).map((f) => `${f.subject}: ${f.message}`);

/** The one object rendered to `file` (relative to generated/). */
export function objectAt(b: Build, file: string): Record<string, any> {
  const o = b.objects.find((x) => x.file === file);
  if (!o) throw new Error(`nothing renders to ${file}`);
  return o.object as Record<string, any>;
}

/** A build's objects with the object at `file` replaced by `edit(clone)`. */
export function withEdited(b: Build, file: string, edit: (o: Record<string, any>) => void): Build["objects"] {
  return b.objects.map((o) => {
    if (o.file !== file) return o;
    const clone = structuredClone(o.object) as Record<string, any>;
    edit(clone);
    return { ...o, object: clone };
  });
}
