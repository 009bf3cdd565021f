/** The few git reads the CLI needs, without a shell: arguments are passed as a list, never interpolated. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTree } from "@gitops/generator";
import { EXIT, ExitError } from "./exit-codes.ts";

const git = (root: string, args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });

export function revParse(root: string, ref: string): string | undefined {
  try {
    return git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim();
  } catch {
    return undefined;
  }
}

/** The default base for a preview: where this branch left main (or origin/main), else HEAD. */
export function defaultBase(root: string): string {
  for (const main of ["origin/main", "main"]) {
    if (!revParse(root, main)) continue;
    try {
      return git(root, ["merge-base", "HEAD", main]).trim();
    } catch {
      /* unrelated histories: fall through */
    }
  }
  return "HEAD";
}

/** The generated/ tree committed at `ref`, as path (relative to generated/) → content. */
export function committedTree(root: string, ref: string): Map<string, string> {
  const commit = revParse(root, ref);
  if (!commit) throw new ExitError(`"${ref}" is not a commit in this repository — pass --base with a branch, tag or sha`, EXIT.usage);
  const listed = git(root, ["ls-tree", "-r", "--name-only", commit, "--", "generated"]).trim();
  if (!listed) return new Map();
  const dir = mkdtempSync(join(tmpdir(), "gitops-base-"));
  try {
    const tar = execFileSync("git", ["archive", "--format=tar", commit, "generated"], { cwd: root, maxBuffer: 1 << 30 });
    execFileSync("tar", ["-x", "-C", dir], { input: tar });
    return readTree(join(dir, "generated"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The checked-out branch, or undefined when HEAD is detached or `root` is not a git work tree. */
export function currentBranch(root: string): string | undefined {
  try {
    const branch = git(root, ["symbolic-ref", "--quiet", "--short", "HEAD"]).trim();
    return branch === "" ? undefined : branch;
  } catch {
    return undefined;
  }
}
