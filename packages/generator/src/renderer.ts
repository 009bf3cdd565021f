/**
 * Rendering for the incremental generate, in this thread or on worker threads (both cores: rendering a deployment
 * is pure, and it is most of a full generate's time). A renderer renders deployments to files, renders each
 * changed runbook right after its service's deployments, from their objects, then drops the objects; it keeps
 * the files' content and writes it into the new tree, so file contents never cross between threads: the main
 * thread plans the tree from hashes, the renderers write it.
 *
 * The output does not depend on how many threads render: each deployment's files come from the same pure render,
 * and results come back in job order.
 */
import { lstatSync, mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { RunbookApplication, RunbookContext, RunbookObject } from "@gitops/docs";
import { renderable, type RenderableDeployment } from "@gitops/model";
import { folderKinds, type EmittedObject, type FolderKinds } from "@gitops/argocd";
import { Entries, fitsLine, hashText, type DeploymentEntry } from "./cache.ts";
import { workersProblem } from "./workers.ts";
import { statText } from "./snapshot.ts";
import { treeBlock, type TreeBlock } from "./tree.ts";
import { bundledWorker, tsxApi } from "./tsx.ts";

/** One deployment to render, into its own folder with its kustomization (a preview's reads its objects' content). */
export interface RenderJob {
  readonly deployment: RenderableDeployment;
  readonly folder: string;
  readonly preview: boolean;
}

/** What a render leaves in the cache (cache.ts `DeploymentEntry`): [path, content hash, size] per file, its objects' count and kinds. */
export interface RenderedEntry extends DeploymentEntry {
  /** With `writeTo`: each file's stat text once written, in the order of `files`. */
  readonly stats?: readonly string[];
  /** With `keyWith`: the deployment's render key (`renderKey`), taken where it was rendered. */
  readonly key?: string;
  /** With `writeTo`: the files' lines in the tree's manifest and snapshot (none for a path no line can hold). */
  readonly block?: TreeBlock;
  /** With `keyWith`: the entry's line in the cache (`Entries.format`), made where it was rendered. */
  readonly line?: string;
}

/** Rendered objects' kinds as a cache entry keeps them (cache.ts `Entries`): argocd's `folderKinds`, each folder's distinct and sorted. */
function entryKinds(objects: readonly EmittedObject[]): FolderKinds[] {
  return folderKinds(objects).map(({ folder, kinds }) => ({ folder, kinds: [...new Set(kinds.map((k) => k.join(" ")))].sort().map((k) => k.split(" ") as [string, string]) }));
}

/**
 * A deployment's render key: the code fingerprint and the resolved deployment as JSON, which it is by construction
 * (parsed by zod, resolved into plain data), and which, unlike v8.serialize, does not depend on how V8 happens to
 * hold a string (one byte or two per character). A structured clone serializes to the same JSON, so a worker's key
 * is this thread's.
 */
export const renderKey = (code: string, deployment: RenderableDeployment): string => hashText(`${code}\0${JSON.stringify(renderable(deployment))}`);

/** A rendered runbook: [path, content hash, size], and its stat text when written at once (`writeTo`). */
export type RenderedFile = readonly [string, string, number, string?];

/** One runbook to render. */
export interface RunbookJob {
  readonly path: string;
  readonly ctx: RunbookContext;
}

/**
 * Runbooks to render with a batch of deployments, each in the thread that renders its service's deployments, from
 * their objects, as soon as they are rendered: no object outlives its service's turn. `applicationSets` decide which
 * Application syncs each folder (expanded over the folders of the runbooks at hand).
 */
export interface RunbookBatch {
  readonly jobs: readonly RunbookJob[];
  readonly applicationSets: readonly RunbookObject[];
}

/** A batch rendered: each job's entry in job order, and each of the batch's runbooks in its order. */
export interface Rendered {
  readonly entries: RenderedEntry[];
  readonly runbooks: RenderedFile[];
  /** With `writeTo`: the latest mtime or ctime (ns) of the files its renderers wrote so far this run. */
  readonly latestNs?: bigint;
}

/**
 * Renders, then writes on request. With `writeTo` (a staging tree being built from nothing), each file is written
 * there as soon as it is rendered, so writing overlaps rendering and no content is kept.
 */
export interface Renderer {
  /** How many worker threads render besides this one (0 when it renders alone). */
  readonly workers: number;
  /**
   * Renders each job, then each of `runbooks` (whose services' deployments should be among the jobs; any that are
   * not are rendered again for it). The renderer keeps the files' content unless written, never the objects.
   */
  render(jobs: readonly RenderJob[], writeTo?: string, runbooks?: RunbookBatch, keyWith?: string): Promise<Rendered>;
  /** Renders each runbook, its deployments' objects rendered again (none of them changed this run), in job order. */
  runbooks(batch: RunbookBatch, writeTo?: string): Promise<RenderedFile[]>;
  /** Writes the held content of `paths` under `dir` (their parent folders exist): path → stat text, as snapshot.ts writes it. */
  write(dir: string, paths: readonly string[]): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** A thread of a renderer: this one's local renderer, or a worker. */
type Member = Omit<Renderer, "workers">;

type Wire =
  | { op: "render"; jobs: { deployment: RenderableDeployment; preview: boolean }[]; writeTo?: string; runbooks?: RunbookBatch; keyWith?: string }
  | { op: "runbooks"; batch: RunbookBatch; writeTo?: string }
  | { op: "write"; dir: string; paths: string[] };

/** Renders in this thread: a worker's body, and the renderer of small runs (a worker takes ~0.8 s to start). */
export async function localRenderer(): Promise<Renderer & { serve(message: Wire): Promise<unknown> }> {
  const [{ kustomizations, renderDeployment, folderOf }, { toYaml }, { applicationsOf, renderRunbook }] = await Promise.all([import("./render.ts"), import("./serialize.ts"), import("./runbooks.ts")]);
  const contents = new Map<string, string>();
  const made = new Set<string>();
  let latest = 0n;
  /** Writes `content` to `dir/path`, its folder made when needed: the stat text. */
  const writeOne = (dir: string, path: string, content: string) => {
    // `path` is one the generator made (relative, no `.` or `..` parts): joined as text, not normalized per file.
    const full = `${dir}/${path}`;
    const parent = full.slice(0, full.lastIndexOf("/"));
    if (!made.has(parent)) mkdirSync(parent, { recursive: true }), made.add(parent);
    writeFileSync(full, content);
    const st = lstatSync(full, { bigint: true });
    if (st.mtimeNs > latest) latest = st.mtimeNs;
    if (st.ctimeNs > latest) latest = st.ctimeNs;
    return statText(st);
  };
  const keep = (path: string, content: string, writeTo: string | undefined): RenderedFile => {
    const file = [path, hashText(content), Buffer.byteLength(content)] as const;
    if (writeTo === undefined) return contents.set(path, content), file;
    return [...file, writeOne(writeTo, path, content)];
  };
  /** One deployment's files; its objects go to `objects` by folder when given (a runbook waits for them). */
  const render = (deployment: RenderableDeployment, writeTo: string | undefined, objects: Map<string, RunbookObject[]> | undefined, keyWith: string | undefined): RenderedEntry => {
    const all = renderDeployment(deployment);
    objects?.set(folderOf(deployment), all);
    const files = all.map((o) => keep(o.file, toYaml(o.object, o.sources), writeTo));
    for (const [path, content] of kustomizations(all)) files.push(keep(path, content, writeTo));
    const entry: DeploymentEntry = { files: files.map(([p, h, n]) => [p, h, n] as const), objects: all.length, kinds: entryKinds(all) };
    // Lines, in the cache and in the tree's record, for paths a line can hold (the cache refuses the others).
    const lined = files.every(([path]) => fitsLine(path));
    const block = writeTo !== undefined && lined ? treeBlock(files.map(([p, h, , stat]) => [p, h, stat!])) : undefined;
    const key = keyWith !== undefined ? renderKey(keyWith, deployment) : undefined;
    return {
      ...entry,
      ...(writeTo !== undefined ? { stats: files.map((f) => f[3]!) } : {}),
      ...(block ? { block } : {}),
      ...(key !== undefined ? { key, ...(lined ? { line: Entries.format(key, entry) } : {}) } : {}),
    };
  };
  /** One runbook from the objects at hand (`objects`, by folder), rendering any of its deployments not among them. */
  const runbook = ({ path, ctx }: RunbookJob, writeTo: string | undefined, objects: Map<string, RunbookObject[]>, applications: ReadonlyMap<string, RunbookApplication>, deployments: ReadonlyMap<string, RenderableDeployment>) => {
    const complete = ctx.deployments.map((x) => ({ ...x, deployment: x.deployment ?? deployments.get(x.folder)! }));
    for (const { folder, deployment } of complete) if (!objects.has(folder)) objects.set(folder, renderDeployment(deployment));
    return keep(path, renderRunbook({ ...ctx, deployments: complete }, objects, applications), writeTo);
  };
  const applicationsFor = ({ jobs, applicationSets }: RunbookBatch) => applicationsOf(applicationSets, jobs.flatMap((j) => j.ctx.deployments.map((x) => x.folder)));
  /** Runbooks whose deployments all have to be rendered again (none of them changed this run). */
  const runbooks = (batch: RunbookBatch, writeTo: string | undefined) => {
    const applications = applicationsFor(batch);
    return batch.jobs.map((job) => runbook(job, writeTo, new Map(), applications, new Map()));
  };
  /**
   * Deployments, and each runbook of the batch as soon as the last of its deployments sent along is rendered, its
   * objects dropped right after: objects live for one service's turn, not a whole chunk's, so they die young, in
   * the scavenger, instead of being copied and promoted. A runbook job whose deployment came with the render jobs
   * arrives without it (found here by folder).
   */
  const renderBatch = (jobs: readonly { deployment: RenderableDeployment; preview: boolean }[], writeTo: string | undefined, batch: RunbookBatch | undefined, keyWith: string | undefined): Rendered => {
    const objects = new Map<string, RunbookObject[]>();
    const sent = new Map(jobs.filter((j) => !j.preview).map((j) => [folderOf(j.deployment), j.deployment]));
    const books = batch?.jobs ?? [];
    const applications = batch && books.length > 0 ? applicationsFor(batch) : new Map<string, RunbookApplication>();
    const written = new Array<RenderedFile>(books.length);
    /** Per folder sent along, the runbooks waiting for it; per runbook, how many of its folders are still to come. */
    const waiting = new Map<string, number[]>();
    const missing = books.map((job, i) => {
      const folders = job.ctx.deployments.filter((x) => sent.has(x.folder));
      for (const { folder } of folders) (waiting.get(folder) ?? waiting.set(folder, []).get(folder)!).push(i);
      return folders.length;
    });
    const write = (i: number) => {
      written[i] = runbook(books[i]!, writeTo, objects, applications, sent);
      for (const { folder } of books[i]!.ctx.deployments) if ((waiting.get(folder) ?? []).every((w) => written[w] !== undefined)) objects.delete(folder);
    };
    const entries = jobs.map((j) => {
      // A preview's objects are never read by a runbook.
      const waiters = j.preview ? undefined : waiting.get(folderOf(j.deployment));
      const entry = render(j.deployment, writeTo, waiters && objects, keyWith);
      for (const i of waiters ?? []) if (--missing[i]! === 0) write(i);
      return entry;
    });
    books.forEach((_, i) => written[i] === undefined && write(i));
    return { entries, runbooks: written, ...(writeTo !== undefined ? { latestNs: latest } : {}) };
  };
  const write = (dir: string, paths: readonly string[]) => {
    const stats = new Map<string, string>();
    for (const path of paths) {
      const content = contents.get(path);
      if (content === undefined) throw new Error(`internal: ${path} was not rendered by this renderer`);
      stats.set(path, writeOne(dir, path, content));
    }
    return stats;
  };
  return {
    workers: 0,
    render: async (jobs, writeTo, batch, keyWith) => renderBatch(jobs, writeTo, batch, keyWith),
    runbooks: async (batch, writeTo) => runbooks(batch, writeTo),
    write: async (dir, paths) => write(dir, paths),
    close: async () => contents.clear(),
    serve: async (m) =>
      m.op === "render" ? renderBatch(m.jobs, m.writeTo, m.runbooks, m.keyWith)
      : m.op === "runbooks" ? runbooks(m.batch, m.writeTo)
      : write(m.dir, m.paths),
  };
}

/**
 * How many worker threads render `jobs` deployments beside this thread: GITOPS_WORKERS when set (0: this thread
 * only), else none below 1,200 jobs or on one core, else one per other core, at most 3. Below that a worker's start,
 * its own warm-up and the hand-over of jobs and results cost more than its share saves (2 cores, from the bundle:
 * 800 jobs 1.40 s alone, 1.49 s with a worker; 2,000 jobs 2.70 s alone, 2.42 s with one).
 */
export function workerCount(jobs: number): number {
  const set = process.env.GITOPS_WORKERS;
  if (set !== undefined && set !== "") {
    const problem = workersProblem(set);
    if (problem) throw new Error(problem);
    return Number(set);
  }
  const cores = Math.min(availableParallelism(), 4);
  return jobs < 1200 ? 0 : cores - 1;
}

/**
 * A renderer of this thread and `workers` worker threads (this thread only when a worker cannot start: the run is
 * then only slower). Deployments are handed out in chunks of whole services to whichever thread is free (kinds
 * differ in cost: a fixed split leaves a core idle at the end), each with its services' runbooks. A worker is kept
 * two chunks ahead, so it never waits for this thread to finish its own.
 */
export async function openRenderer(workers: number, entry = bundledWorker ?? new URL("./render-worker.ts", import.meta.url).href): Promise<Renderer> {
  // The workers start before anything is awaited: nothing after an await here runs until this thread next yields,
  // and the generate calls this just before resolving the estate (0.4 s at S=2000, synchronous), so that the
  // workers load (~0.2 s from the bundle) meanwhile. Created after the first await, they started only once it was
  // resolved, and the render began without them.
  const remotes = Array.from({ length: workers }, () => new Remote(entry));
  let local: Awaited<ReturnType<typeof localRenderer>>;
  try {
    local = await localRenderer();
  } catch (error) {
    await Promise.all(remotes.map((r) => r.close()));
    throw error;
  }
  if (workers === 0) return local;
  if (!(await Promise.all(remotes.map((r) => r.ready))).every(Boolean)) {
    await Promise.all(remotes.map((r) => r.close()));
    return local;
  }
  const members: Member[] = [local, ...remotes];
  const ownerOf = new Map<string, number>();
  /** Which thread holds each file's content, for `write`: none holds what it wrote at once (`writeTo`). */
  const own = (m: number, files: readonly (readonly [string, ...unknown[]])[], writeTo: string | undefined) => {
    if (writeTo === undefined) for (const [path] of files) ownerOf.set(path, m);
  };
  /** Splits `jobs` by member, runs each share, and puts the results back in job order. */
  const byMember = async <J, R>(jobs: readonly J[], at: (job: J, i: number) => number, run: (m: number, share: J[]) => Promise<R[]>): Promise<R[]> => {
    const shares = members.map(() => ({ jobs: [] as J[], index: [] as number[] }));
    jobs.forEach((job, i) => {
      const share = shares[at(job, i)]!;
      share.jobs.push(job);
      share.index.push(i);
    });
    const out = new Array<R>(jobs.length);
    // The workers' shares are sent first: this thread's own share runs to its end once started.
    const order = shares.map((_, m) => m).reverse();
    await Promise.all(order.map(async (m) => shares[m]!.jobs.length > 0 && (await run(m, shares[m]!.jobs)).forEach((r, k) => (out[shares[m]!.index[k]!] = r))));
    return out;
  };
  return {
    workers,
    async render(jobs, writeTo, batch, keyWith) {
      const byService = new Map<string, number[]>();
      jobs.forEach((j, i) => (byService.get(j.deployment.service) ?? byService.set(j.deployment.service, []).get(j.deployment.service)!).push(i));
      const runbookOf = new Map<string, number>();
      batch?.jobs.forEach((j, i) => runbookOf.set(j.ctx.service.name, i));
      const services = [...byService.keys()];
      // The workers' lanes first: this thread's first chunk runs before the next lane starts.
      const lanes = [...remotes.flatMap((_, r) => [r + 1, r + 1]), 0];
      // Chunks shrink towards the end (guided scheduling): no thread is left rendering a long last chunk while the
      // others wait; early on they are at most a twelfth of a lane's share, so no thread holds many objects at once.
      const most = Math.max(1, Math.ceil(services.length / (lanes.length * 12)));
      const chunk = () => Math.min(most, Math.ceil((services.length - taken) / (lanes.length * 4)));
      const entries = new Array<RenderedEntry>(jobs.length);
      const runbooks = new Array<RenderedFile>(batch?.jobs.length ?? 0);
      let latest = 0n;
      let taken = 0;
      await Promise.all(
        lanes.map(async (m) => {
          while (taken < services.length) {
            const mine = services.slice(taken, (taken += chunk()));
            const index = mine.flatMap((service) => byService.get(service)!);
            const books = batch ? mine.flatMap((service) => (runbookOf.has(service) ? [runbookOf.get(service)!] : [])) : [];
            const part = batch && books.length > 0 ? { jobs: books.map((i) => batch.jobs[i]!), applicationSets: batch.applicationSets } : undefined;
            const done = await members[m]!.render(index.map((i) => jobs[i]!), writeTo, part, keyWith);
            done.entries.forEach((e, k) => {
              entries[index[k]!] = e;
              own(m, e.files, writeTo);
            });
            done.runbooks.forEach((f, k) => (runbooks[books[k]!] = f));
            own(m, done.runbooks, writeTo);
            if (done.latestNs !== undefined && done.latestNs > latest) latest = done.latestNs;
            // This thread's chunk resolved without the event loop running: let the workers' replies in.
            if (m === 0) await new Promise(setImmediate);
          }
        }),
      );
      const missing = batch?.jobs.filter((_, i) => runbooks[i] === undefined) ?? [];
      if (missing.length > 0) throw new Error(`internal: the runbooks of ${missing.map((j) => j.ctx.service.name).join(", ")} were given without deployments to render`);
      return { entries, runbooks, ...(writeTo !== undefined ? { latestNs: latest } : {}) };
    },
    async runbooks(batch, writeTo) {
      // No thread holds a runbook's objects (each renders them again), so the runbooks are dealt out in turn.
      const at = (_: RunbookJob, i: number) => i % members.length;
      const files = await byMember(batch.jobs, at, (m, share) => members[m]!.runbooks({ jobs: share, applicationSets: batch.applicationSets }, writeTo));
      files.forEach((f, i) => own(at(batch.jobs[i]!, i), [f], writeTo));
      return files;
    },
    async write(dir, paths) {
      const at = (path: string) => {
        const m = ownerOf.get(path);
        if (m === undefined) throw new Error(`internal: ${path} was not rendered by this renderer`);
        return m;
      };
      const stats = await byMember(paths, at, async (m, share) => [...(await members[m]!.write(dir, share))]);
      return new Map(stats);
    },
    async close() {
      await Promise.all(members.map((r) => r.close()));
    },
  };
}

/**
 * One worker thread running render-worker.ts, as a Renderer. From source, a worker does not inherit its parent's
 * loader hooks, so it registers tsx itself, from the copy this package resolves (any working directory); from the
 * CLI's bundle, it runs the bundled worker (plain JavaScript). `ready` is false when it cannot start.
 */
class Remote implements Member {
  readonly ready: Promise<boolean>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private id = 0;
  private failed: Error | undefined;

  /** `entry`: the worker's module (render-worker.ts). */
  constructor(entry: string) {
    let started: (ok: boolean) => void = () => {};
    this.ready = new Promise((done) => (started = done));
    let tsx: string | undefined;
    try {
      tsx = entry.endsWith(".ts") ? tsxApi() : undefined;
    } catch {
      tsx = "missing"; // no tsx to load TypeScript with: the worker fails at once, and this thread renders alone
    }
    const boot =
      tsx === undefined ? `import(${JSON.stringify(entry)});`
      : tsx === "missing" ? `throw new Error("tsx/esm/api cannot be resolved");`
      : `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    this.worker = new Worker(boot, { eval: true, execArgv: [] });
    this.worker.on("message", (m: { ready: true } | { id: number; ok: boolean; value?: unknown; error?: string }) => {
      if ("ready" in m) return started(true);
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(`render worker: ${m.error}`));
    });
    const fail = (error: Error) => {
      this.failed = error;
      started(false);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`render worker exited with code ${code}`)));
  }

  async render(jobs: readonly RenderJob[], writeTo?: string, batch?: RunbookBatch, keyWith?: string): Promise<Rendered> {
    // A runbook's deployments that go with the render jobs are not sent twice.
    const sent = new Set(jobs.filter((j) => !j.preview).map((j) => j.folder));
    const slim = batch && { ...batch, jobs: batch.jobs.map((j) => ({ ...j, ctx: { ...j.ctx, deployments: j.ctx.deployments.map((x) => ({ ...x, deployment: sent.has(x.folder) ? (undefined as never) : renderable(x.deployment) })) } })) };
    const message: Wire = {
      op: "render",
      jobs: jobs.map((j) => ({ deployment: renderable(j.deployment), preview: j.preview })),
      ...(writeTo ? { writeTo } : {}),
      ...(slim ? { runbooks: slim } : {}),
      ...(keyWith !== undefined ? { keyWith } : {}),
    };
    return (await this.call(message)) as Rendered;
  }

  async runbooks(batch: RunbookBatch, writeTo?: string): Promise<RenderedFile[]> {
    return (await this.call({ op: "runbooks", batch, ...(writeTo ? { writeTo } : {}) })) as RenderedFile[];
  }

  async write(dir: string, paths: readonly string[]): Promise<Map<string, string>> {
    return (await this.call({ op: "write", dir, paths: [...paths] })) as Map<string, string>;
  }

  private call(message: Wire): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.id++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, message });
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }
}
