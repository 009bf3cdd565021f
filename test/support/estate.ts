/**
 * Throwaway estates for the proof tests. A temp root (under os.tmpdir) gets a `node_modules` symlink to the
 * repository's, so the copied config files resolve `@gitops/model` exactly as they do in the repository, and a
 * `pnpm-workspace.yaml`, so the CLI treats the temp root as the repository root. Nothing here writes into the
 * repository, and nothing depends on the repository's generated/ being current.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";
import { BIN, NODE_FLAGS } from "../../scripts/lib/command.ts";

export const REPO = resolve(import.meta.dirname, "../..");
export const FIXTURES = join(REPO, "test/fixtures");

// Registered while the importing test file is collected: runs after all of that file's tests. (Not per test:
// onTestFinished cannot tell concurrent tests apart, and would remove one test's root under another.)
const made = new Set<string>();
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
});

/** An empty temp root that resolves @gitops/* packages, removed after the test file's last test. */
export function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "gitops-proof-"));
  made.add(root);
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  return root;
}

/**
 * A temp root holding the given layers, copied in order: `minimal` (the valid fixture estate) first, then
 * variants that add or replace files (test/fixtures/<name>/environments/…, services/…). The layer `repo` is
 * the repository's own environments/ and services/.
 */
export function estate(...layers: string[]): string {
  const root = tempRoot();
  overlay(root, ...layers);
  return root;
}

/** Copies each layer's environments/ and services/ over what `root` holds. */
export function overlay(root: string, ...layers: string[]): void {
  for (const layer of layers) {
    const from = layer === "repo" ? REPO : join(FIXTURES, layer);
    if (!existsSync(from)) throw new Error(`no fixture ${layer}`);
    for (const dir of ["environments", "services"])
      if (existsSync(join(from, dir))) cpSync(join(from, dir), join(root, dir), { recursive: true });
  }
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Spawns the real CLI in `root` as `pnpm gitops …` runs it (package.json's script: node's flags, then the launcher,
 * which runs the bundle). With `timeout` (ms), a run still going by then is killed and the promise rejects.
 */
export function gitops(root: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, options: { timeout?: number } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = execFile(
      process.execPath,
      [...NODE_FLAGS, BIN, ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 64 << 20, timeout: options.timeout ?? 0, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const code = child.exitCode ?? (error && typeof error.code === "number" ? error.code : undefined);
        if (code === undefined || code === null) fail(error ?? new Error("no exit code"));
        else done({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Every file the generator may write in `root` (generated/, the scratch folders of both write paths, .github/),
 * path → bytes.
 * Used to prove that a run wrote nothing, or that two runs wrote the same bytes.
 */
export function outputs(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else out.set(path, readFileSync(join(root, path)));
    }
  };
  for (const dir of ["generated", ".generated.staging", ".generated.previous", ".generated.journal", ".generated.patching", ".github"]) if (existsSync(join(root, dir))) walk(dir);
  return out;
}

/** Text of a file under root. */
export const read = (root: string, path: string) => readFileSync(join(root, path), "utf8");
