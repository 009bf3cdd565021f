/** README.md's Commands table and the CLI's command list must not drift apart. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commands } from "../src/commands/index.ts";
import { REPO } from "./helpers.ts";

describe("README.md's Commands table", () => {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Commands"), readme.indexOf("\n## ", readme.indexOf("## Commands") + 1));
  const rows = section.split("\n").filter((l) => l.startsWith("| `pnpm "));

  it("has a row for every command the CLI registers", () => {
    // `generate` and `check` are also root scripts (`pnpm generate`, `pnpm check`); the rest run as `pnpm gitops <name>`.
    const named = new Set(rows.flatMap((r) => [...r.matchAll(/`pnpm (?:gitops )?([a-z][\w-]*)/g)].map((m) => m[1]!)));
    for (const c of commands) expect(named, `README.md has no Commands row for \`${c.name}\``).toContain(c.name);
  });

  it("names only commands that exist", () => {
    const gitops = new Set(rows.flatMap((r) => [...r.matchAll(/`pnpm gitops ([a-z][\w-]*)/g)].map((m) => m[1]!)));
    for (const name of gitops) expect(commands.map((c) => c.name), `pnpm gitops ${name}`).toContain(name);
  });
});
