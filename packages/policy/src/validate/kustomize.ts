/**
 * Renders every generated folder with real `kubectl kustomize` (what ArgoCD runs) and compares the result
 * with the generator's objects: the same objects, field for field, after YAML has been written and read
 * back by another implementation. Works on a temporary copy of the files, never on generated/.
 */
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { asObj, formatObjPath, isObj, type Context, type ObjPath, type PolicyObject } from "../context.ts";
import type { Finding } from "../finding.ts";

export interface KustomizeOptions {
  /** The kubectl binary; default `kubectl` on PATH. */
  readonly kubectl?: string;
  /** Folders rendered at once; default the machine's parallelism. */
  readonly concurrency?: number;
}

export const KUSTOMIZE_RULE = "kustomize/render";

const keyOf = (o: unknown) => {
  const m = asObj(asObj(o).metadata);
  return [asObj(o).apiVersion, asObj(o).kind, m.namespace ?? "", m.name ?? ""].map(String).join(" ");
};

/** The first path where two JSON values differ, or undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown, path: ObjPath = []): ObjPath | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return path;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], [...path, i]);
      if (d) return d;
    }
    return undefined;
  }
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in a) || !(k in b)) return [...path, k];
      const d = firstDifference(a[k], b[k], [...path, k]);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : path;
}

function run(kubectl: string, dir: string): Promise<{ ok: true; stdout: string } | { ok: false; error: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(kubectl, ["kustomize", dir], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) resolve({ ok: true, stdout });
      else resolve({ ok: false, error: (stderr || error.message).trim().split("\n")[0] ?? "failed", missing: (error as NodeJS.ErrnoException).code === "ENOENT" });
    });
  });
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Renders each folder with kubectl kustomize and reports every difference from the generator's objects. */
export async function kustomizeFindings(ctx: Context, options: KustomizeOptions = {}): Promise<Finding[]> {
  const kubectl = options.kubectl ?? "kubectl";
  const dir = await mkdtemp(join(tmpdir(), "gitops-kustomize-"));
  try {
    const folders = new Set<string>();
    await Promise.all(
      [...ctx.files].map(async ([file, content]) => {
        await mkdir(dirname(join(dir, file)), { recursive: true });
        await writeFile(join(dir, file), content);
      }),
    );
    for (const file of ctx.files.keys()) if (file.endsWith("/kustomization.yaml")) folders.add(file.slice(0, -"/kustomization.yaml".length));
    const byFolder = new Map<string, PolicyObject[]>();
    for (const o of ctx.objects) {
      const folder = o.file.slice(0, o.file.lastIndexOf("/"));
      byFolder.set(folder, [...(byFolder.get(folder) ?? []), o]);
    }
    const sorted = [...folders].sort();
    const results = await pool(sorted, options.concurrency ?? availableParallelism(), (folder) => run(kubectl, join(dir, folder)));
    const out: Finding[] = [];
    for (const [i, folder] of sorted.entries()) {
      const result = results[i]!;
      const objects = byFolder.get(folder) ?? [];
      const unit = ctx.unitIn(folder);
      const source = unit ? { file: unit.service.file, path: "" } : { file: objects[0]?.sources[0] ?? ctx.estate.file, path: "" };
      const where = { unit, environment: unit?.env.name ?? ctx.environmentOf(folder)?.name ?? null };
      if (!result.ok) {
        if (result.missing) return [ctx.finding(KUSTOMIZE_RULE, { file: ctx.estate.file, path: "" }, `${kubectl} is not on PATH, so no folder could be rendered — install kubectl (kustomize v5.5 is built in), or run check without --kustomize`, { environment: null })];
        out.push(ctx.finding(KUSTOMIZE_RULE, source, `kubectl kustomize generated/${folder} failed: ${result.error} — fix the folder's kustomization or objects (a generator fix)`, where));
        continue;
      }
      const rendered = new Map<string, unknown>();
      for (const doc of parseAllDocuments(result.stdout, { version: "1.1" })) {
        const value: unknown = doc.toJS();
        if (isObj(value)) rendered.set(keyOf(value), value);
      }
      for (const o of objects) {
        const key = keyOf(o.object);
        const got = rendered.get(key);
        rendered.delete(key);
        const at = unit ? ctx.locate(unit, o, []) : source;
        if (got === undefined) {
          out.push(ctx.finding(KUSTOMIZE_RULE, at, `kubectl kustomize generated/${folder} does not output ${String(o.object.kind)} ${String(asObj(o.object.metadata).name)} — list its file in the folder's kustomization.yaml (a generator fix)`, { unit, object: o, path: [] }));
          continue;
        }
        const diff = firstDifference(JSON.parse(JSON.stringify(o.object)), got);
        if (diff)
          out.push(ctx.finding(KUSTOMIZE_RULE, unit ? ctx.locate(unit, o, diff) : source, `kubectl kustomize renders ${String(o.object.kind)} ${String(asObj(o.object.metadata).name)} differently at ${formatObjPath(diff) || "(object)"} (generator ${show(valueAt(o.object, diff))}, kustomize ${show(valueAt(got, diff))}) — make the YAML read back as written (quote it, or change the value)`, { unit, object: o, path: diff }));
      }
      for (const extra of rendered.keys())
        out.push(ctx.finding(KUSTOMIZE_RULE, source, `kubectl kustomize generated/${folder} outputs ${extra}, which the generator did not render — remove the stray file or resource (a generator fix)`, where));
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const show = (v: unknown) => {
  const s = v === undefined ? "nothing" : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
};

function valueAt(value: unknown, path: ObjPath): unknown {
  let v = value;
  for (const k of path) v = isObj(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}
