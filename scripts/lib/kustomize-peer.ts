/**
 * The kustomize peer `pnpm bench` compares against: the same estate written the way a kustomize repository writes
 * it, one base per service and an overlay per environment, rendered by `kubectl kustomize` once per overlay folder
 * as ArgoCD's repo-server does. Built from generate's own output, so the peer renders exactly the same objects
 * (the bench checks that on every folder it times):
 *
 * - `<service>/base/`: the objects of the service's first environment, one file each, and a kustomization;
 * - `<service>/overlays/<environment>/`: a kustomization over `../../base` with one JSON 6902 patch per object
 *   that differs (replicas, resources, namespace, labels…), objects that only this environment has as resources
 *   of its own, and a `$patch: delete` for base objects it does not have.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Object_ = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, Json>;
export type PatchOp = { op: "add" | "replace"; path: string; value: Json } | { op: "remove"; path: string };

const isMap = (v: Json): v is { [key: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v);
const pointer = (path: string, key: string | number) => `${path}/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`;

/** RFC 6902 operations that turn `from` into `to`: maps key by key, lists of equal length item by item, else replaced. */
export function jsonPatch(from: Json, to: Json, path = ""): PatchOp[] {
  if (isMap(from) && isMap(to)) {
    const ops: PatchOp[] = [];
    for (const key of Object.keys(from)) if (!(key in to)) ops.push({ op: "remove", path: pointer(path, key) });
    for (const [key, value] of Object.entries(to))
      ops.push(...(key in from ? jsonPatch(from[key]!, value, pointer(path, key)) : [{ op: "add" as const, path: pointer(path, key), value }]));
    return ops;
  }
  if (Array.isArray(from) && Array.isArray(to) && from.length === to.length) return from.flatMap((item, i) => jsonPatch(item, to[i]!, pointer(path, i)));
  return JSON.stringify(from) === JSON.stringify(to) ? [] : [{ op: "replace", path: path || "/", value: to }];
}

/** The objects of one generated folder (every file its kustomization lists), by file name. */
function objectsOf(folder: string): Map<string, Object_> {
  const { resources } = parse(readFileSync(join(folder, "kustomization.yaml"), "utf8")) as { resources: string[] };
  return new Map(resources.map((file) => [file, parse(readFileSync(join(folder, file), "utf8")) as Object_]));
}

const identity = (o: Object_) => `${o.apiVersion}|${o.kind}|${o.metadata.name}`;
const target = (o: Object_) => {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
  return { ...(group ? { group } : {}), version, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
};
const write = (path: string, value: unknown) => writeFileSync(path, stringify(value, { lineWidth: 0 }));

/**
 * Writes the peer of one service under `peer/<service>/` from its generated folders (`folders`: environment →
 * generated folder, first one the base): environment → overlay folder.
 */
export function writePeerService(peer: string, service: string, folders: ReadonlyMap<string, string>): Map<string, string> {
  const [first] = folders.values();
  const base = objectsOf(first!);
  const baseDir = join(peer, service, "base");
  mkdirSync(baseDir, { recursive: true });
  for (const [file, o] of base) write(join(baseDir, file), o);
  write(join(baseDir, "kustomization.yaml"), { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: [...base.keys()].sort() });
  const byIdentity = new Map([...base.values()].map((o) => [identity(o), o]));
  const overlays = new Map<string, string>();
  for (const [environment, folder] of folders) {
    const dir = join(peer, service, "overlays", environment);
    mkdirSync(dir, { recursive: true });
    const own: string[] = [];
    const patches: { target: ReturnType<typeof target>; patch: string }[] = [];
    const present = new Set<string>();
    for (const [file, o] of objectsOf(folder)) {
      const b = byIdentity.get(identity(o));
      present.add(identity(o));
      if (!b) {
        write(join(dir, file), o);
        own.push(file);
        continue;
      }
      const ops = jsonPatch(b as Json, o as Json);
      if (ops.length > 0) patches.push({ target: target(b), patch: JSON.stringify(ops) });
    }
    for (const b of byIdentity.values())
      if (!present.has(identity(b)))
        patches.push({ target: target(b), patch: stringify({ $patch: "delete", apiVersion: b.apiVersion, kind: b.kind, metadata: { name: b.metadata.name, ...(b.metadata.namespace ? { namespace: b.metadata.namespace } : {}) } }) });
    write(join(dir, "kustomization.yaml"), {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: ["../../base", ...own.sort()],
      ...(patches.length > 0 ? { patches } : {}),
    });
    overlays.set(environment, dir);
  }
  return overlays;
}

/** A service's environment folders under generated/: environment → folder, in `environments` order. */
export function serviceFolders(generated: string, service: string, environments: readonly { account: string; name: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const { account, name } of environments) {
    const folder = join(generated, account, name, service);
    try {
      if (readdirSync(folder).includes("kustomization.yaml")) out.set(name, folder);
    } catch {
      // not deployed there
    }
  }
  return out;
}
