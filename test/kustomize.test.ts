/**
 * What ArgoCD applies is `kustomize build` of each generated folder, not the generator's objects. Every folder
 * with a kustomization.yaml, generated from the repository's own config into a temp root, is rendered with the
 * real `kubectl kustomize` (kustomize v5.5); its output, read back as YAML 1.1, must be exactly the objects the
 * generator built: the same set, field for field.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { build, generate, readTree, type Build } from "../packages/generator/src/index.ts";
import { estate } from "./support/estate.ts";

const PARALLEL = 2;

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
const id = (o: Obj) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? "-"}/${o.metadata.name}`;

function kustomize(dir: string): Promise<string> {
  return new Promise((done, fail) =>
    execFile("kubectl", ["kustomize", dir], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => (error ? fail(new Error(`kubectl kustomize ${dir}: ${stderr || error.message}`)) : done(stdout))),
  );
}

async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

describe.each([
  { name: "the repository's config", layers: ["repo"] },
  { name: "the minimal fixture with YAML traps", layers: ["minimal", "yaml11"] },
])("kubectl kustomize on every generated folder: $name", ({ layers }) => {
  let root: string;
  let built: Build;
  let folders: string[];
  beforeAll(async () => {
    root = estate(...layers);
    const result = await build(root);
    if (!result.ok) throw new Error(result.problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join("\n"));
    built = result.build;
    expect((await generate(root)).kind).toBe("ok");
    folders = [...readTree(join(root, "generated")).keys()].filter((f) => f.endsWith("/kustomization.yaml")).map(dirname).sort();
  });

  it("gives every folder of objects a kustomization.yaml listing exactly its files", () => {
    const objectFolders = [...new Set(built.objects.map((o) => dirname(o.file)))].sort();
    expect(folders).toEqual(objectFolders);
    expect(folders.length).toBeGreaterThanOrEqual(9);
    const tree = readTree(join(root, "generated"));
    for (const folder of folders) {
      const listed = (parseAllDocuments(tree.get(`${folder}/kustomization.yaml`)!)[0]!.toJS() as { resources: string[] }).resources;
      const present = [...tree.keys()].filter((f) => dirname(f) === folder && !f.endsWith("/kustomization.yaml")).map((f) => f.slice(folder.length + 1));
      expect(listed, folder).toEqual(present);
    }
  });

  it("renders each folder to exactly the objects the generator built", async () => {
    const rendered = await inParallel(folders, PARALLEL, async (folder) => ({ folder, text: await kustomize(join(root, "generated", folder)) }));
    let compared = 0;
    for (const { folder, text } of rendered) {
      const docs = parseAllDocuments(text, { version: "1.1" });
      for (const d of docs) expect(d.errors, folder).toEqual([]);
      const fromKustomize = new Map(docs.map((d) => d.toJS() as Obj).map((o) => [id(o), o]));
      const fromGenerator = new Map(
        built.objects.filter((o) => dirname(o.file) === folder).map((o) => JSON.parse(JSON.stringify(o.object)) as Obj).map((o) => [id(o), o]),
      );
      expect([...fromKustomize.keys()].sort(), folder).toEqual([...fromGenerator.keys()].sort());
      expect(docs.length, folder).toBe(fromGenerator.size);
      for (const [key, object] of fromGenerator) {
        // toEqual would treat undefined and missing alike; kustomize must give back exactly the same JSON.
        if (!isDeepStrictEqual(fromKustomize.get(key), object)) expect(fromKustomize.get(key), `${folder}: ${key}`).toStrictEqual(object);
        compared++;
      }
    }
    expect(compared).toBe(built.objects.filter((o) => existsSync(join(root, "generated", dirname(o.file), "kustomization.yaml"))).length);
    expect(compared).toBeGreaterThan(50);
  });
});
