/**
 * `generate` with memory (see cache.ts): a run whose inputs and code are unchanged, over a generated/ that is
 * verifiably what the last run wrote, touches nothing and loads no config. Otherwise the config is loaded and
 * resolved as always, deployments whose resolved data (and the code) are unchanged are not rendered again, and
 * generated/ is patched where it differs, or built anew and swapped in when most of it does (tree.ts).
 *
 * When generated/ is untouched since the last run (its snapshot's hash), an unchanged deployment's entry is carried
 * over as the line the cache holds, without its files being listed: they are there, as the entry says. The run
 * then compares only what it rendered and the estate's own files with the last run's files that no carried entry
 * holds, patches those, and edits the cache's manifest and snapshot texts in place: a one-service change touches
 * a few lines of state, not 120,000 entries. A change too big to patch lists the carried files after all.
 *
 * Only modules that every path needs are imported up front; loading config, rendering and the documents are
 * imported when a run needs them, so the no-op path stays cheap.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RenderableDeployment, ResolvedEstate } from "@gitops/model";
import type { FolderKinds } from "@gitops/argocd";
import { codeFingerprint, configPart, Entries, extraInputsOf, fitsLine, hashText, parseManifest, scanInputs, readParts, readState, writeState, type DeploymentEntry, type InputScan, type State, type StateHead, type TreeRecord } from "./cache.ts";
import { latestOf, snapshot } from "./snapshot.ts";
import type { GenerateResult, GenerateSummary } from "./generate.ts";
import type { RenderedFile, RenderJob } from "./renderer.ts";
import { foldersOf, OUTPUT_DIR, patchInPlace, recordOfBlocks, recover, scanTree, snapshotOf, stageAndSwap, stagingDir, untouchedTree, type HeldWriter, type ScannedTree, type TargetFile, type TreeBlock, type TreeDiff } from "./tree.ts";

/**
 * With GITOPS_TIMING=1, each phase's wall time goes to stderr (what the README's "where the time goes" quotes);
 * the benchmark times whole runs.
 */
const started = performance.now();
let lastLap = started;
export function lap(phase: string): void {
  if (!process.env.GITOPS_TIMING) return;
  const now = performance.now();
  process.stderr.write(`gitops timing: ${phase.padEnd(34)} ${(now - lastLap).toFixed(0).padStart(6)} ms  (${(now - started).toFixed(0)} ms since import)\n`);
  lastLap = now;
}

/** Generated files outside generated/ (GitHub reads CODEOWNERS only from .github/). */
export const ROOT_FILES = [".github/CODEOWNERS"] as const;

/** Runs under the caller's lock. */
export async function generateIncremental(root: string): Promise<GenerateResult> {
  recover(root);
  // A run killed inside writeAtomically leaves its temp file; nothing else would ever remove it.
  for (const path of ROOT_FILES) rmSync(join(root, `${path}.tmp`), { force: true });
  const output = join(root, OUTPUT_DIR);
  lap("start (modules loaded)");
  // The snapshot of generated/ is taken beside this process while it fingerprints the inputs.
  const snapshotting = snapshot(output);
  const state = readState(root);
  const code = codeFingerprint();
  lap("code fingerprint");
  // Fingerprinted before anything is loaded: an edit made while this run loads makes the next run do the work again.
  const scan = scanInputs(root, state?.head.extraInputs ?? []);
  lap("inputs fingerprint");
  if (state && state.head.code === code && state.head.inputs !== null && state.head.inputs === scan.fingerprint && rootFilesMatch(root, state.head.rootFiles)) {
    const now = await snapshotting;
    lap("snapshot of generated/ (waited)");
    if (untouched(state, now)) {
      const diff: TreeDiff = { added: [], changed: [], removed: [], unchanged: now ? now.split("\n").length - 1 : 0 };
      return { kind: "ok", summary: { ...state.head.summary, diff, rootChanged: [], written: false } };
    }
  }
  // Not a no-op: the snapshot is awaited only when the new tree is compared with it, after the config is loaded.
  try {
    return await changed(root, code, scan, state, snapshotting);
  } catch (error) {
    if (!(error instanceof CacheDamaged)) throw error;
    return changed(root, code, scan, undefined, snapshot(output));
  }
}

/**
 * Whether generated/ is exactly what the last run wrote: equal snapshots (no file added, removed, replaced or
 * written since), none of them changed in the same instant as the manifest was written (when a stat could not tell).
 */
function untouched(state: State, now: string): boolean {
  try {
    return hashText(now) === state.head.snapshot.hash && BigInt(state.head.snapshot.latestNs) < state.writtenAtNs;
  } catch {
    return false;
  }
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

async function changed(
  root: string,
  code: string,
  scan: InputScan,
  previous: State | undefined,
  outputSnapshotting: Promise<string>,
): Promise<GenerateResult> {
  const extraBefore = previous?.head.extraInputs ?? [];
  const { config: reusable } = previous ? readParts(root, previous.head, ["config"]) : {};
  const racyFrom = previous?.writtenAtNs ?? 0n;
  lap("cache parts read");

  const { openRenderer, renderKey, workerCount } = await import("./renderer.ts");
  const [{ load }, { resolve }] = await Promise.all([import("./load.ts"), import("@gitops/model")]);
  lap("import load, model");
  // Rendering's modules load while the config does (its bundler runs beside this process); a run that turns out
  // invalid has only loaded them for nothing.
  const rendering = Promise.all([import("./render.ts"), import("./serialize.ts"), import("@gitops/docs"), import("./runbooks.ts"), import("./store-keys.ts")]);
  rendering.catch(() => {}); // awaited below; an invalid config returns before that
  // Config files are evaluated again only when a file they read changed (and the code is the same).
  const { hashes } = scan;
  const hashOf = (path: string) => {
    if (!hashes.has(path))
      try {
        hashes.set(path, hashText(readFileSync(join(root, path))));
      } catch {
        hashes.set(path, undefined);
      }
    return hashes.get(path);
  };
  const loading = load(root, { hashOf, regular: scan.regular, listed: scan.regular, ...(previous?.head.code === code && reusable ? { reuse: reusable } : {}) });
  // A run that renders everything starts its render workers now, so that they load their modules while this thread
  // waits for esbuild rather than while it resolves the estate (started after the bundle, the whole run took 3–4 %
  // longer, alternated five runs at a time). Jobs: dev, staging, prod and a preview per service, roughly.
  const prewarm = (services: number) => (workerCount(4 * services) > 0 ? openRenderer(workerCount(4 * services)) : undefined);
  const early = !previous || previous.head.code !== code ? prewarm([...scan.regular].filter((p) => /^services\/[^/]+\/service\.ts$/.test(p)).length) : undefined;
  // The other parts are read while esbuild bundles the changed config beside this process.
  const parts = previous ? readParts(root, previous.head, ["tree", "deployments", "memo"]) : {};
  const loaded = await loading;
  lap("load config (bundle + evaluate)");
  // So does one whose cache turned out to have no deployments part, now.
  const prewarmed = early ?? (!parts.deployments ? prewarm(loaded.sources?.services.length ?? 0) : undefined);
  const resolution = loaded.sources ? resolve(loaded.sources) : undefined;
  const problems = [...loaded.problems, ...(resolution && !resolution.ok ? resolution.problems : [])];
  if (!resolution?.ok || problems.length > 0) {
    await (await prewarmed)?.close();
    return { kind: "invalid", problems };
  }
  const estate = resolution.estate;
  lap("resolve");
  // Each file's parsed value is cached with its value: a later run of the same code reuses both (a third of resolving).
  // Serialized now, before anything renders from the objects the estate shares with them.
  const config = configPart(new Map(Array.from(loaded.evaluated ?? [], ([file, e]) => [file, { ...e, parsed: resolution.parsed.get(file) }])));
  lap("config part serialized");
  const [{ kustomizations, estateLevel, estateObjects, folderOf, previewDeployments, sortedByPath }, { toYaml }, { codeowners, estateReadme }, { runbookInputs, runbookPath }, { storeKeysOf }] = await rendering;

  lap("import render, argocd, docs");
  // The render keys (renderer.ts `renderKey`). A run with new code (or no cache) can reuse nothing: it renders at
  // once, and each deployment is keyed by the thread rendering it. Keys stand on the estate alone, so they are
  // computed while the snapshot of generated/ is still being taken beside this process.
  const warm = parts.deployments !== undefined && previous?.head.code === code;
  // Every deployment and pull-request preview (packages/argocd/src/preview.ts), keyed on the code and its resolved
  // data; those without a reusable entry are rendered, on worker threads when there are many. A deployment's folder
  // holds its objects only, so its kustomization is rendered (and cached) with them; `placed` lists the rest.
  const all = [...estate.deployments.map((d) => ({ deployment: d, preview: false })), ...previewDeployments(estate).map((d) => ({ deployment: d, preview: true }))];
  /** Each deployment's render key: what its runbook's key stands on instead of serializing the deployment again. */
  const renderKeys = new Map<RenderableDeployment, string>();
  // A service whose inputs are those of the last run has the same deployments: their keys come from the memo.
  const byService = new Map<string, number[]>();
  all.forEach(({ deployment }, i) => (byService.get(deployment.service) ?? byService.set(deployment.service, []).get(deployment.service)!).push(i));
  const digests = inputDigests(code, estate, resolution.serviceInputs);
  const keys = warm ? new Array<string>(all.length) : undefined;
  if (keys)
    for (const [service, at] of byService) {
      const memoed = parts.memo?.get(digests.get(service)!);
      at.forEach((i, j) => {
        const { deployment } = all[i]!;
        renderKeys.set(deployment, (keys[i] = memoed?.length === at.length ? memoed[j]! : renderKey(code, deployment)));
      });
    }

  // Runbooks, keyed like deployments on the code and everything a runbook reads but its deployments' objects (which
  // the code and the deployments decide): an unchanged service's runbook is neither rendered nor rewritten. What a
  // runbook reads of the estate's own objects (the platform's, ArgoCD's ApplicationSets) no workload decides, so a
  // changed one is rendered with its service's deployments, by the thread rendering them, from their objects; one
  // whose deployments all come from the cache is rendered after, its deployments rendered again for it.
  const level = estateLevel(estate);
  /** The estate's objects that no workload decides (render.ts `estateLevel`). */
  const levelObjects = [...level.platform.flatMap((b) => b.objects), ...level.argocd];
  const { contexts, applicationSets } = runbookInputs(estate, levelObjects);
  const applicationSetObjects = level.argocd.filter((o) => o.object.kind === "ApplicationSet");
  // What every runbook shares (the code, the ApplicationSets, the environments and accounts) is hashed once; each
  // context then stands on it with its deployments' render keys and the names of their environments and accounts.
  const shared = hashText(`${code}\0runbook\0${applicationSets}\0${JSON.stringify([estate.environments, estate.accounts])}`);
  type Context = (typeof contexts)[number];
  const runbookKey = (ctx: Context) => {
    const keyedCtx = { ...ctx, deployments: ctx.deployments.map((x) => ({ folder: x.folder, deployment: renderKeys.get(x.deployment), environment: x.environment.name, account: x.account.name })) };
    return hashText(`${shared}\0${JSON.stringify(keyedCtx)}`);
  };
  const runbookKeys = warm ? contexts.map(runbookKey) : undefined;
  lap("render keys, estate objects, runbook contexts");

  const outputSnapshot = await outputSnapshotting;
  // generated/ exactly as the last run wrote it (the usual case) lets a run carry unchanged entries over without
  // listing their files: they are there, as the entries say. Otherwise each file is checked against the manifest.
  const clean = previous !== undefined && parts.tree !== undefined && untouched(previous, outputSnapshot);
  const manifest = () => {
    try {
      return parts.tree === undefined ? undefined : parseManifest(parts.tree);
    } catch {
      return undefined;
    }
  };
  let scanned: ScannedTree | undefined;
  const current = () => (scanned ??= clean ? untouchedTree(manifest() ?? new Map()) : scanTree(join(root, OUTPUT_DIR), outputSnapshot, manifest(), racyFrom));
  lap("generated/ scanned");

  const carrying = warm && clean && previous.head.estate !== undefined;
  const entries = warm ? parts.deployments! : new Entries();
  /** A file of an earlier render is still there to reuse: generated/ holds it, as a regular file. */
  const available = (path: string, hash: string) => current().files.get(path)?.hash === hash && !current().irregular.has(path);
  /** The files of this run that it renders or writes (all of them, unless entries are carried over). */
  const target = new Map<string, TargetFile>();
  /** Render keys → their entries: rendered this run, or (a line) carried over from the last. */
  const deployments = new Map<string, DeploymentEntry | string>();
  /** Keys carried over, and how many files they hold. */
  const carried: string[] = [];
  let carriedFiles = 0;
  const placed: { file: string; sources: readonly string[] }[] = [];
  const workloads: FolderKinds[] = [];
  let objectCount = 0;
  const put = (path: string, t: TargetFile) => {
    if (target.has(path)) throw new Error(`two objects render to ${path}`);
    target.set(path, t);
  };
  /** Reuses the last run's entry for `key` when its files are all still there: true when reused. */
  const reuse = (key: string, only?: { path: string }): boolean => {
    if (carrying) {
      const summary = entries.summary(key);
      if (!summary || (only && summary.files !== 1)) return false;
      if (only && entries.get(key)!.files[0]![0] !== only.path) return false;
      carried.push(key);
      carriedFiles += summary.files;
      deployments.set(key, entries.line(key)!);
      workloads.push(...summary.kinds);
      objectCount += summary.objects;
      return true;
    }
    const entry = entries.get(key);
    if (!entry || !entry.files.every(([path, hash]) => available(path, hash)) || (only && (entry.files.length !== 1 || entry.files[0]![0] !== only.path))) return false;
    for (const [path, hash, size] of entry.files) put(path, { hash, size });
    deployments.set(key, entry);
    workloads.push(...entry.kinds);
    objectCount += entry.objects;
    return true;
  };
  const keyed = all.map(({ deployment, preview }, i) => {
    const job: RenderJob = { deployment, preview, folder: folderOf(deployment) };
    const key = keys?.[i];
    return { job, key, reused: key !== undefined && reuse(key) };
  });
  const jobs = keyed.filter((k) => !k.reused).map((k) => k.job);
  // Without a cache every runbook is rendered, and keyed after (render keys come after rendering then).
  const stale: { ctx: Context; key?: string }[] = [];
  contexts.forEach((ctx, i) => {
    const key = runbookKeys?.[i];
    if (key === undefined || !reuse(key, { path: runbookPath(ctx.service.name) })) stale.push(key === undefined ? { ctx } : { ctx, key });
  });
  const renderedServices = new Set(jobs.map((j) => j.deployment.service));
  const withDeployments = stale.filter((s) => renderedServices.has(s.ctx.service.name));
  const apart = stale.filter((s) => !renderedServices.has(s.ctx.service.name));
  const runbookJob = ({ ctx }: { ctx: Context }) => ({ path: runbookPath(ctx.service.name), ctx });
  lap(`entries reused (${contexts.length - stale.length} runbooks)`);

  const wanted = workerCount(jobs.length);
  const renderer = prewarmed && wanted > 0 ? await prewarmed : await openRenderer(wanted);
  if (prewarmed && wanted === 0) await (await prewarmed).close();
  // A tree built from nothing (no generated/) is written by the renderers as they go.
  const writeTo = !clean && current().files.size === 0 ? stagingDir(root) : undefined;
  // Such a tree is recorded from the renderers' blocks (tree.ts `recordOfBlocks`): every deployment's, and one for
  // each file the blocks leave out (`loose`: runbooks, the estate's files), else (any deployment without) formatted whole.
  let blocks: TreeBlock[] | undefined = writeTo !== undefined ? [] : undefined;
  const loose: string[] = [];
  try {
    const putRunbook = ({ ctx, key }: (typeof stale)[number], [path, hash, size, stat]: RenderedFile) => {
      put(path, stat !== undefined ? { hash, size, stat } : { hash, size, held: true });
      loose.push(path);
      deployments.set(key ?? runbookKey(ctx), { files: [[path, hash, size]], objects: 0, kinds: [] });
    };
    const rendering = renderer.render(jobs, writeTo, { jobs: withDeployments.map(runbookJob), applicationSets: applicationSetObjects }, warm ? undefined : code);
    rendering.catch(() => {}); // awaited below, after what follows (which may throw first)
    // What the estate alone decides is made while the workers render (they take this thread's share meanwhile): the
    // README, whose store keys come from the estate-level objects (ArgoCD's projects, made from the rendered kinds
    // below, hold none), and CODEOWNERS.
    const readme = estateReadme(estate, storeKeysOf(estate, levelObjects));
    const rootContent = new Map<string, string>([[".github/CODEOWNERS", codeowners(estate)]]);
    const rootChanged = [...rootContent].filter(([path, content]) => !existsSync(join(root, path)) || readFileSync(join(root, path), "utf8") !== content).map(([p]) => p);
    const renders = await rendering;
    let r = 0;
    for (const k of keyed) {
      if (k.reused) continue;
      const fresh = renders.entries[r++]!;
      // Warm, keyed before rendering; else every deployment was rendered, and keyed by its thread.
      const key = k.key ?? fresh.key!;
      renderKeys.set(k.job.deployment, key);
      fresh.files.forEach(([path, hash, size], i) => put(path, fresh.stats ? { hash, size, stat: fresh.stats[i]! } : { hash, size, held: true }));
      if (fresh.block) blocks?.push(fresh.block);
      else blocks = undefined;
      // The line its thread made of it, when keyed there.
      deployments.set(key, fresh.line !== undefined && fresh.key === key ? fresh.line : { files: fresh.files, objects: fresh.objects, kinds: fresh.kinds });
      workloads.push(...fresh.kinds);
      objectCount += fresh.objects;
    }
    withDeployments.forEach((ctx, i) => putRunbook(ctx, renders.runbooks[i]!));
    lap(`deployments (${jobs.length}), runbooks with them (${withDeployments.length}) rendered`);
    const argo = estateObjects(estate, workloads, level);
    const estateFiles: [string, string][] = [];
    const putEstate = (path: string, content: string) => {
      const hash = hashText(content);
      put(path, { hash, size: Buffer.byteLength(content), content });
      estateFiles.push([path, hash]);
      loose.push(path);
    };
    for (const o of argo) {
      putEstate(o.file, toYaml(o.object, o.sources));
      placed.push(o);
    }
    // The estate's own folders get theirs here (a folder shared with a deployment would get two: never, by layout).
    for (const [path, content] of kustomizations(placed)) putEstate(path, content);
    lap("ArgoCD and platform objects, kustomizations");
    if (apart.length > 0) (await renderer.runbooks({ jobs: apart.map(runbookJob), applicationSets: applicationSetObjects }, writeTo)).forEach((f, i) => putRunbook(apart[i]!, f));
    lap(`runbooks apart (${apart.length} rendered)`);
    putEstate("README.md", readme);

    // generated/ patched by what changed against the entries it no longer holds; failing that (many changes), the
    // whole tree, with the carried entries' files listed after all.
    const patched = carrying
      ? await patchCarried(root, { tree: parts.tree!, snapshot: outputSnapshot, entries, estate: previous.head.estate, carried, carriedFiles, target, latestNs: BigInt(previous.head.snapshot.latestNs) }, (dir, paths) =>
          renderer.write(dir, paths),
        )
      : undefined;
    let diff: TreeDiff;
    let tree: TreeRecord;
    let snapshotHash: string;
    if (patched) {
      lap("diff, tree patched");
      ({ diff, tree } = patched);
      snapshotHash = hashText(patched.snapshot);
    } else {
      if (carrying)
        for (const key of carried) {
          const entry = entries.get(key)!;
          // Entries whose files the manifest does not confirm (a damaged cache): the run starts again without it.
          if (!entry.files.every(([path, hash]) => available(path, hash))) throw new CacheDamaged();
          for (const [path, hash, size] of entry.files) put(path, { hash, size });
        }
      const sorted = sortedByPath(target);
      diff = diffAgainst(current(), sorted);
      lap("README, tree sorted, diff");
      if (diff.added.length + diff.changed.length + diff.removed.length > 0) {
        const written = await stageAndSwap(root, sorted, current(), diff, (dir, paths) => renderer.write(dir, paths));
        const record = blocks && recordOfBlocks(blocks, loose, written, renders.latestNs ?? 0n);
        tree = record?.tree ?? written;
        snapshotHash = record?.snapshotHash ?? hashText(snapshotOf(written));
      } else {
        tree = current().files;
        snapshotHash = hashText(outputSnapshot);
      }
      lap("tree staged and swapped");
    }
    const treeChanged = diff.added.length + diff.changed.length + diff.removed.length > 0;
    for (const path of rootChanged) writeAtomically(join(root, path), rootContent.get(path)!);

    const summary: GenerateSummary = {
      environments: estate.environments.length,
      services: estate.services.length,
      objects: objectCount + argo.length,
      diff,
      rootChanged,
      written: treeChanged || rootChanged.length > 0,
      rendered: { deployments: jobs.length, of: all.length, runbooks: stale.length, runbooksOf: contexts.length, workers: renderer.workers },
    };
    // The inputs fingerprint is recorded only when it covers everything the config imported this time.
    const extra = loaded.inputs ? extraInputsOf(root, loaded.inputs) : undefined;
    const sameExtra = extra !== undefined && extra.length === extraBefore.length && extra.every((p, i) => p === extraBefore[i]);
    writeState(root, {
      code,
      inputs: sameExtra ? scan.fingerprint : null,
      extraInputs: extra ?? [],
      summary: { environments: summary.environments, services: summary.services, objects: summary.objects },
      rootFiles: Object.fromEntries([...rootContent].map(([path, content]) => [path, hashText(content)])),
      snapshotHash,
      estate: estateFiles.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      tree,
      deployments,
      config,
      memo: new Map(Array.from(byService, ([service, at]) => [digests.get(service)!, at.map((i) => renderKeys.get(all[i]!.deployment)!)])),
    });
    lap("state written");
    return { kind: "ok", summary };
  } finally {
    await renderer.close();
  }
}

/**
 * Each service's input digest: the code, the estate level (the resolved estate without its services and deployments:
 * environments, accounts, platform, registry, the estate file's settings) and what its own deployments are resolved
 * from besides (model `serviceInputs`). Equal digests, equal deployments, previews included (they are made from a
 * service's deployments and the estate level alone): the memo's keys (cache.ts `Memo`) stand on them.
 */
function inputDigests(code: string, estate: ResolvedEstate, serviceInputs: ReadonlyMap<string, string>): Map<string, string> {
  const level = hashText(`${code}\0${JSON.stringify({ ...estate, services: undefined, deployments: undefined })}`);
  const out = new Map<string, string>();
  for (const [service, inputs] of serviceInputs) out.set(service, hashText(`${level}\0${inputs}`));
  return out;
}

/** The cache contradicts itself (its entries and its manifest disagree): the run is done again without it. */
class CacheDamaged extends Error {}

/**
 * Patches generated/ (untouched since the last run) when entries were carried over: the files of this run
 * (`target`: rendered, and the estate's) against the last run's files that no carried entry holds (its dropped
 * entries' and its estate files), a patch through the journal (tree.ts), then the manifest and snapshot texts
 * patched line by line. Undefined, having written nothing, when a patch would not do (many changes, or a path
 * a manifest line cannot hold, or one a carried entry already holds: the caller's whole-tree path reports that).
 */
async function patchCarried(
  root: string,
  last: { tree: string; snapshot: string; entries: Entries; estate: StateHead["estate"]; carried: readonly string[]; carriedFiles: number; target: ReadonlyMap<string, TargetFile>; latestNs: bigint },
  writeHeld: HeldWriter,
): Promise<{ diff: TreeDiff; tree: TreeRecord; snapshot: string } | undefined> {
  const { entries, target } = last;
  const keep = new Set(last.carried);
  /** The last run's files no carried entry holds: path → hash. */
  const gone = new Map<string, string>(last.estate.map(([path, hash]) => [path, hash]));
  for (const key of entries.keys()) if (!keep.has(key)) for (const [path, hash] of entries.get(key)!.files) gone.set(path, hash);
  const manifest = new SortedLines(last.tree, 0);
  const added: string[] = [];
  const changed: string[] = [];
  let unchanged = last.carriedFiles;
  for (const [path, t] of target) {
    if (!fitsLine(path)) return undefined;
    const before = gone.get(path);
    if (before === undefined) {
      if (manifest.has(path)) return undefined; // a carried entry holds it
      added.push(path);
    } else if (before !== t.hash) changed.push(path);
    else unchanged++;
  }
  const removed = [...gone.keys()].filter((path) => !target.has(path)).sort();
  const diff: TreeDiff = { added: added.sort(), changed: changed.sort(), removed, unchanged };
  if (added.length + changed.length + removed.length === 0) return { diff, tree: { text: last.tree, latestNs: last.latestNs }, snapshot: last.snapshot };
  const removing = new Set(removed);
  let folders: Set<string> | undefined;
  const stats = await patchInPlace(
    root,
    {
      size: last.carriedFiles + target.size,
      get: (path) => target.get(path),
      holdsFile: (folder) => (folders ??= foldersOf(target.keys())).has(folder) || manifest.hasPrefix(`${folder}/`, removing),
    },
    last.carriedFiles + gone.size,
    diff,
    writeHeld,
  );
  if (!stats) return undefined;
  // The manifest's and the snapshot's lines: removed ones dropped, put ones (changed or added) written anew.
  const edits = [...removed.map((path) => [path, undefined] as const), ...[...stats.keys()].map((path) => [path, stats.get(path)!] as const)].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const tree = manifest.edit(edits.map(([path, stat]) => [path, stat === undefined ? undefined : `${path}\t${target.get(path)!.hash}\t${stat}`]));
  const snapshot = new SortedLines(last.snapshot, 4).edit(edits.map(([path, stat]) => [path, stat === undefined ? undefined : `f\t./${path}\t${stat}`]));
  const latest = latestOf(stats.values());
  return { diff, tree: { text: tree, latestNs: latest > last.latestNs ? latest : last.latestNs }, snapshot };
}

/**
 * A sorted text of lines, each a path after `skip` characters up to a tab (a manifest's `path\t…`, a snapshot's
 * `f\t./path\t…`), searched and edited as it is: 120,000 lines are never split into strings for a change of a few.
 */
class SortedLines {
  constructor(
    private readonly text: string,
    private readonly skip: number,
  ) {}

  private pathAt(start: number): string {
    const from = start + this.skip;
    return this.text.slice(from, this.text.indexOf("\t", from));
  }

  private next(start: number): number {
    const end = this.text.indexOf("\n", start);
    return end < 0 ? this.text.length : end + 1;
  }

  /** The start of the first line, from the line starting at `lo`, whose path is not below `path`. */
  private lowerBound(path: string, lo = 0): number {
    let hi = this.text.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const start = Math.max(lo, this.text.lastIndexOf("\n", mid - 1) + 1);
      if (this.pathAt(start) < path) lo = this.next(start);
      else hi = start;
    }
    return lo;
  }

  has(path: string): boolean {
    const at = this.lowerBound(path);
    return at < this.text.length && this.pathAt(at) === path;
  }

  /** Whether a path starts with `prefix`, other than those in `except`. */
  hasPrefix(prefix: string, except: ReadonlySet<string>): boolean {
    for (let at = this.lowerBound(prefix); at < this.text.length; at = this.next(at)) {
      const path = this.pathAt(at);
      if (!path.startsWith(prefix)) return false;
      if (!except.has(path)) return true;
    }
    return false;
  }

  /** The text with `edits` (sorted by path) made: each path's line replaced by its own, inserted, or (undefined) removed. */
  edit(edits: readonly (readonly [string, string | undefined])[]): string {
    const parts: string[] = [];
    let at = 0;
    for (const [path, line] of edits) {
      const start = this.lowerBound(path, at);
      parts.push(this.text.slice(at, start));
      at = start < this.text.length && this.pathAt(start) === path ? this.next(start) : start;
      if (line !== undefined) parts.push(`${line}\n`);
    }
    parts.push(this.text.slice(at));
    return parts.join("");
  }
}

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
  for (const path of current.files.keys()) if (!target.has(path)) removed.push(path);
  return { added, changed: changedFiles, removed: removed.sort(), unchanged };
}

function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}
