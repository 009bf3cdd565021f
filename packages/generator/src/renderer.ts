/**
 * Rendering for the incremental generate, in this thread or on worker threads (both cores: rendering a deployment
 * is pure, and it is most of a full generate's time). A renderer renders deployments to files, keeps their content
 * and objects, renders runbooks from those objects, and writes the content it holds into the staging tree, so file
 * contents never cross between threads: the main thread plans the tree from hashes, the renderers write it.
 *
 * The output does not depend on how many threads render: each deployment's files come from the same pure render,
 * and results come back in job order. Deployments cross to a worker as the bytes the render key already hashed
 * (v8.serialize, structured clone's format), so they are serialized once.
 */
import { lstatSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { deserialize } from "node:v8";
import { Worker } from "node:worker_threads";
import type { RunbookApplication, RunbookContext, RunbookObject } from "@gitops/docs";
import type { ResolvedDeployment } from "@gitops/model";
import { hashText } from "./cache.ts";
import { statText } from "./snapshot.ts";

/** One deployment to render, with its v8 serialization; a preview's folder also gets its kustomization (read from its objects). */
export interface RenderJob {
  readonly deployment: ResolvedDeployment;
  readonly serialized: Uint8Array;
  readonly folder: string;
  readonly preview: boolean;
}

/** What a render leaves in the cache: [path, content hash, size] per file, [file, apiVersion, kind, name, namespace] per object. */
export interface RenderedEntry {
  readonly files: readonly (readonly [string, string, number])[];
  readonly objects: readonly (readonly [string, string, string, string, string])[];
}

/** One runbook to render, with the Applications that sync its folders. */
export interface RunbookJob {
  readonly path: string;
  readonly ctx: RunbookContext;
  readonly applications: readonly RunbookApplication[];
}

export interface Renderer {
  /** Renders each job; entries in job order. The renderer keeps the files' content and the objects. */
  render(jobs: readonly RenderJob[]): Promise<RenderedEntry[]>;
  /** Renders each runbook from the objects rendered here (rendering again those it does not hold); [path, hash, size] in job order. */
  runbooks(jobs: readonly RunbookJob[]): Promise<(readonly [string, string, number])[]>;
  /** Writes the held content of `paths` under `dir` (their parent folders exist): path → stat text, as snapshot.ts writes it. */
  write(dir: string, paths: readonly string[]): Promise<Map<string, string>>;
  close(): Promise<void>;
}

type Wire = { op: "render"; jobs: { serialized: Uint8Array; preview: boolean }[] } | { op: "runbooks"; jobs: RunbookJob[] } | { op: "write"; dir: string; paths: string[] };

/** Renders in this thread: a worker's body, and the renderer of small runs (a worker takes ~0.8 s to start). */
export async function localRenderer(): Promise<Renderer & { serve(message: Wire): Promise<unknown> }> {
  const [{ kustomizations, renderDeployment, folderOf }, { toYaml }, { renderRunbook }] = await Promise.all([import("./render.ts"), import("./serialize.ts"), import("./runbooks.ts")]);
  const contents = new Map<string, string>();
  const objects = new Map<string, RunbookObject[]>();
  /** The deployments rendered here by folder: a worker's runbook jobs leave them out (see openRenderer). */
  const rendered = new Map<string, ResolvedDeployment>();
  const keep = (path: string, content: string): readonly [string, string, number] => {
    contents.set(path, content);
    return [path, hashText(content), Buffer.byteLength(content)];
  };
  const render = (deployment: ResolvedDeployment, preview: boolean): RenderedEntry => {
    const all = renderDeployment(deployment);
    const folder = folderOf(deployment);
    objects.set(folder, all);
    rendered.set(folder, deployment);
    const files = all.map((o) => keep(o.file, toYaml(o.object, o.sources)));
    if (preview) for (const [path, content] of kustomizations(all)) files.push(keep(path, content));
    const identities = all.map((o): [string, string, string, string, string] => {
      const meta = (o.object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
      return [o.file, String(o.object.apiVersion), String(o.object.kind), String(meta.name ?? ""), String(meta.namespace ?? "")];
    });
    return { files, objects: identities };
  };
  const runbook = ({ path, ctx, applications }: RunbookJob) => {
    const deployments = ctx.deployments.map((x) => ({ ...x, deployment: x.deployment ?? rendered.get(x.folder)! }));
    for (const { folder, deployment } of deployments) if (!objects.has(folder)) objects.set(folder, renderDeployment(deployment));
    return keep(path, renderRunbook({ ...ctx, deployments }, objects, new Map(applications.map((a) => [a.folder, a]))));
  };
  const write = (dir: string, paths: readonly string[]) => {
    const stats = new Map<string, string>();
    for (const path of paths) {
      const content = contents.get(path);
      if (content === undefined) throw new Error(`internal: ${path} was not rendered by this renderer`);
      const full = join(dir, path);
      writeFileSync(full, content);
      stats.set(path, statText(lstatSync(full, { bigint: true })));
    }
    return stats;
  };
  return {
    render: async (jobs) => jobs.map((j) => render(j.deployment, j.preview)),
    runbooks: async (jobs) => jobs.map(runbook),
    write: async (dir, paths) => write(dir, paths),
    close: async () => {
      contents.clear();
      objects.clear();
      rendered.clear();
    },
    serve: async (m) =>
      m.op === "render" ? m.jobs.map((j) => render(deserialize(j.serialized) as ResolvedDeployment, j.preview))
      : m.op === "runbooks" ? m.jobs.map(runbook)
      : write(m.dir, m.paths),
  };
}

/**
 * How many worker threads render `jobs` deployments: GITOPS_WORKERS when set (0: this thread), else none below
 * 400 jobs (starting workers costs more than they save) or on one core, else one per core, at most 4.
 */
export function workerCount(jobs: number): number {
  const set = process.env.GITOPS_WORKERS;
  if (set !== undefined && set !== "") {
    const n = Number(set);
    if (!Number.isInteger(n) || n < 0) throw new Error(`GITOPS_WORKERS must be a whole number ≥ 0, not ${JSON.stringify(set)}`);
    return n;
  }
  const cores = Math.min(availableParallelism(), 4);
  return cores < 2 || jobs < 400 ? 0 : cores;
}

/**
 * A renderer of `workers` threads, or of this thread when 0 or when a worker cannot start (then the run is only
 * slower). Jobs are spread by service, so that a service's runbook is rendered where its deployments were.
 */
export async function openRenderer(workers: number): Promise<Renderer> {
  if (workers === 0) return localRenderer();
  const pool = Array.from({ length: workers }, () => new Remote());
  if (!(await Promise.all(pool.map((r) => r.ready))).every(Boolean)) {
    await Promise.all(pool.map((r) => r.close()));
    return localRenderer();
  }
  const workerOf = new Map<string, number>();
  const ownerOf = new Map<string, number>();
  const renderedBy = new Map<string, number>();
  let next = 0;
  const place = (service: string) => workerOf.get(service) ?? workerOf.set(service, next++ % workers).get(service)!;
  /** Sends each worker its share of `jobs` in one message; results back in job order. */
  const spread = async <J, R>(jobs: readonly J[], at: (job: J) => number, message: (share: J[], w: number) => Wire): Promise<R[]> => {
    const shares = pool.map(() => ({ jobs: [] as J[], index: [] as number[] }));
    jobs.forEach((job, i) => {
      const share = shares[at(job)]!;
      share.jobs.push(job);
      share.index.push(i);
    });
    const out = new Array<R>(jobs.length);
    await Promise.all(
      shares.map(async (share, w) => {
        if (share.jobs.length === 0) return;
        const results = (await pool[w]!.call(message(share.jobs, w))) as R[];
        results.forEach((r, k) => (out[share.index[k]!] = r));
      }),
    );
    return out;
  };
  const own = (w: number, files: readonly (readonly [string, string, number])[]) => {
    for (const [path] of files) ownerOf.set(path, w);
  };
  return {
    async render(jobs) {
      // Handed out in chunks of whole services to whichever worker is free (kinds differ in cost, so a fixed split
      // leaves one core idle at the end); a service stays with the worker that rendered it.
      const byService = new Map<string, number[]>();
      jobs.forEach((j, i) => (byService.get(j.deployment.service) ?? byService.set(j.deployment.service, []).get(j.deployment.service)!).push(i));
      const services = [...byService.keys()];
      const chunk = Math.max(1, Math.ceil(services.length / (workers * 8)));
      const out = new Array<RenderedEntry>(jobs.length);
      let taken = 0;
      await Promise.all(
        pool.map(async (remote, w) => {
          while (taken < services.length) {
            const mine = services.slice(taken, (taken += chunk));
            const index = mine.flatMap((service) => byService.get(service)!);
            for (const service of mine) workerOf.set(service, w);
            const entries = (await remote.call({ op: "render", jobs: index.map((i) => ({ serialized: jobs[i]!.serialized, preview: jobs[i]!.preview })) })) as RenderedEntry[];
            entries.forEach((e, k) => {
              out[index[k]!] = e;
              own(w, e.files);
              renderedBy.set(jobs[index[k]!]!.folder, w);
            });
          }
        }),
      );
      return out;
    },
    async runbooks(jobs) {
      // A deployment the worker rendered is left out of the message: it has it already.
      const files = await spread<RunbookJob, readonly [string, string, number]>(
        jobs,
        (j) => place(j.ctx.service.name),
        (share, w) => ({
          op: "runbooks",
          jobs: share.map((j) => ({ ...j, ctx: { ...j.ctx, deployments: j.ctx.deployments.map((x) => (renderedBy.get(x.folder) === w ? { ...x, deployment: undefined as never } : x)) } })),
        }),
      );
      files.forEach((f, i) => own(place(jobs[i]!.ctx.service.name), [f]));
      return files;
    },
    async write(dir, paths) {
      const shares = pool.map(() => [] as string[]);
      for (const path of paths) {
        const w = ownerOf.get(path);
        if (w === undefined) throw new Error(`internal: ${path} was not rendered by this renderer`);
        shares[w]!.push(path);
      }
      const stats = await Promise.all(shares.map((share, w) => (share.length ? (pool[w]!.call({ op: "write", dir, paths: share }) as Promise<Map<string, string>>) : new Map<string, string>())));
      return new Map(stats.flatMap((m) => [...m]));
    },
    async close() {
      await Promise.all(pool.map((r) => r.close()));
    },
  };
}

/** The URL of tsx's ESM API (`tsx/esm/api`, import condition) as this package resolves it (import.meta.resolve is missing under vitest). */
function tsxApi(): string {
  const manifest = createRequire(import.meta.url).resolve("tsx/package.json");
  const exports = (JSON.parse(readFileSync(manifest, "utf8")) as { exports: Record<string, { import: { default: string } }> }).exports;
  return pathToFileURL(join(dirname(manifest), exports["./esm/api"]!.import.default)).href;
}

/**
 * One worker thread running render-worker.ts. A worker does not inherit its parent's loader hooks, so it registers
 * tsx itself, from the copy this package resolves (any working directory). `ready` is false when it cannot start.
 */
class Remote {
  readonly ready: Promise<boolean>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private id = 0;
  private failed: Error | undefined;

  constructor() {
    let started: (ok: boolean) => void = () => {};
    this.ready = new Promise((done) => (started = done));
    const entry = new URL("./render-worker.ts", import.meta.url).href;
    const boot = `import(${JSON.stringify(tsxApi())}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
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

  call(message: Wire): Promise<unknown> {
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
