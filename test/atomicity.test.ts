/**
 * generated/ is replaced atomically: a complete new tree is written to .generated.staging, then swapped in with
 * two renames (generated → .generated.previous, staging → generated). A run that crashed anywhere in between
 * leaves scratch folders behind; the next run must recover from them and never mix them into generated/.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "../packages/generator/src/index.ts";
import { estate, outputs } from "./support/estate.ts";

async function generated(): Promise<{ root: string; clean: Map<string, Buffer> }> {
  const root = estate("minimal");
  expect((await generate(root)).kind).toBe("ok");
  return { root, clean: outputs(root) };
}

/** A half-written staging tree, as a run killed while writing would leave it. */
function halfWrittenStaging(root: string): void {
  mkdirSync(join(root, ".generated.staging/nonprod/dev/api"), { recursive: true });
  writeFileSync(join(root, ".generated.staging/nonprod/dev/api/deployment.yaml"), "apiVersion: apps/v1\nkind: Deploym");
  writeFileSync(join(root, ".generated.staging/nonprod/dev/api/leftover.yaml"), "kind: ConfigMap\n");
}

describe("atomic writes and recovery", () => {
  it("clears a leftover staging folder, and never copies it into generated/", async () => {
    const { root, clean } = await generated();
    halfWrittenStaging(root);
    // Nothing to change: the leftover goes, generated/ stays byte for byte.
    expect((await generate(root)).kind).toBe("ok");
    expect(outputs(root)).toEqual(clean);

    // Something to change: the new tree is complete and holds nothing of the leftover.
    halfWrittenStaging(root);
    const service = join(root, "services/api/service.ts");
    writeFileSync(service, readFileSync(service, "utf8").replace('version: "1.0.0"', 'version: "1.0.1"'));
    const result = await generate(root);
    expect(result.kind).toBe("ok");
    expect(existsSync(join(root, ".generated.staging"))).toBe(false);
    expect(existsSync(join(root, "generated/nonprod/dev/api/leftover.yaml"))).toBe(false);
    expect(readFileSync(join(root, "generated/nonprod/dev/api/deployment.yaml"), "utf8")).toContain("image: registry.example.test/core/api:1.0.1\n");
    const after = outputs(root);
    expect([...after.keys()]).toEqual([...clean.keys()]);
    const changed = [...after].filter(([path, bytes]) => !bytes.equals(clean.get(path)!)).map(([path]) => path);
    // The image in every environment (prod's canary Rollout included), the pull-request preview's copy of dev, and
    // the documents that name the version.
    expect(changed).toEqual([
      "generated/README.md",
      "generated/nonprod/dev/api/deployment.yaml",
      "generated/nonprod/preview/api/deployment.yaml",
      "generated/nonprod/staging/api/deployment.yaml",
      "generated/prod/prod/api/rollout.yaml",
      "generated/runbooks/api.md",
    ]);
  });

  it("finishes an interrupted swap: generated/ missing, .generated.previous present", async () => {
    const { root, clean } = await generated();
    renameSync(join(root, "generated"), join(root, ".generated.previous"));
    halfWrittenStaging(root);
    const result = await generate(root);
    expect(result.kind).toBe("ok");
    if (result.kind === "ok") expect(result.summary.written).toBe(false);
    expect(outputs(root)).toEqual(clean);
  });

  it("drops the previous tree when the crash came after the second rename", async () => {
    const { root, clean } = await generated();
    mkdirSync(join(root, ".generated.previous/nonprod/dev/api"), { recursive: true });
    writeFileSync(join(root, ".generated.previous/nonprod/dev/api/deployment.yaml"), "kind: Deployment\n");
    expect((await generate(root)).kind).toBe("ok");
    expect(outputs(root)).toEqual(clean);
  });

  it("touches nothing outside generated/ and its scratch folders", async () => {
    const { root } = await generated();
    writeFileSync(join(root, "notes.txt"), "mine\n");
    mkdirSync(join(root, "generated-by-hand"));
    writeFileSync(join(root, "generated-by-hand/x.yaml"), "kind: ConfigMap\n");
    writeFileSync(join(root, "generated/stray.yaml"), "kind: ConfigMap\n");
    expect((await generate(root)).kind).toBe("ok");
    expect(existsSync(join(root, "generated/stray.yaml"))).toBe(false);
    expect(readFileSync(join(root, "notes.txt"), "utf8")).toBe("mine\n");
    expect(readFileSync(join(root, "generated-by-hand/x.yaml"), "utf8")).toBe("kind: ConfigMap\n");
  });

  it("--check recovers nothing and writes nothing, even with scratch folders present", async () => {
    const { root } = await generated();
    halfWrittenStaging(root);
    const before = outputs(root);
    expect((await generate(root, { check: true })).kind).toBe("ok");
    expect(outputs(root)).toEqual(before);
  });
});
