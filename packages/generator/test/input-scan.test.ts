/**
 * The input scan (cache.ts `scanInputs`): every input read and hashed as reading it directly would, and which
 * inputs are regular files in real folders (the loader asks no real path of those, and refuses the rest).
 */
import { readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estate as fixtureEstate } from "../../../test/support/estate.ts";
import { generate } from "../src/generate.ts";
import { hashText, scanInputs } from "../src/cache.ts";

const estate = () => fixtureEstate("minimal");

/** Every input file's content hash, read directly (links followed; undefined: unreadable), in path order. */
function direct(root: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const walk = (dir: string) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(path);
      else
        try {
          out.set(path, hashText(readFileSync(join(root, path))));
        } catch {
          out.set(path, undefined);
        }
    }
  };
  walk("environments");
  walk("services");
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe("input scan", () => {
  it("hashes every input as reading it would, and says which are regular files in real folders", () => {
    const root = estate();
    symlinkSync(join(root, "services/api"), join(root, "services/api-link"));
    writeFileSync(join(root, "services/job/extra.ts"), "export const x = 1;\n");
    symlinkSync(join(root, "services/job/extra.ts"), join(root, "services/job/alias.ts"));
    const scan = scanInputs(root, []);
    const expected = direct(root);
    // The linked folder is one entry (a link is not walked), a file that cannot be read.
    expect([...scan.hashes.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, hash] of expected) expect(scan.hashes.get(path), path).toBe(hash);
    expect(scan.hashes.has("services/api-link")).toBe(true);
    expect(scan.hashes.get("services/api-link")).toBeUndefined();
    expect(scan.regular.has("services/api/service.ts")).toBe(true);
    expect(scan.regular.has("services/job/alias.ts")).toBe(false);
    expect(scan.regular.has("services/api-link")).toBe(false);
    expect(scanInputs(root, []).fingerprint).toBe(scan.fingerprint);
    // A top folder that is a link is still listed (its config is refused by the loader), and holds nothing regular.
    renameSync(join(root, "services"), join(root, "services-real"));
    symlinkSync("services-real", join(root, "services"));
    const linked = scanInputs(root, []);
    expect([...linked.hashes.keys()]).toEqual([...scan.hashes.keys()]);
    expect([...linked.regular].filter((p) => p.startsWith("services/"))).toEqual([]);
    expect([...linked.regular].filter((p) => p.startsWith("environments/")).length).toBeGreaterThan(0);
  });

  it("lets generate refuse a service reached through a link, and load the rest", async () => {
    const root = estate();
    symlinkSync(join(root, "services/api"), join(root, "services/api-two"));
    const result = await generate(root);
    expect(result.kind).toBe("invalid");
    if (result.kind !== "invalid") return;
    expect(result.problems.map((p) => `${p.file}: ${p.message}`).join("\n")).toMatch(/^services\/api-two\/service\.ts: is a symbolic link/m);
    expect(result.problems.every((p) => p.file === "services/api-two/service.ts")).toBe(true);
  });
});
