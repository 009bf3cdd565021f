import { describe, expect, it } from "vitest";
import { checkLabel, checkName, collisionRule, labelsRule, rfc1123Rule } from "../src/index.ts";
import { cleanFixture, fixture, run, withDeployment, withExtra, withObject } from "./fixture.ts";

describe("name checks", () => {
  it("know labels, RFC 1035 service names and subdomains", () => {
    expect(checkName("prod-payments", "label")).toBeUndefined();
    expect(checkName("a".repeat(64), "label")).toContain("over the 63");
    expect(checkName("9lives", "service")).toContain("RFC 1035");
    expect(checkName("payments.v1", "subdomain")).toBeUndefined();
    expect(checkName("Payments", "subdomain")).toContain("RFC 1123 subdomain");
    expect(checkLabel("app.kubernetes.io/name", "payments")).toBeUndefined();
    expect(checkLabel("team", "x".repeat(64))).toContain("over the 63");
    expect(checkLabel("bad key!", "x")).toContain("not a label name");
  });
});

describe("names/rfc1123", () => {
  it("passes every rendered name", () => {
    expect(run(rfc1123Rule, cleanFixture())).toEqual([]);
  });

  it("fails an invalid object name and a too-long port name", () => {
    const input = withObject(cleanFixture(), "prod/prod/api/rollout.yaml", (o) => {
      o.metadata.name = "API_Server";
      o.spec.template.spec.containers[0].ports[0].name = "http-primary-port";
    });
    expect(run(rfc1123Rule, input).map((f) => f.generated?.path).sort()).toEqual(["metadata.name", "spec.template.spec.containers[0].ports[0].name"]);
  });

  it("fails an ArgoCD Application name over 63 characters (its tracking label)", () => {
    const name = `prod-${"x".repeat(60)}`;
    const input = withExtra(cleanFixture(), { file: "common/shared/argocd/application-long.yaml", object: { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: "argocd" } } });
    expect(run(rfc1123Rule, input)).toMatchObject([{ rule: "names/rfc1123", environment: "shared", message: expect.stringContaining("tracking label") }]);
  });
});

describe("names/labels", () => {
  it("passes every rendered label", () => {
    expect(run(labelsRule, cleanFixture())).toEqual([]);
  });

  it("fails a label value over 63 characters, at the field that feeds it", () => {
    const input = withObject(cleanFixture(), "nonprod/dev/worker/configmap.yaml", (o) => (o.metadata.labels.team = "t".repeat(70)));
    expect(run(labelsRule, input)).toMatchObject([{ rule: "names/labels", file: "services/worker/service.ts", path: "team", environment: "dev" }]);
  });
});

describe("names/collision", () => {
  it("passes distinct names", () => {
    expect(run(collisionRule, cleanFixture())).toEqual([]);
  });

  it("fails two services whose namespaces collide in one account (dev + a-b = dev-a + b)", () => {
    const input = fixture({
      environments: (e) => (e["dev-a"] = { name: "dev-a", account: "nonprod", tier: "dev", wave: 0, domain: "dev-a.nonprod.example.dev" }),
      services: (s) => {
        s["a-b"] = { ...s.worker!, name: "a-b", dependsOn: [], environments: { dev: {} } };
        s.b = { ...s.worker!, name: "b", dependsOn: [], environments: { "dev-a": {} } };
      },
    });
    const findings = run(collisionRule, input);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings[0]).toMatchObject({ rule: "names/collision", file: "services/b/service.ts", path: "name", environment: "dev-a" });
    expect(findings.map((f) => f.message).join("\n")).toContain("Namespace dev-a-b is also rendered by generated/nonprod/dev/a-b/namespace.yaml");
  });

  it("fails two environments of one account serving the same public host", () => {
    const dev = cleanFixture().estate.deployments.find((d) => d.service === "api" && d.environment === "dev")!;
    const input = withDeployment(cleanFixture(), "api", "staging", (d) => (d.ingress.host = dev.ingress!.host));
    expect(run(collisionRule, input)).toMatchObject([{ environment: "staging", message: expect.stringContaining(`public host ${dev.ingress!.host}/ is also served by dev/api`) }]);
  });
});
