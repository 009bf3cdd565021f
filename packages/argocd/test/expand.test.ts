import { describe, expect, it } from "vitest";
import { directoriesOf, expandApplicationSet, mergePatch, renderString } from "../src/expand.ts";

describe("renderString (goTemplate with missingkey=error)", () => {
  const params = { env: "dev", path: { basename: "api", segments: ["generated", "nonprod", "dev", "api"] }, list: ["A=1", "B=2"], on: true };
  it("renders fields, index and toJson", () => {
    expect(renderString("{{.env}}-{{.path.basename}}", params)).toBe("dev-api");
    expect(renderString("{{index .path.segments 2}}", params)).toBe("dev");
    expect(renderString("{{ toJson .list }}", params)).toBe('["A=1","B=2"]');
    expect(renderString("{{ .on }}", params)).toBe("true");
  });
  it("fails on a missing key instead of rendering nothing", () => {
    expect(() => renderString("{{.nope}}", params)).toThrow('map has no entry for key "nope"');
    expect(() => renderString("{{.path.nope}}", params)).toThrow("nope");
    expect(() => renderString("{{index .path.segments 9}}", params)).toThrow("index out of range");
  });
  it("refuses what it does not implement rather than guess", () => {
    expect(() => renderString("{{ default \"x\" .nope }}", params)).toThrow("unsupported template action");
  });
});

describe("mergePatch", () => {
  it("merges maps, replaces lists and scalars, deletes on null", () => {
    expect(mergePatch({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: null })).toEqual({ a: { b: 1, c: [2] } });
  });
});

describe("expandApplicationSet", () => {
  const dirs = directoriesOf(["generated/nonprod/dev/api/a.yaml", "generated/nonprod/dev/web/a.yaml", "generated/prod/prod/api/a.yaml", "generated/common/shared/argocd/x.yaml", ".github/CODEOWNERS"]);
  const appset = (directories: unknown[], extra: Record<string, unknown> = {}) => ({
    metadata: { name: "s", namespace: "argocd" },
    spec: {
      goTemplate: true,
      goTemplateOptions: ["missingkey=error"],
      generators: [{ matrix: { generators: [{ list: { elements: [{ environment: "dev", account: "nonprod" }, { environment: "prod", account: "prod" }, { environment: "shared", account: "common" }] } }, { git: { repoURL: "r", revision: "main", directories } }] } }],
      template: { metadata: { name: "{{.environment}}-{{.path.basename}}", labels: { env: "{{.environment}}" } }, spec: { project: "{{.account}}", source: { repoURL: "r", path: "{{.path.path}}" }, destination: { server: "s", namespace: "x" } } },
      ...extra,
    },
  });

  it("lists directories as the repo-server does: relative, every depth, no dot-folders", () => {
    expect(dirs).toContain("generated/nonprod/dev/api");
    expect(dirs).toContain("generated");
    expect(dirs.some((d) => d.startsWith(".github"))).toBe(false);
  });

  it("passes the first matrix child's parameters into the second, and applies excludes whatever their order", () => {
    const apps = expandApplicationSet(appset([{ path: "generated/common/shared/argocd", exclude: true }, { path: "generated/{{.account}}/{{.environment}}/*" }]), dirs);
    expect(apps.map((a) => [a.name, a.project, a.path])).toEqual([
      ["dev-api", "nonprod", "generated/nonprod/dev/api"],
      ["dev-web", "nonprod", "generated/nonprod/dev/web"],
      ["prod-api", "prod", "generated/prod/prod/api"],
    ]);
  });

  it("finds nothing for `**` or a leading slash", () => {
    expect(expandApplicationSet(appset([{ path: "generated/**/api" }]), dirs).length).toBe(0); // `**` is not recursive
    expect(expandApplicationSet(appset([{ path: "/generated/{{.account}}/{{.environment}}/*" }]), dirs).length).toBe(0);
  });

  it("rejects duplicate names, an empty name, and templatePatch changing the project", () => {
    const dup = appset([{ path: "generated/{{.account}}/{{.environment}}/*" }]);
    (dup.spec.template.metadata as { name: string }).name = "{{.path.basename}}";
    expect(() => expandApplicationSet(dup, dirs)).toThrow("two rendered Applications are named api");
    expect(() => expandApplicationSet(appset([{ path: "generated/{{.account}}/{{.environment}}/*" }], { templatePatch: "spec:\n  project: x\n" }), dirs)).toThrow("may not change spec.project");
  });

  it("refuses sets without goTemplate and missingkey=error", () => {
    const set = appset([]);
    set.spec.goTemplateOptions = [];
    expect(() => expandApplicationSet(set, dirs)).toThrow("missingkey=error");
  });
});
