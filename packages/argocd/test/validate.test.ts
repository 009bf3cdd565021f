import { describe, expect, it } from "vitest";
import { isArgoKind, validateArgoObject } from "../src/validate.ts";

const application = () => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Application",
  metadata: { name: "dev-api", namespace: "argocd", labels: { "gitops.dev/environment": "dev" }, annotations: { "gitops.dev/wave": "0" } },
  spec: {
    project: "nonprod",
    source: { repoURL: "https://r", targetRevision: "main", path: "generated/nonprod/dev/api" },
    destination: { server: "https://nonprod", namespace: "dev-api" },
    syncPolicy: { automated: { prune: true, selfHeal: true, allowEmpty: true }, syncOptions: ["CreateNamespace=true"], retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } } },
  },
});

describe("validateArgoObject: @kubernetes-models/argo-cd plus unknown fields", () => {
  it("accepts a valid Application, and knows only ArgoCD's kinds", () => {
    expect(validateArgoObject(application())).toEqual([]);
    expect(isArgoKind({ apiVersion: "v1", kind: "ConfigMap" })).toBe(false);
    expect(validateArgoObject({ apiVersion: "v1", kind: "ConfigMap" })[0]!.path).toBe("kind");
  });

  it("reports what the schema rejects: a missing required field, a wrong type, a non-string annotation", () => {
    const missing = application() as any;
    delete missing.spec.destination;
    expect(validateArgoObject(missing).map((p) => p.message).join()).toMatch(/destination/);
    const wrongType = application() as any;
    wrongType.spec.syncPolicy.automated.prune = "yes";
    expect(validateArgoObject(wrongType)).toContainEqual({ path: "spec.syncPolicy.automated.prune", message: "must be boolean" });
    const number = application() as any;
    number.metadata.annotations["argocd.argoproj.io/sync-wave"] = 5;
    expect(validateArgoObject(number).some((p) => p.path.startsWith("metadata.annotations"))).toBe(true);
  });

  it("reports fields the schema does not declare, which the models alone accept", () => {
    const typo = application() as any;
    typo.spec.syncPolicy.syncOption = ["PruneLast=true"];
    typo.spec.destination.namspace = "x";
    expect(validateArgoObject(typo).map((p) => p.path)).toEqual(["spec.destination.namspace", "spec.syncPolicy.syncOption"]);
  });

  it("checks inside ApplicationSet generators and templates, but list elements are free-form", () => {
    const set = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "ApplicationSet",
      metadata: { name: "s", namespace: "argocd" },
      spec: {
        goTemplate: true,
        generators: [{ matrix: { generators: [{ list: { elements: [{ anything: { goes: true } }] } }, { git: { repoURL: "r", revision: "main", directories: [{ path: "p", exlude: true }] } }] } }],
        template: { metadata: {}, spec: { project: "p", destination: { server: "s" }, sourc: {} } },
        syncPolicy: { applicationsSync: "create-update", preserveResourcesOnDeletion: true },
      },
    };
    expect(validateArgoObject(set).map((p) => p.path)).toEqual(["spec.generators[0].matrix.generators[1].git.directories[0].exlude", "spec.template.spec.sourc"]);
    set.spec.syncPolicy.applicationsSync = "sometimes";
    expect(validateArgoObject(set).some((p) => p.path === "spec.syncPolicy.applicationsSync")).toBe(true);
  });

  it("flags the AppProject description fields the model lacks, which is why the generator emits none", () => {
    const project = { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "p", namespace: "argocd" }, spec: { description: "x", sourceRepos: ["r"], destinations: [{ server: "s", namespace: "n" }] } };
    expect(validateArgoObject(project).map((p) => p.path)).toEqual(["spec.description"]);
  });
});
