/**
 * Templates load precompiled from node_modules/.cache/gitops-templates/ (render.ts `precompiled`): the same text
 * as compiling them, whether the cache is empty, filled, or holds something that does not evaluate.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { describe, expect, it, vi } from "vitest";

const CACHE = fileURLToPath(new URL("../../../node_modules/.cache/gitops-templates/", import.meta.url));
const SOURCE = readFileSync(new URL("../templates/service-readme.md.hbs", import.meta.url), "utf8");
const DATA = { name: "api", kind: "http", team: "core", costCenter: "cc-1", description: "An <API> & more.", image: "core/api", registry: "registry.example.dev" };

/** renderTemplate from a fresh module: nothing compiled in this process yet. */
async function fresh() {
  vi.resetModules();
  return (await import("../src/render.ts")).renderTemplate;
}

/** The cache file of the service README template (the one whose content is that template's precompiled code). */
const cached = () => readdirSync(CACHE).filter((f) => f.endsWith(".js")).find((f) => readFileSync(CACHE + f, "utf8") === String(Handlebars.precompile(SOURCE, { noEscape: true, strict: true, knownHelpers: { json: true, eq: true, join: true, upper: true }, knownHelpersOnly: true, data: false })));

describe("renderTemplate", () => {
  // Compiled as render.ts compiles, by Handlebars itself: nothing is HTML-escaped.
  const expected = Handlebars.compile(SOURCE, { noEscape: true, strict: true })(DATA);

  it("renders what compiling the template renders, and keeps its precompiled code for the next process", async () => {
    expect(expected).toContain("An <API> & more.");
    const file = cached();
    if (file) rmSync(CACHE + file);
    expect((await fresh())("service-readme.md", DATA)).toBe(expected);
    expect(cached(), "precompiled code kept").toBeDefined();
    expect((await fresh())("service-readme.md", DATA)).toBe(expected);
  });

  it("compiles around a cached file that does not evaluate, and replaces it", async () => {
    await (await fresh())("service-readme.md", DATA);
    const file = cached()!;
    writeFileSync(CACHE + file, "{ not a template");
    expect((await fresh())("service-readme.md", DATA)).toBe(expected);
    expect(cached()).toBe(file);
  });
});
