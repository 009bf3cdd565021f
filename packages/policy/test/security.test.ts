import { describe, expect, it } from "vitest";
import { baselineRule, ingressTlsRule, noDebugRule, podSecurityRule, readOnlyRootRule, restrictedRule, tlsCovers } from "../src/index.ts";
import { cleanFixture, fixture, run, withExtra, withObject } from "./fixture.ts";

const container = (o: Record<string, any>) => o.spec.template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("security/pod-security", () => {
  it("passes namespaces enforcing the tier's level", () => {
    expect(run(podSecurityRule, cleanFixture())).toEqual([]);
  });

  it("fails a prod namespace enforcing only baseline", () => {
    const input = withObject(cleanFixture(), "prod/prod/api/namespace.yaml", (o) => (o.metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline"));
    expect(run(podSecurityRule, input)).toMatchObject([{ rule: "security/pod-security", file: "environments/prod.ts", path: "tier", environment: "prod", message: expect.stringContaining("requires restricted") }]);
  });
});

describe("security/baseline", () => {
  it("passes every tier's pods", () => {
    expect(run(baselineRule, cleanFixture())).toEqual([]);
  });

  it("fails host namespaces and privileged containers even in dev", () => {
    const input = withObject(cleanFixture(), "nonprod/dev/api/deployment.yaml", (o) => {
      o.spec.template.spec.hostNetwork = true;
      container(o).securityContext.privileged = true;
    });
    expect(run(baselineRule, input).map((f) => f.generated?.path).sort()).toEqual(["spec.template.spec.containers[0].securityContext.privileged", "spec.template.spec.hostNetwork"]);
  });
});

describe("security/restricted", () => {
  it("passes the hardened pod templates", () => {
    expect(run(restrictedRule, cleanFixture())).toEqual([]);
  });

  it("fails staging and prod pods that may run as root or escalate", () => {
    const input = withObject(cleanFixture(), "nonprod/staging/worker/deployment.yaml", (o) => {
      delete o.spec.template.spec.securityContext.runAsNonRoot;
      delete container(o).securityContext.runAsNonRoot;
      container(o).securityContext.capabilities = { drop: ["NET_RAW"] };
    });
    const findings = run(restrictedRule, input);
    expect(findings.map((f) => f.message).join("\n")).toMatch(/may run as root[\s\S]*does not drop ALL/);
    expect(findings.every((f) => f.file === "environments/staging.ts" && f.path === "tier" && f.service === "worker")).toBe(true);
  });

  it("holds dev only to baseline (the dev tier's level)", () => {
    const input = withObject(cleanFixture(), "nonprod/dev/worker/deployment.yaml", (o) => (container(o).securityContext.allowPrivilegeEscalation = true));
    expect(run(restrictedRule, input)).toEqual([]);
  });
});

describe("security/read-only-root", () => {
  it("passes", () => {
    expect(run(readOnlyRootRule, cleanFixture())).toEqual([]);
  });

  it("fails a writable root in prod but not in dev", () => {
    const edit = (o: Record<string, any>) => (container(o).securityContext.readOnlyRootFilesystem = false); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(run(readOnlyRootRule, withObject(cleanFixture(), "prod/prod/report/cronjob.yaml", (o) => (o.spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false)))).toMatchObject([{ environment: "prod", service: "report" }]);
    expect(run(readOnlyRootRule, withObject(cleanFixture(), "nonprod/dev/api/deployment.yaml", edit))).toEqual([]);
  });
});

describe("security/no-debug", () => {
  it("passes: debug access only in dev", () => {
    expect(run(noDebugRule, cleanFixture())).toEqual([]);
  });

  it("fails an exec grant outside dev", () => {
    const role = cleanFixture().objects.find((o) => o.file === "nonprod/dev/api/role-debug.yaml")!;
    const object = structuredClone(role.object) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    object.metadata.namespace = "prod-api";
    const input = withExtra(cleanFixture(), { file: "prod/prod/api/role-debug.yaml", object });
    expect(run(noDebugRule, input)).toMatchObject([{ rule: "security/no-debug", environment: "prod", file: "environments/prod.ts", message: expect.stringContaining("pods/exec") }]);
  });

  it("fails debug logging where the tier forbids debugging, pointing at the override", () => {
    const input = fixture({ services: (s) => (s.worker!.environments = { dev: { logLevel: "debug" }, staging: {}, prod: { logLevel: "debug" } }) });
    expect(run(noDebugRule, input)).toMatchObject([{ file: "services/worker/service.ts", path: "environments.prod.logLevel", environment: "prod" }]);
  });

  it("fails a TTY left open in prod", () => {
    const input = withObject(cleanFixture(), "prod/prod/api/rollout.yaml", (o) => (container(o).tty = true));
    expect(run(noDebugRule, input)).toHaveLength(1);
  });
});

describe("security/ingress-tls", () => {
  const hubIngress = "common/platform/opentelemetry-collector/ingress-otlp.yaml";

  it("passes services' and the hub's Ingresses: a tls entry with a secret per host, the account's issuer", () => {
    const ingresses = cleanFixture().objects.filter((o) => o.object.kind === "Ingress").map((o) => o.file);
    expect(ingresses).toContain("prod/prod/api/ingress.yaml");
    expect(ingresses).toContain(hubIngress);
    expect(run(ingressTlsRule, cleanFixture())).toEqual([]);
  });

  it("fails an Ingress without TLS, at the service's public host", () => {
    const input = withObject(cleanFixture(), "prod/prod/api/ingress.yaml", (o) => delete o.spec.tls);
    expect(run(ingressTlsRule, input)).toEqual([
      {
        rule: "security/ingress-tls",
        file: "services/api/service.ts",
        path: "public",
        message: "Ingress api serves api.example.dev without TLS: no spec.tls entry lists it",
        fix: 'add { hosts: ["api.example.dev"], secretName: "<name>-tls" } to spec.tls (a base fix)',
        environment: "prod",
        service: "api",
        generated: { file: "prod/prod/api/ingress.yaml", path: "spec.rules[0].host" },
      },
    ]);
  });

  it("fails a tls entry for another host, or without a secret", () => {
    expect(run(ingressTlsRule, withObject(cleanFixture(), "nonprod/dev/api/ingress.yaml", (o) => (o.spec.tls[0].hosts = ["www.dev.nonprod.example.dev"])))).toMatchObject([{ environment: "dev", message: expect.stringContaining("serves api.dev.nonprod.example.dev without TLS") }]);
    expect(run(ingressTlsRule, withObject(cleanFixture(), "nonprod/dev/api/ingress.yaml", (o) => delete o.spec.tls[0].secretName))).toMatchObject([{ generated: { path: "spec.tls[0].secretName" }, message: expect.stringContaining("without a secretName") }]);
  });

  it("fails a missing or foreign cluster issuer, at the account's issuer for the platform", () => {
    const missing = withObject(cleanFixture(), "prod/prod/api/ingress.yaml", (o) => delete o.metadata.annotations["cert-manager.io/cluster-issuer"]);
    expect(run(ingressTlsRule, missing)).toMatchObject([{ file: "services/api/service.ts", message: expect.stringContaining("has no cert-manager.io/cluster-issuer annotation"), fix: expect.stringContaining("letsencrypt") }]);
    const foreign = withObject(cleanFixture(), hubIngress, (o) => (o.metadata.annotations["cert-manager.io/cluster-issuer"] = "letsencrypt-staging"));
    expect(run(ingressTlsRule, foreign)).toMatchObject([{ file: "environments/estate.ts", path: "accounts.common.ingress.clusterIssuer", environment: null, generated: { file: hubIngress, path: 'metadata.annotations["cert-manager.io/cluster-issuer"]' } }]);
  });

  it("fails rules and backends that answer for any host", () => {
    const input = withObject(cleanFixture(), hubIngress, (o) => {
      delete o.spec.rules[0].host;
      o.spec.defaultBackend = o.spec.rules[0].http.paths[0].backend;
    });
    expect(run(ingressTlsRule, input).map((f) => f.generated?.path).sort()).toEqual(["spec.defaultBackend", "spec.rules[0]"]);
  });

  it("lets a wildcard cover exactly one label", () => {
    expect(tlsCovers("*.example.dev", "api.example.dev")).toBe(true);
    expect(tlsCovers("*.example.dev", "a.b.example.dev")).toBe(false);
    expect(tlsCovers("*.example.dev", "example.dev")).toBe(false);
    expect(tlsCovers("API.example.dev", "api.example.dev")).toBe(true);
  });
});
