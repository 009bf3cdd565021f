/**
 * `generate` with memory (see cache.ts): a run whose inputs and code are unchanged, over a generated/ that is
 * verifiably what the last run wrote, touches nothing and loads no config. Otherwise the config is loaded and
 * resolved as always, deployments whose resolved data (and the code) are unchanged are not rendered again, and
 * the new tree is built by patching the previous one, then swapped in whole (tree.ts).
 *
 * Only modules that every path needs are imported up front; loading config, rendering and the documents are
 * imported when a run needs them, so the no-op path stays cheap.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { serialize as v8Serialize } from "node:v8";
import type { ResolvedDeployment } from "@gitops/model";
import { CACHE_DIR, codeFingerprint, extraInputsOf, hashText, inputFingerprint, readState, writeState, type DeploymentEntry, type State } from "./cache.ts";
import type { GenerateResult, GenerateSummary } from "./generate.ts";
import { OUTPUT_DIR, recover, scanTree, stageAndSwap, verifySpare, type ScannedTree, type TargetFile, type TreeDiff } from "./tree.ts";

/** Generated files outside generated/ (GitHub reads CODEOWNERS only from .github/). */
export const ROOT_FILES = [".github/CODEOWNERS"] as const;

/** Runs under the caller's lock. */
export async function generateIncremental(root: string): Promise<GenerateResult> {
  recover(root);
  // A run killed inside writeAtomically leaves its temp file; nothing else would ever remove it.
  for (const path of ROOT_FILES) rmSync(join(root, `${path}.tmp`), { force: true });
  const cache = join(root, CACHE_DIR);
  const state = readState(root);
  const code = codeFingerprint();
  // Fingerprinted before anything is loaded: an edit made while this run loads makes the next run do the work again.
  const inputs = inputFingerprint(root, state?.extraInputs ?? []);
  const current = scanTree(join(root, OUTPUT_DIR), state?.tree, state?.writtenAtMs ?? 0);

  if (state && state.code === code && state.inputs !== null && state.inputs === inputs && current.clean && rootFilesMatch(root, state.rootFiles)) {
    const diff: TreeDiff = { added: [], changed: [], removed: [], unchanged: current.files.size };
    return { kind: "ok", summary: { ...state.summary, diff, rootChanged: [], written: false } };
  }
  return changed(root, cache, code, inputs, state, current);
}

function rootFilesMatch(root: string, recorded: Readonly<Record<string, string>>): boolean {
  return ROOT_FILES.every((path) => {
    try {
      return recorded[path] !== undefined && hashText(readFileSync(join(root, path))) === recorded[path];
    } catch {
      return false;
    }
  });
}

async function changed(root: string, cache: string, code: string, inputsBefore: string, previous: State | undefined, current: ScannedTree): Promise<GenerateResult> {
  const extraBefore = previous?.extraInputs ?? [];
  const [{ load }, { resolve }] = await Promise.all([import("./load.ts"), import("@gitops/model")]);
  const loaded = await load(root);
  if (!loaded.sources) return { kind: "invalid", problems: loaded.problems };
  const resolution = resolve(loaded.sources);
  const problems = [...loaded.problems, ...(resolution.ok ? [] : resolution.problems)];
  if (!resolution.ok || problems.length > 0) return { kind: "invalid", problems };
  const estate = resolution.estate;

  const [{ renderDeployment, kustomizations }, { toYaml }, { argocdObjects }, { codeowners, estateReadme }] = await Promise.all([
    import("./render.ts"),
    import("./serialize.ts"),
    import("@gitops/argocd"),
    import("@gitops/docs"),
  ]);

  // Deployments: reuse what an identical deployment rendered last time, if its files can still be had.
  const state = previous ? readState(root, { deployments: true, spare: true }) : undefined;
  let spare = state?.spare ?? null;
  if (spare) spare = verifySpare(cache, spare, state!.writtenAtMs);
  const available = (path: string, hash: string) => current.files.get(path)?.hash === hash || spare?.files.get(path)?.hash === hash;
  const target = new Map<string, TargetFile>();
  const deployments = new Map<string, DeploymentEntry>();
  const placed: { file: string; sources: readonly string[] }[] = [];
  const workloads: { file: string; object: Record<string, unknown> }[] = [];
  const put = (path: string, t: TargetFile) => {
    if (target.has(path)) throw new Error(`two objects render to ${path}`);
    target.set(path, t);
  };
  for (const d of estate.deployments) {
    const key = deploymentKey(code, d);
    let entry = state?.deployments.get(key);
    if (entry && !entry.files.every(([path, hash]) => available(path, hash))) entry = undefined;
    if (entry) {
      for (const [path, hash, size] of entry.files) put(path, { hash, size });
    } else {
      const files: [string, string, number][] = [];
      const objects: [string, string, string, string, string][] = [];
      for (const o of renderDeployment(d)) {
        const content = toYaml(o.object, o.sources);
        const t = { hash: hashText(content), size: Buffer.byteLength(content), content };
        put(o.file, t);
        files.push([o.file, t.hash, t.size]);
        const meta = (o.object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
        objects.push([o.file, String(o.object.apiVersion), String(o.object.kind), String(meta.name ?? ""), String(meta.namespace ?? "")]);
      }
      entry = { files, objects };
    }
    deployments.set(key, entry);
    for (const [file, apiVersion, kind, name, namespace] of entry.objects) {
      placed.push({ file, sources: d.sources });
      workloads.push({ file, object: { apiVersion, kind, metadata: { name, namespace } } });
    }
  }
  const argo = argocdObjects(estate, workloads);
  for (const o of argo) {
    const content = toYaml(o.object, o.sources);
    put(o.file, { hash: hashText(content), size: Buffer.byteLength(content), content });
    placed.push(o);
  }
  // As renderFiles: a folder's kustomization.yaml is set last and wins.
  for (const [path, content] of kustomizations(placed)) target.set(path, { hash: hashText(content), size: Buffer.byteLength(content), content });
  const readme = estateReadme(estate);
  put("README.md", { hash: hashText(readme), size: Buffer.byteLength(readme), content: readme });
  const sorted = new Map([...target].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

  const diff = diffAgainst(current, sorted);
  const rootContent = new Map<string, string>([[".github/CODEOWNERS", codeowners(estate)]]);
  const rootChanged = [...rootContent].filter(([path, content]) => !existsSync(join(root, path)) || readFileSync(join(root, path), "utf8") !== content).map(([p]) => p);
  const treeChanged = diff.added.length + diff.changed.length + diff.removed.length > 0;

  let tree = current.files;
  if (treeChanged) ({ tree, spare } = stageAndSwap(root, cache, sorted, current, spare));
  for (const path of rootChanged) writeAtomically(join(root, path), rootContent.get(path)!);

  const summary: GenerateSummary = {
    environments: estate.environments.length,
    services: estate.services.length,
    objects: workloads.length + argo.length,
    diff,
    rootChanged,
    written: treeChanged || rootChanged.length > 0,
  };
  // The inputs fingerprint is recorded only when it covers everything the config imported this time.
  const extra = loaded.inputs ? extraInputsOf(root, loaded.inputs) : undefined;
  const sameExtra = extra !== undefined && extra.length === extraBefore.length && extra.every((p, i) => p === extraBefore[i]);
  writeState(root, {
    code,
    inputs: sameExtra ? inputsBefore : null,
    extraInputs: extra ?? [],
    summary: { environments: summary.environments, services: summary.services, objects: summary.objects },
    rootFiles: Object.fromEntries([...rootContent].map(([path, content]) => [path, hashText(content)])),
    tree,
    spare,
    deployments,
  });
  return { kind: "ok", summary };
}

/** The render cache key: the code fingerprint and the resolved deployment, serialized exactly (structured clone). */
const deploymentKey = (code: string, d: ResolvedDeployment) => hashText(Buffer.concat([Buffer.from(code), v8Serialize(d)]));

function diffAgainst(current: ScannedTree, target: ReadonlyMap<string, TargetFile>): TreeDiff {
  const added: string[] = [];
  const changedFiles: string[] = [];
  const removed: string[] = [];
  let unchanged = 0;
  for (const [path, t] of target) {
    const now = current.files.get(path);
    if (!now) added.push(path);
    else if (now.hash !== t.hash || current.irregular.has(path)) changedFiles.push(path);
    else unchanged++;
  }
  for (const path of [...current.files.keys()].sort()) if (!target.has(path)) removed.push(path);
  return { added, changed: changedFiles, removed, unchanged };
}

function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}
