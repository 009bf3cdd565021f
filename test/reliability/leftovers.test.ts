/**
 * What a killed run can leave behind besides the tree swap: `.github/CODEOWNERS` is written beside generated/ via a
 * temp file and a rename, so a kill between the two leaves `.github/CODEOWNERS.tmp`. The next run removes it, even
 * when CODEOWNERS itself is already current (nothing else would ever write that path again).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "@gitops/generator";
import { estate } from "../support/estate.ts";

describe("leftovers of a killed run", () => {
  it("a stray .github/CODEOWNERS.tmp is removed by the next run, with CODEOWNERS current or not", async () => {
    const root = estate("minimal");
    expect((await generate(root)).kind).toBe("ok");
    mkdirSync(join(root, ".github"), { recursive: true });
    writeFileSync(join(root, ".github/CODEOWNERS.tmp"), "half-written");
    mkdirSync(join(root, ".generated.staging/x"), { recursive: true });
    expect((await generate(root)).kind).toBe("ok");
    expect(existsSync(join(root, ".github/CODEOWNERS.tmp"))).toBe(false);
    expect(existsSync(join(root, ".generated.staging"))).toBe(false);
    expect(existsSync(join(root, ".github/CODEOWNERS"))).toBe(true);
  });
});
