/**
 * The config cache (load.ts `reuse`): a file's earlier value stands only while every file its evaluation read is
 * unchanged, through imports of other repository files; everything else is evaluated again, and what was reused is
 * exactly what evaluating would give, with what its schema made of it in that run.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estate as fixtureEstate } from "../../../test/support/estate.ts";
import { hashText } from "../src/cache.ts";
import { load, type Evaluated } from "../src/load.ts";

/** A temp root holding the minimal fixture estate (test/support/estate.ts), removed after the file's last test. */
const estate = () => fixtureEstate("minimal");

const hashOf = (root: string) => (path: string) => {
  try {
    return hashText(readFileSync(join(root, path)));
  } catch {
    return undefined;
  }
};
const valueOf = (loaded: Awaited<ReturnType<typeof load>>, file: string) =>
  [...loaded.sources!.environments, ...loaded.sources!.services, loaded.sources!.estate].find((s) => s.file === file)?.value;

describe("the config cache", () => {
  it("records every file with what it read, and reuses a value only while those files are unchanged", async () => {
    const root = estate();
    mkdirSync(join(root, "shared"));
    writeFileSync(join(root, "shared/team.ts"), `export const team = "payments";\n`);
    const api = "services/api/service.ts";
    writeFileSync(join(root, api), `import { team } from "../../shared/team.ts";\n${readFileSync(join(root, api), "utf8").replace(/team: "[^"]+"/, "team")}`);
    const first = await load(root, { hashOf: hashOf(root) });
    expect(first.problems).toEqual([]);
    expect(first.evaluated!.get(api)!.inputs.map(([path]) => path)).toEqual(["services/api/service.ts", "shared/team.ts"]);
    expect(first.evaluated!.size).toBe(1 + first.sources!.environments.length + first.sources!.services.length);

    // A marked copy of the earlier values: whatever comes back marked was reused, not evaluated.
    const marked = new Map<string, Evaluated>([...first.evaluated!].map(([file, e]) => [file, { ...e, value: { ...(e.value as object), description: `reused ${file}` } }]));
    const again = await load(root, { hashOf: hashOf(root), reuse: marked });
    for (const file of marked.keys()) expect((valueOf(again, file) as { description?: string }).description).toBe(`reused ${file}`);

    // The imported file changes: the file importing it is evaluated again (and picks the change up); the rest stay.
    writeFileSync(join(root, "shared/team.ts"), `export const team = "billing";\n`);
    const edited = await load(root, { hashOf: hashOf(root), reuse: marked });
    expect((valueOf(edited, api) as { team: string; description?: string }).team).toBe("billing");
    expect((valueOf(edited, api) as { description?: string }).description).not.toBe(`reused ${api}`);
    const others = [...marked.keys()].filter((f) => f !== api);
    for (const file of others) expect((valueOf(edited, file) as { description?: string }).description).toBe(`reused ${file}`);
    // What the next run may reuse is recorded for every file, the re-evaluated one with its new hashes.
    expect(edited.evaluated!.get(api)!.inputs).toEqual([
      ["services/api/service.ts", hashOf(root)("services/api/service.ts")],
      ["shared/team.ts", hashOf(root)("shared/team.ts")],
    ]);
    // The bundle's inputs still name every repository file the config read, for the no-op fingerprint.
    expect(edited.inputs).toEqual(expect.arrayContaining(["shared/team.ts", ...others]));

    // A reused value comes with its parsed value (model resolve does not parse it again); one evaluated again does not.
    const withParsed = new Map([...marked].map(([file, e]) => [file, { ...e, parsed: { parsedOf: file } }]));
    writeFileSync(join(root, "shared/team.ts"), `export const team = "ledger";\n`);
    const parsedRun = await load(root, { hashOf: hashOf(root), reuse: withParsed });
    const sources = [...parsedRun.sources!.environments, ...parsedRun.sources!.services, parsedRun.sources!.estate];
    expect(sources.find((s) => s.file === api)!.parsed).toBeUndefined();
    for (const file of others) expect(sources.find((s) => s.file === file)!.parsed).toEqual({ parsedOf: file });
  });

  it("evaluates everything when given no hashes, and records nothing", async () => {
    const root = estate();
    const loaded = await load(root);
    expect(loaded.problems).toEqual([]);
    expect(loaded.evaluated).toBeUndefined();
  });
});

describe("the config bundle", () => {
  it("takes @gitops/model from this process, and names only the repository's files among its inputs", async () => {
    const root = estate();
    const loaded = await load(root, { hashOf: hashOf(root) });
    expect(loaded.problems).toEqual([]);
    // The model's helpers are this process's own: what the config made with them is plain data.
    expect(valueOf(loaded, "services/api/service.ts")).toMatchObject({ name: "api", kind: "http" });
    expect(loaded.inputs!.length).toBeGreaterThan(0);
    for (const input of loaded.inputs!) expect(input, "a file under the estate, not the model or the host module").toMatch(/^(environments|services)\//);
  });
});
