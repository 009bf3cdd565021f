import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Context, firstDifference, kustomizeFindings, type PolicyInput } from "../src/index.ts";
import { cleanFixture, fixture } from "./fixture.ts";

const hasKubectl = (() => {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Only the prod folders: enough to exercise kustomize, quick enough for every test run. */
function prodOnly(input: PolicyInput): PolicyInput {
  return { ...input, objects: input.objects.filter((o) => o.file.startsWith("prod/")), files: new Map([...input.files].filter(([f]) => f.startsWith("prod/"))) };
}

describe("firstDifference", () => {
  it("finds the first differing path, or none", () => {
    expect(firstDifference({ a: [1, { b: "x" }] }, { a: [1, { b: "x" }] })).toBeUndefined();
    expect(firstDifference({ a: [1, { b: "x" }] }, { a: [1, { b: "y" }] })).toEqual(["a", 1, "b"]);
    expect(firstDifference({ a: "off" }, { a: false })).toEqual(["a"]);
    expect(firstDifference({ a: 1 }, { a: 1, b: 2 })).toEqual(["b"]);
  });
});

describe.skipIf(!hasKubectl)("kustomize/render (kubectl kustomize)", () => {
  it("renders every folder to exactly the generator's objects", async () => {
    expect(await kustomizeFindings(new Context(prodOnly(cleanFixture())))).toEqual([]);
  });

  it("finds a file that reads back differently than the object it was written from", async () => {
    const input = prodOnly(fixture());
    const file = "prod/prod/api/configmap.yaml";
    const files = new Map(input.files);
    files.set(file, files.get(file)!.replace(/MODE: fast/, "MODE: slow"));
    const findings = await kustomizeFindings(new Context({ ...input, files }));
    expect(findings).toMatchObject([{ rule: "kustomize/render", file: "services/api/service.ts", path: "config.MODE", environment: "prod", generated: { file, path: "data.MODE" }, message: expect.stringContaining('(generator "fast", kustomize "slow")') }]);
  });

  it("finds an object the kustomization leaves out", async () => {
    const input = prodOnly(cleanFixture());
    const file = "prod/prod/worker/kustomization.yaml";
    const files = new Map(input.files);
    files.set(file, files.get(file)!.replace(/\s+- configmap\.yaml/, ""));
    expect(await kustomizeFindings(new Context({ ...input, files }))).toMatchObject([{ service: "worker", message: expect.stringContaining("does not output ConfigMap worker") }]);
  });
});

describe("kustomize/render without kubectl", () => {
  it("says so once instead of failing every folder", async () => {
    const findings = await kustomizeFindings(new Context(prodOnly(cleanFixture())), { kubectl: "/nonexistent/kubectl" });
    expect(findings).toMatchObject([{ rule: "kustomize/render", file: "environments/estate.ts", message: expect.stringContaining("is not on PATH") }]);
  });
});
