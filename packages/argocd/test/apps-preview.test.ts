/** `pnpm gitops apps --pr N` through the real CLI: a pull request's preview Applications, expanded offline. */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estate, gitops } from "../../../test/support/estate.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
type Preview = { name: string; project: string; cluster: string; destination: { server: string; namespace: string }; path: string; revision: string; changed: boolean | null; application: { spec: { source: { kustomize: { namespace: string } } }; metadata: { labels: Record<string, string> } } };
type Report = { pullRequest: { number: number; headSha: string; branch: string; labels: string[] }; base?: string; applications: Preview[]; findings: unknown[] };

describe("gitops apps --pr", () => {
  it("--json lists the pull request's preview Applications: pr-<number>-<service>, at its head, in nonprod, with no findings", async () => {
    const run = await gitops(estate("repo"), ["apps", "--pr", "123", "--sha", SHA, "--branch", "feature/faster-checkout", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.pullRequest).toEqual({ number: 123, headSha: SHA, branch: "feature/faster-checkout", labels: ["preview"] });
    expect(report.findings).toEqual([]);
    expect(report.applications.map((a) => a.name)).toEqual(["accounts", "email-worker", "nightly-reports", "payments", "public-api", "search-experiment", "web-frontend"].map((s) => `pr-123-${s}`));
    for (const a of report.applications) {
      const service = a.name.slice("pr-123-".length);
      expect([a.project, a.cluster, a.destination, a.path, a.revision]).toEqual(["nonprod-preview", "nonprod", { server: "https://nonprod.k8s.acme.dev", namespace: a.name }, `generated/nonprod/preview/${service}`, SHA]);
      expect(a.application.spec.source.kustomize.namespace).toBe(a.name);
      expect(a.application.metadata.labels["gitops.dev/pull-request"]).toBe("123");
      // Not a git work tree: nothing to say what the pull request changes.
      expect(a.changed).toBeNull();
    }
    expect(report.base).toBeUndefined();
  });

  it("prints a table for people, and keeps previews out of the estate's listing", async () => {
    const root = estate("repo");
    const run = await gitops(root, ["apps", "--pr", "7", "--sha", SHA]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toBe(`Pull request #7 (branch pr-7, head ${SHA.slice(0, 12)}), once labelled preview:`);
    expect(lines[1]).toMatch(/^NAME\s+PROJECT\s+CLUSTER\s+NAMESPACE\s+PATH\s+REVISION$/);
    expect(run.stdout).toMatch(/^pr-7-payments\s+nonprod-preview\s+nonprod\s+pr-7-payments\s+generated\/nonprod\/preview\/payments\s+0123456789ab$/m);
    expect(lines.at(-1)).toMatch(/^7 preview applications for pr-7, each syncing on its own; they and everything they deployed are deleted when the pull request closes or loses the label\.$/);
    const all = await gitops(root, ["apps"]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).not.toMatch(/^pr-/m);
    expect(all.stdout.trim().split("\n").at(-1)).toMatch(/ 7 more for each open pull request labelled preview \(gitops apps --pr NUMBER\)\.$/);
  });

  it("refuses what does not describe a pull request, with exit 64", async () => {
    const root = estate("minimal");
    for (const args of [["--pr", "0", "--sha", SHA], ["--pr", "12a", "--sha", SHA], ["--sha", SHA], ["--branch", "x"], ["--pr", "5", "--sha", "HEAD"], ["--pr", "5", "--sha", SHA, "--branch", "fix/café"]]) {
      const run = await gitops(root, ["apps", ...args]);
      expect(run.code, `${args.join(" ")}: ${run.stdout}${run.stderr}`).toBe(64);
    }
    // Outside a git work tree the head commit must be given.
    const run = await gitops(root, ["apps", "--pr", "5"]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/--sha/);
  });

  it("in a git work tree: the head and branch from git, and which previews the pull request changes against where it left main", async () => {
    const root = estate("repo");
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.test", "-c", "user.name=t", "-c", "commit.gpgsign=false", ...args], { cwd: root, encoding: "utf8" }).trim();
    writeFileSync(join(root, ".gitignore"), "node_modules\n.generated.cache/\n");
    git("init", "-q", "-b", "main");
    expect((await gitops(root, ["generate"])).code).toBe(0);
    git("add", "-A");
    git("commit", "-q", "-m", "estate");
    git("checkout", "-q", "-b", "feature/payments-1.9");
    const file = join(root, "services/payments/service.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace('version: "1.8.3"', 'version: "1.9.0"'));
    const run = await gitops(root, ["apps", "--pr", "42", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.pullRequest).toMatchObject({ number: 42, headSha: git("rev-parse", "HEAD"), branch: "feature/payments-1.9" });
    expect(report.base).toBe(git("rev-parse", "main"));
    // ArgoCD deploys every preview; only the changed service's differs from what main renders.
    expect(report.applications.filter((a) => a.changed).map((a) => a.name)).toEqual(["pr-42-payments"]);
    expect(report.applications.filter((a) => a.changed === false)).toHaveLength(report.applications.length - 1);
    const text = await gitops(root, ["apps", "--pr", "42"]);
    expect(text.stdout).toMatch(/^pr-42-payments\s.*\syes$/m);
    expect(text.stdout).toMatch(/^pr-42-accounts\s.*\sno$/m);
    expect(text.stdout.trim().split("\n").at(-1)).toMatch(/ 1 of them differs from [0-9a-f]{12}: what this pull request changes\.$/);
  });
});
