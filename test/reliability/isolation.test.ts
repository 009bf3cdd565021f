/**
 * What the generator executes and in what order it reads: only environments/*.ts and services/<name>/service.ts
 * run, never a stray .ts elsewhere (generated/ included); and the order files are created in, which decides
 * directory iteration order on many file systems, never changes a byte of output.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { build, generate, readTree } from "@gitops/generator";

const REPO = resolve(import.meta.dirname, "../..");
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));
const temp = () => {
  const root = mkdtempSync(join(tmpdir(), "gitops-iso-"));
  roots.push(root);
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  return root;
};

describe("what the generator executes", () => {
  it("never imports a .ts outside environments/*.ts and services/*/service.ts", async () => {
    const root = temp();
    for (const dir of ["environments", "services"]) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
    const marker = join(root, "EXECUTED");
    const trap = `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(marker)}, "x"); export default {};\n`;
    for (const file of ["generated/nonprod/dev/payments/evil.ts", "services/payments/helpers.ts", "services/evil.ts", "environments/nested/evil.ts", "generated/evil.ts"]) {
      mkdirSync(join(root, file, ".."), { recursive: true });
      writeFileSync(join(root, file), trap);
    }
    expect((await build(root)).ok).toBe(true);
    expect((await generate(root)).kind).toBe("ok");
    expect(existsSync(marker)).toBe(false);
  });
});

describe("file-system order", () => {
  it("creating the config files in another order yields identical bytes", async () => {
    const forward = temp();
    const backward = temp();
    const services = readdirSync(join(REPO, "services")).sort();
    for (const [root, order] of [[forward, services], [backward, [...services].reverse()]] as const) {
      const envs = readdirSync(join(REPO, "environments")).sort();
      mkdirSync(join(root, "environments"));
      for (const f of root === forward ? envs : [...envs].reverse()) cpSync(join(REPO, "environments", f), join(root, "environments", f));
      for (const s of order) cpSync(join(REPO, "services", s), join(root, "services", s), { recursive: true });
      expect((await generate(root)).kind).toBe("ok");
    }
    const a = readTree(join(forward, "generated"));
    const b = readTree(join(backward, "generated"));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [path, content] of a) expect(b.get(path), path).toBe(content);
  });
});
