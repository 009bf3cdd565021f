/**
 * Resolved model → files. Every object is built by a base (cdk8s) or the ArgoCD package, converted to JSON
 * once and serialized once; every folder gets a kustomization.yaml listing its files, so ArgoCD renders it
 * with kustomize exactly as `kubectl kustomize` does here.
 */
import { App } from "cdk8s";
import { bases } from "@gitops/bases";
import { argocdObjects } from "@gitops/argocd";
import type { ResolvedDeployment, ResolvedEstate } from "@gitops/model";
import { toYaml } from "./serialize.ts";

/** One object bound for generated/: its path relative to generated/, its body and the sources it came from. */
export interface RenderedObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
  readonly sources: readonly string[];
}

/** The folder of one service in one environment, relative to generated/. */
export const folderOf = (d: Pick<ResolvedDeployment, "account" | "environment" | "service">) =>
  `${d.account}/${d.environment}/${d.service}`;

/** `deployment.yaml` for the object named after its service or namespace, `kind-name.yaml` for the rest. */
export function fileName(kind: string, name: string, service: string, namespace: string): string {
  const k = kind.toLowerCase();
  if (name === service || name === namespace) return `${k}.yaml`;
  return `${k}-${name.startsWith(`${service}-`) ? name.slice(service.length + 1) : name}.yaml`;
}

export function renderDeployment(d: ResolvedDeployment): RenderedObject[] {
  const app = new App();
  const chart = new bases[d.kind](app, d);
  return chart.apiObjects.map((o) => {
    const object = o.toJson() as Record<string, unknown>;
    return { file: `${folderOf(d)}/${fileName(o.kind, o.name, d.service, d.namespace)}`, object, sources: d.sources };
  });
}

export function renderObjects(estate: ResolvedEstate): RenderedObject[] {
  const workloads = estate.deployments.flatMap(renderDeployment);
  return [...workloads, ...argocdObjects(estate, workloads)];
}

/** Files (path relative to generated/ → content), kustomizations included, in sorted path order. */
export function renderFiles(objects: readonly RenderedObject[]): Map<string, string> {
  const files = new Map<string, string>();
  const folders = new Map<string, { resources: string[]; sources: Set<string> }>();
  for (const o of objects) {
    if (files.has(o.file)) throw new Error(`two objects render to ${o.file}`);
    files.set(o.file, toYaml(o.object, o.sources));
    const at = o.file.lastIndexOf("/");
    const folder = o.file.slice(0, at);
    const entry = folders.get(folder) ?? { resources: [], sources: new Set() };
    entry.resources.push(o.file.slice(at + 1));
    for (const s of o.sources) entry.sources.add(s);
    folders.set(folder, entry);
  }
  for (const [folder, { resources, sources }] of folders) {
    const kustomization = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: resources.sort() };
    files.set(`${folder}/kustomization.yaml`, toYaml(kustomization, [...sources]));
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
