import { describe, expect, it } from "vitest";
import { directoriesOf, expandApplicationSet, mergeParams, sanitizeName, selectingSteps, strategicMerge } from "../src/expand.ts";

const dirs = directoriesOf([
  "generated/nonprod/dev/api/kustomization.yaml",
  "generated/nonprod/dev/web/kustomization.yaml",
  "generated/nonprod/dev/web/extra/x.yaml",
  "generated/prod/prod/api/kustomization.yaml",
  "generated/common/shared/argocd/kustomization.yaml",
  ".github/CODEOWNERS",
  "generated/.hidden/x.yaml",
]);

const elements = [
  { env: "dev", account: "nonprod", project: "nonprod", allowEmpty: true, syncOptions: ["CreateNamespace=true"] },
  { env: "prod", account: "prod", project: "prod", allowEmpty: false, syncOptions: ["PruneLast=true"] },
  { env: "shared", account: "common", project: "common", allowEmpty: false, syncOptions: [] },
];

type Spec = Record<string, any>;
const appset = (directories: unknown[], extra: Spec = {}): Spec => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "ApplicationSet",
  metadata: { name: "s", namespace: "argocd" },
  spec: {
    goTemplate: true,
    goTemplateOptions: ["missingkey=error"],
    generators: [{ matrix: { generators: [{ list: { elements } }, { git: { repoURL: "https://r", revision: "main", directories } }] } }],
    template: {
      metadata: { name: "{{.env}}-{{.path.basename}}", namespace: "elsewhere", labels: { env: "{{.env}}" } },
      spec: { project: "{{.project}}", source: { repoURL: "https://r", path: "{{.path.path}}" }, destination: { server: "https://s", namespace: "{{.env}}-{{.path.basename}}" } },
    },
    ...extra,
  },
});
const services = [{ path: "generated/{{.account}}/{{.env}}/*" }, { path: "generated/common/shared/argocd", exclude: true }];

describe("directoriesOf: the repo-server's directory listing", () => {
  it("lists every depth, relative, without dot-folders or anything under them", () => {
    expect(dirs).toContain("generated");
    expect(dirs).toContain("generated/nonprod/dev/web/extra");
    expect(dirs.some((d) => d.startsWith(".github") || d.includes(".hidden"))).toBe(false);
    expect(dirs).toEqual([...dirs].sort());
  });
});

describe("expandApplicationSet", () => {
  it("passes the first matrix child's parameters into the second, and an exclude wins whatever its position", () => {
    for (const directories of [services, [...services].reverse()]) {
      const apps = expandApplicationSet(appset(directories), dirs);
      expect(apps.map((a) => [a.name, a.project, a.source.path, a.destination.namespace])).toEqual([
        ["dev-api", "nonprod", "generated/nonprod/dev/api", "dev-api"],
        ["dev-web", "nonprod", "generated/nonprod/dev/web", "dev-web"],
        ["prod-api", "prod", "generated/prod/prod/api", "prod-api"],
      ]);
    }
  });

  it("exposes the git path parameters, basenameNormalized and segments included, and pathParamPrefix", () => {
    const set = appset(services);
    set.spec.template.metadata.labels = { seg: "{{index .path.segments 1}}", norm: "{{.path.basenameNormalized}}" };
    expect(expandApplicationSet(set, dirs)[0]!.labels).toEqual({ seg: "nonprod", norm: "api" });
    const prefixed = appset(services);
    prefixed.spec.generators[0].matrix.generators[1].git.pathParamPrefix = "svc";
    prefixed.spec.template.metadata.name = "{{.env}}-{{.svc.path.basename}}";
    prefixed.spec.template.spec.source.path = "{{.svc.path.path}}";
    prefixed.spec.template.spec.destination.namespace = "x";
    expect(expandApplicationSet(prefixed, dirs).map((a) => a.name)).toEqual(["dev-api", "dev-web", "prod-api"]);
  });

  it("finds nothing for `**` or a leading slash, and skips a bad pattern", () => {
    expect(expandApplicationSet(appset([{ path: "generated/**/api" }]), dirs)).toEqual([]);
    expect(expandApplicationSet(appset([{ path: "/generated/{{.account}}/{{.env}}/*" }]), dirs)).toEqual([]);
    expect(expandApplicationSet(appset([{ path: "generated/[" }]), dirs)).toEqual([]);
  });

  it("places every app in the ApplicationSet's namespace, whatever the template says", () => {
    for (const a of expandApplicationSet(appset(services), dirs)) expect((a.application as Spec).metadata.namespace).toBe("argocd");
  });

  it("adds resources-finalizer unless preserveResourcesOnDeletion is set or the template lists finalizers", () => {
    const finalizers = (set: Spec) => expandApplicationSet(set, dirs).map((a) => (a.application as Spec).metadata.finalizers);
    expect(finalizers(appset(services))[0]).toEqual(["resources-finalizer.argocd.argoproj.io"]);
    expect(finalizers(appset(services, { syncPolicy: { preserveResourcesOnDeletion: true } }))[0]).toBeUndefined();
    const own = appset(services);
    own.spec.template.metadata.finalizers = ["resources-finalizer.argocd.argoproj.io/background"];
    expect(finalizers(own)[0]).toEqual(["resources-finalizer.argocd.argoproj.io/background"]);
  });

  it("applies templatePatch per element: booleans and lists typed, lists replaced, finalizers merged, project kept", () => {
    const set = appset(services, {
      syncPolicy: { preserveResourcesOnDeletion: true },
      templatePatch: "metadata:\n  finalizers: [x]\nspec:\n  project: hijacked\n  syncPolicy:\n    automated:\n      allowEmpty: {{ .allowEmpty }}\n    syncOptions: {{ toJson .syncOptions }}\n",
    });
    set.spec.template.spec.syncPolicy = { automated: { prune: true }, syncOptions: ["Replace=true"] };
    const [dev, , prod] = expandApplicationSet(set, dirs) as { application: Spec }[];
    expect(dev!.application.spec.syncPolicy).toEqual({ automated: { prune: true, allowEmpty: true }, syncOptions: ["CreateNamespace=true"] });
    expect(prod!.application.spec.syncPolicy).toEqual({ automated: { prune: true, allowEmpty: false }, syncOptions: ["PruneLast=true"] });
    expect(dev!.application.spec.project).toBe("nonprod");
    expect(dev!.application.metadata.finalizers).toEqual(["x"]);
  });

  it("fails the whole set on a render error, as the controller does", () => {
    const set = appset(services);
    set.spec.template.metadata.labels = { x: "{{.missing}}" };
    expect(() => expandApplicationSet(set, dirs)).toThrow('map has no entry for key "missing"');
    set.spec.goTemplateOptions = [];
    expect(expandApplicationSet(set, dirs)[0]!.labels).toEqual({ x: "<no value>" });
  });

  it("rejects duplicate, empty and invalid names, and a destination without exactly one of server and name", () => {
    const dup = appset(services);
    dup.spec.template.metadata.name = "{{.path.basename}}";
    expect(() => expandApplicationSet(dup, dirs)).toThrow("two rendered Applications are named api");
    const empty = appset(services, { templatePatch: "metadata:\n  name: ''\n" });
    expect(() => expandApplicationSet(empty, dirs)).toThrow("empty name");
    const upper = appset(services);
    upper.spec.template.metadata.name = "{{.env}}_{{.path.basename}}";
    expect(() => expandApplicationSet(upper, dirs)).toThrow("not an RFC 1123 subdomain");
    const both = appset(services);
    both.spec.template.spec.destination.name = "in-cluster";
    expect(() => expandApplicationSet(both, dirs)).toThrow("exactly one of server and name");
  });

  it("refuses what it does not implement: fasttemplate, git files, three matrix children, selectors", () => {
    expect(() => expandApplicationSet(appset(services, { goTemplate: false }), dirs)).toThrow("fasttemplate");
    const files = appset(services);
    files.spec.generators[0].matrix.generators[1].git = { repoURL: "r", revision: "main", files: [{ path: "x.json" }] };
    expect(() => expandApplicationSet(files, dirs)).toThrow("git files");
    const three = appset(services);
    three.spec.generators[0].matrix.generators.push({ list: { elements: [] } });
    expect(() => expandApplicationSet(three, dirs)).toThrow("exactly two");
    const selector = appset(services);
    selector.spec.generators[0].selector = { matchLabels: { a: "b" } };
    expect(() => expandApplicationSet(selector, dirs)).toThrow("selectors");
  });

  it("assigns RollingSync steps by the app's own labels and refuses an app two steps select", () => {
    const steps = (values: string[][]) => ({ type: "RollingSync", rollingSync: { steps: values.map((v) => ({ matchExpressions: [{ key: "env", operator: "In", values: v }] })) } });
    expect(expandApplicationSet(appset(services, { strategy: steps([["shared"], ["dev"], ["prod"]]) }), dirs).map((a) => a.step)).toEqual([1, 1, 2]);
    expect(expandApplicationSet(appset(services, { strategy: steps([["prod"]]) }), dirs).map((a) => a.step)).toEqual([undefined, undefined, 0]);
    expect(() => expandApplicationSet(appset(services, { strategy: steps([["dev"], ["dev", "prod"]]) }), dirs)).toThrow("selected by RollingSync steps 1 and 2");
  });
});

describe("the controller's building blocks", () => {
  it("selectingSteps: expressions are ANDed; a missing label fails In and passes NotIn; only In and NotIn exist", () => {
    const strategy = { type: "RollingSync", rollingSync: { steps: [{ matchExpressions: [{ key: "a", operator: "NotIn", values: ["x"] }] }, { matchExpressions: [{ key: "a", operator: "In", values: ["x"] }, { key: "b", operator: "In", values: ["y"] }] }] } };
    expect(selectingSteps(strategy, {})).toEqual([0]);
    expect(selectingSteps(strategy, { a: "x", b: "y" })).toEqual([1]);
    expect(selectingSteps(strategy, { a: "x" })).toEqual([]);
    expect(selectingSteps({ type: "AllAtOnce" }, { a: "x" })).toEqual([]);
    expect(() => selectingSteps({ type: "RollingSync", rollingSync: { steps: [{ matchExpressions: [{ key: "a", operator: "Exists" }] }] } }, {})).toThrow("only In and NotIn");
  });

  it("mergeParams: maps merge deeply and the first child wins a conflict (Go mode)", () => {
    expect(mergeParams({ a: 1, m: { x: 1 } }, { a: 2, b: 2, m: { x: 2, y: 2 } })).toEqual({ a: 1, b: 2, m: { x: 1, y: 2 } });
  });

  it("strategicMerge: maps merge, null deletes, lists replace, finalizers union; directives refused", () => {
    expect(strategicMerge({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: null })).toEqual({ a: { b: 1, c: [2] } });
    expect(strategicMerge({ metadata: { finalizers: ["a", "b"] } }, { metadata: { finalizers: ["b", "c"] } })).toEqual({ metadata: { finalizers: ["a", "b", "c"] } });
    expect(() => strategicMerge({}, { spec: { $patch: "replace" } })).toThrow("directive");
  });

  it("sanitizeName: ArgoCD's normalize", () => {
    expect(sanitizeName("My_Service.v2-")).toBe("my-service.v2");
    expect(sanitizeName("--a--")).toBe("a");
  });
});
