/** A throwaway copy of the repository's config, where commands can write freely. */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/main.ts";

export const REPO = resolve(import.meta.dirname, "../../..");

/** Copies environments/ and services/ (and optionally generated/) into a temp root that resolves @gitops/* packages. */
export function tempEstate(options: { git?: boolean } = {}): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), "gitops-cli-"));
  for (const dir of ["environments", "services"]) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  writeFileSync(join(root, ".gitignore"), "node_modules\n");
  if (options.git) {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "ignore" });
    git("init", "-q", "-b", "main");
    git("config", "user.email", "test@example.com");
    git("config", "user.name", "test");
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function commit(root: string, message: string): void {
  execFileSync("git", ["add", "-A"], { cwd: root });
  execFileSync("git", ["commit", "-q", "-m", message], { cwd: root });
}

/** Runs the CLI in-process; returns the exit code and what it printed. */
export async function cli(root: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, root, (l) => (stdout += `${l}\n`), (l) => (stderr += `${l}\n`));
  return { code, stdout, stderr };
}
