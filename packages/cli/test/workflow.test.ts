import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { commands } from "../src/commands/index.ts";
import { REPO } from "./helpers.ts";

describe("the GitHub Actions workflow", () => {
  const workflow = parse(readFileSync(join(REPO, ".github/workflows/gitops.yml"), "utf8")) as {
    on: Record<string, unknown>;
    jobs: Record<string, { steps: { run?: string; uses?: string }[] }>;
  };
  const scripts = Object.keys((JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
  const runs = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? "")).join("\n");

  it("runs on pull requests and pushes to main", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request", "push"]);
  });

  it("only calls pnpm scripts and gitops commands that exist", () => {
    const calls = [...runs.matchAll(/pnpm (?:-s )?([a-z][\w:-]*)(?: ([a-z][\w-]*))?/g)];
    expect(calls.length).toBeGreaterThan(4);
    const builtins = new Set(["install", "audit", "changeset"]);
    for (const [, script, sub] of calls) {
      if (builtins.has(script!)) continue;
      expect(scripts, `pnpm ${script}`).toContain(script);
      if (script === "gitops") expect(commands.map((c) => c.name), `gitops ${sub}`).toContain(sub);
    }
  });

  it("installs with the lockfile frozen and runs the gate, the tests and the preview", () => {
    expect(runs).toContain("pnpm install --frozen-lockfile");
    expect(runs).toMatch(/pnpm check\b/);
    expect(runs).toMatch(/pnpm test\b/);
    expect(runs).toContain("gitops diff --base origin/${{ github.base_ref }} --format markdown");
  });
});
