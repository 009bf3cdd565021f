import { describe, expect, it } from "vitest";
import { Context, loadModels, modelFor, schemaRules, validateWith, type PolicyInput } from "../src/index.ts";
import { cleanFixture, withExtra, withObject } from "./fixture.ts";

async function schemaFindings(input: PolicyInput) {
  const ctx = new Context(input);
  return schemaRules(await loadModels(input.objects)).flatMap((r) => r.check(ctx));
}

const application = {
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Application",
  metadata: { name: "prod-api", namespace: "argocd", labels: { "gitops.dev/environment": "prod" }, finalizers: ["resources-finalizer.argocd.argoproj.io"] },
  spec: {
    project: "prod",
    source: { repoURL: "https://github.com/acme/platform-gitops.git", targetRevision: "main", path: "generated/prod/prod/api" },
    destination: { server: "https://prod.k8s.example.dev", namespace: "prod-api" },
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"], retry: { limit: 3, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } } },
  },
};

describe("schema validation", () => {
  it("passes every object the bases and the platform render, CRDs included", async () => {
    expect(await schemaFindings(cleanFixture())).toEqual([]);
  });

  it("finds a misspelt field anywhere in an object, and points at the typed source", async () => {
    const input = withObject(cleanFixture(), "prod/prod/api/rollout.yaml", (o) => {
      o.spec.replicaz = 3;
      o.spec.template.spec.containers[0].imagePullPolicyy = "Always";
      o.spec.template.spec.containers[0].resources.requestz = {};
    });
    const findings = await schemaFindings(input);
    expect(findings.map((f) => [f.rule, f.generated?.path, f.file, f.path]).sort()).toEqual([
      ["schema/unknown-field", "spec.replicaz", "services/api/service.ts", ""],
      ["schema/unknown-field", "spec.template.spec.containers[0].imagePullPolicyy", "services/api/service.ts", ""],
      ["schema/unknown-field", "spec.template.spec.containers[0].resources.requestz", "environments/prod.ts", "tier"],
    ]);
  });

  it("lets map-typed fields (labels, data, resource lists) hold any key", async () => {
    const input = withObject(cleanFixture(), "prod/prod/api/configmap.yaml", (o) => {
      o.data.ANY_NEW_KEY = "x";
      o.metadata.labels["example.com/new"] = "y";
    });
    expect(await schemaFindings(input)).toEqual([]);
  });

  it("rejects wrong types and missing required fields, with the path", async () => {
    const input = withObject(cleanFixture(), "nonprod/staging/worker/deployment.yaml", (o) => {
      o.spec.revisionHistoryLimit = "5";
      delete o.spec.selector;
    });
    const findings = await schemaFindings(input);
    expect(findings.map((f) => f.rule)).toEqual(["schema/kubernetes", "schema/kubernetes"]);
    expect(findings.map((f) => f.message).join("\n")).toMatch(/spec must have required property selector[\s\S]*spec.revisionHistoryLimit must be integer/);
  });

  it("validates ExternalSecrets against the External Secrets CRD model", async () => {
    const input = withObject(cleanFixture(), "prod/prod/api/externalsecret.yaml", (o) => (o.spec.refreshIntervall = "1h"));
    expect(await schemaFindings(input)).toMatchObject([{ rule: "schema/unknown-field", generated: { path: "spec.refreshIntervall" } }]);
  });

  it("validates ArgoCD objects against the Argo CD model, unknown fields included", async () => {
    const clean = withExtra(cleanFixture(), { file: "common/shared/argocd/application-prod-api.yaml", object: structuredClone(application) });
    expect(await schemaFindings(clean)).toEqual([]);
    const typo = structuredClone(application) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    typo.spec.syncPolicy.automated.selfHea1 = true;
    delete typo.spec.project;
    const findings = await schemaFindings(withExtra(cleanFixture(), { file: "common/shared/argocd/application-prod-api.yaml", object: typo }));
    expect(findings.map((f) => f.rule).sort()).toEqual(["schema/kubernetes", "schema/unknown-field"]);
    expect(findings.every((f) => f.environment === "shared" || f.environment === null)).toBe(true);
  });

  it("accepts free-form fields (list generator elements, Helm values) but not typos around them", async () => {
    const appset = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "ApplicationSet",
      metadata: { name: "estate", namespace: "argocd" },
      spec: {
        goTemplate: true,
        goTemplateOptions: ["missingkey=error"],
        generators: [{ list: { elements: [{ env: "dev", wave: "0" }] } }, { matrix: { generators: [{ list: { elements: [{ a: 1 }] } }, { git: { repoURL: "https://github.com/acme/platform-gitops.git", revision: "main", directories: [{ path: "generated/*/*/*" }] } }] } }],
        strategy: { type: "RollingSync", rollingSync: { steps: [{ matchExpressions: [{ key: "env", operator: "In", values: ["dev"] }] }] } },
        template: { metadata: { name: "{{.env}}" }, spec: { project: "x", source: { repoURL: "https://github.com/acme/platform-gitops.git", path: "x", helm: { valuesObject: { a: { b: 1 } } } }, destination: { server: "https://kubernetes.default.svc", namespace: "x" } } },
      },
    };
    const file = "common/shared/argocd/applicationset.yaml";
    expect(await schemaFindings(withExtra(cleanFixture(), { file, object: structuredClone(appset) }))).toEqual([]);
    const typo = structuredClone(appset) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    typo.spec.strategy.rollingSync.steps[0].maxUpdat = "25%";
    expect(await schemaFindings(withExtra(cleanFixture(), { file, object: typo }))).toMatchObject([{ rule: "schema/unknown-field", generated: { path: "spec.strategy.rollingSync.steps[0].maxUpdat" } }]);
  });

  it("validates the observability and platform kinds with their CRD models (PodMonitor, PrometheusRule, ClusterIssuer, ClusterSecretStore)", async () => {
    const kinds = new Set(cleanFixture().objects.map((o) => `${String(o.object.apiVersion)} ${String(o.object.kind)}`));
    for (const k of ["monitoring.coreos.com/v1 PodMonitor", "monitoring.coreos.com/v1 PrometheusRule", "cert-manager.io/v1 ClusterIssuer", "external-secrets.io/v1 ClusterSecretStore"]) expect(kinds).toContain(k);
    // The clean fixture renders them all and passes (first test); broken ones do not.
    const input = withObject(withObject(cleanFixture(), "prod/prod/api/prometheusrule.yaml", (o) => {
      o.spec.groups[0].rules[0].for = 5;
      delete o.spec.groups[0].name;
    }), "prod/platform/cert-manager/clusterissuer-letsencrypt.yaml", (o) => delete o.spec.acme.privateKeySecretRef);
    const findings = await schemaFindings(input);
    expect(findings.map((f) => [f.rule, f.generated?.file, f.message.replace(/ — .*/, "")]).sort()).toEqual([
      ["schema/kubernetes", "prod/platform/cert-manager/clusterissuer-letsencrypt.yaml", "ClusterIssuer letsencrypt spec.acme must have required property privateKeySecretRef"],
      ["schema/kubernetes", "prod/prod/api/prometheusrule.yaml", "PrometheusRule api spec.groups[0] must have required property name"],
      ["schema/kubernetes", "prod/prod/api/prometheusrule.yaml", "PrometheusRule api spec.groups[0].rules[0].for must be string"],
    ]);
    expect(findings.find((f) => f.generated?.file.includes("clusterissuer"))).toMatchObject({ file: "environments/estate.ts", environment: null, service: null });
  });

  it("finds an unknown field in a PodMonitor, and in the platform's objects", async () => {
    const input = withObject(withObject(cleanFixture(), "nonprod/staging/worker/podmonitor.yaml", (o) => {
      o.spec.podMetricsEndpoints[0].intervall = "15s";
      o.spec.namespaceSelector.matchName = ["x"];
    }), "nonprod/platform/external-secrets/clustersecretstore-nonprod-vault.yaml", (o) => (o.spec.provider.vault.auth.kubernetes.rol = "external-secrets"));
    const findings = await schemaFindings(input);
    expect(findings.map((f) => [f.rule, f.generated?.path, f.file, f.environment]).sort()).toEqual([
      ["schema/unknown-field", "spec.namespaceSelector.matchName", "services/worker/service.ts", "staging"],
      ["schema/unknown-field", "spec.podMetricsEndpoints[0].intervall", "services/worker/service.ts", "staging"],
      ["schema/unknown-field", "spec.provider.vault.auth.kubernetes.rol", "environments/estate.ts", null],
    ]);
  });

  it("accepts any Helm valuesObject in a platform Application, but not typos around it", async () => {
    const file = "common/shared/argocd/application-platform-prod-kube-prometheus-stack.yaml";
    const free = withObject(cleanFixture(), file, (o) => (o.spec.sources[0].helm.valuesObject.anyChartKey = { nested: [{ whatever: true }] }));
    expect(await schemaFindings(free)).toEqual([]);
    const typo = withObject(cleanFixture(), file, (o) => {
      o.spec.sources[0].helm.valueObject = o.spec.sources[0].helm.valuesObject;
      o.spec.syncPolicy.managedNamespaceMetadata.label = {};
    });
    expect((await schemaFindings(typo)).map((f) => [f.rule, f.generated?.path]).sort()).toEqual([
      ["schema/unknown-field", "spec.sources[0].helm.valueObject"],
      ["schema/unknown-field", "spec.syncPolicy.managedNamespaceMetadata.label"],
    ]);
  });

  it("reports a kind no model package knows", async () => {
    const input = withExtra(cleanFixture(), { file: "prod/prod/api/widget.yaml", object: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "api", namespace: "prod-api" } } });
    expect(await schemaFindings(input)).toMatchObject([{ rule: "schema/kubernetes", message: expect.stringContaining("example.com/v1 Widget has no schema") }]);
  });

  it("looks models up by apiVersion and kind", async () => {
    expect(await modelFor("apps/v1", "Deployment")).toBeDefined();
    expect(await modelFor("v1", "ConfigMap")).toBeDefined();
    expect(await modelFor("external-secrets.io/v1", "ExternalSecret")).toBeDefined();
    expect(await modelFor("argoproj.io/v1alpha1", "ApplicationSet")).toBeDefined();
    expect(await modelFor("monitoring.coreos.com/v1", "PodMonitor")).toBeDefined();
    expect(await modelFor("monitoring.coreos.com/v1", "PrometheusRule")).toBeDefined();
    expect(await modelFor("cert-manager.io/v1", "ClusterIssuer")).toBeDefined();
    expect(await modelFor("cert-manager.io/v1", "Certificate")).toBeDefined();
    expect(await modelFor("../../etc", "Passwd")).toBeUndefined();
    const model = (await modelFor("v1", "Service"))!;
    expect(validateWith(model, { apiVersion: "v1", kind: "Service", metadata: { name: "x" }, spec: { ports: [{ port: 80, targetPrt: 8080 }] } }).unknown).toEqual([["spec", "ports", 0, "targetPrt"]]);
  });
});
