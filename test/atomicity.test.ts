/**
 * generated/ is replaced atomically. A big change writes a complete new tree to .generated.staging, then swaps it in
 * with two renames (generated → .generated.previous, staging → generated). A small one is a patch: the new files and
 * the plan go into .generated.journal first, then generated → .generated.patching, the plan is applied there, and
 * .generated.patching → generated. A run that crashed anywhere in between leaves scratch folders behind; the next
 * run must recover from them (finishing a patch whose plan was complete) and never mix them into generated/.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generate } from "../packages/generator/src/index.ts";
import { crashPoints } from "../packages/generator/src/tree.ts";
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

  describe("a patch that crashed", () => {
    afterEach(() => {
      delete crashPoints.afterJournal;
      delete crashPoints.afterMove;
      delete crashPoints.midApply;
    });
    const crash = () => {
      throw new Error("crash");
    };
    const bump = (root: string, version: string) => {
      const service = join(root, "services/api/service.ts");
      writeFileSync(service, readFileSync(service, "utf8").replace(/version: "[^"]+"/, `version: "${version}"`));
    };

    for (const point of ["afterJournal", "afterMove", "midApply"] as const) {
      it(`${point}: the next run finds the old tree or finishes the new one, and ends exact`, async () => {
        const { root, clean } = await generated();
        bump(root, "1.0.1");
        crashPoints[point] = crash;
        await expect(generate(root)).rejects.toThrow("crash");
        delete crashPoints[point];
        // What a reader finds right after the crash: the old tree, or (once generated/ moved) none until recovery.
        if (point === "afterJournal") {
          // The old tree untouched, beside the journal the next run applies or drops.
          expect(existsSync(join(root, ".generated.journal"))).toBe(true);
          expect(new Map([...outputs(root)].filter(([path]) => !path.startsWith(".generated.journal/")))).toEqual(clean);
        } else expect(existsSync(join(root, "generated"))).toBe(false);
        const result = await generate(root);
        expect(result.kind).toBe("ok");
        for (const scratch of [".generated.journal", ".generated.patching", ".generated.staging", ".generated.previous"]) expect(existsSync(join(root, scratch)), scratch).toBe(false);
        expect(readFileSync(join(root, "generated/nonprod/staging/api/deployment.yaml"), "utf8")).toContain("image: registry.example.test/core/api:1.0.1\n");
        // Exactly what a run without a crash writes.
        const twin = (await generated()).root;
        bump(twin, "1.0.1");
        expect((await generate(twin)).kind).toBe("ok");
        expect(outputs(root)).toEqual(outputs(twin));
      });
    }
  });

  it("never writes through a symbolic link put into generated/: a folder or a file replaced by one", async () => {
    const { root } = await generated();
    const outside = join(root, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "deployment.yaml"), "mine\n");
    writeFileSync(join(outside, "file.yaml"), "mine too\n");
    // The staging folder of api replaced by a link to a folder outside generated/, one file by a link to a file.
    rmSync(join(root, "generated/nonprod/staging/api"), { recursive: true });
    symlinkSync(outside, join(root, "generated/nonprod/staging/api"));
    rmSync(join(root, "generated/prod/prod/api/rollout.yaml"));
    symlinkSync(join(outside, "file.yaml"), join(root, "generated/prod/prod/api/rollout.yaml"));
    const service = join(root, "services/api/service.ts");
    writeFileSync(service, readFileSync(service, "utf8").replace('version: "1.0.0"', 'version: "1.0.1"'));
    expect((await generate(root)).kind).toBe("ok");
    expect(readFileSync(join(outside, "deployment.yaml"), "utf8")).toBe("mine\n");
    expect(readFileSync(join(outside, "file.yaml"), "utf8")).toBe("mine too\n");
    expect(lstatSync(join(root, "generated/nonprod/staging/api")).isDirectory()).toBe(true);
    expect(lstatSync(join(root, "generated/prod/prod/api/rollout.yaml")).isFile()).toBe(true);
    expect(readFileSync(join(root, "generated/nonprod/staging/api/deployment.yaml"), "utf8")).toContain("api:1.0.1\n");
  });
});
