import { describe, expect, it } from "vitest";
import { baselineRule, check, networkPolicyRule, parityRule, pinnedRule, restrictedRule } from "../src/index.ts";
import { cleanFixture, fixture, run, withObject } from "./fixture.ts";

/** The fixture's pull-request preview of api (its dev environment, as pull request 0). */
const PREVIEW = "nonprod/preview/api/deployment.yaml";
const only = { rules: [pinnedRule], schemas: false, today: "2026-12-01" } as const;

describe("pull-request previews under the rules", () => {
  it("are checked as the environment they copy: a fault only the preview shows is found there, for dev", () => {
    // Not vacuous: the preview folder is in the build and clean.
    expect(cleanFixture().objects.some((o) => o.file === PREVIEW)).toBe(true);
    expect(run(pinnedRule, cleanFixture())).toEqual([]);
    const latest = withObject(cleanFixture(), PREVIEW, (o) => (o.spec.template.spec.containers[0].image = "registry.common.example.dev/core/api:latest"));
    expect(run(pinnedRule, latest)).toMatchObject([{ rule: "images/pinned", file: "services/api/service.ts", path: "version", environment: "dev", service: "api", generated: { file: PREVIEW } }]);
    // Against dev's tier: a privileged container breaks its baseline; a root one is within it (restricted is staging's).
    const privileged = withObject(cleanFixture(), PREVIEW, (o) => (o.spec.template.spec.containers[0].securityContext.privileged = true));
    expect(run(baselineRule, privileged)).toMatchObject([{ rule: "security/baseline", environment: "dev", generated: { file: PREVIEW } }]);
    const root = withObject(cleanFixture(), PREVIEW, (o) => delete o.spec.template.spec.securityContext.runAsNonRoot);
    expect(run(restrictedRule, root)).toEqual([]);
  });

  it("check their network policies against the namespaces previews call and are called from", () => {
    expect(run(networkPolicyRule, cleanFixture())).toEqual([]);
    const open = withObject(cleanFixture(), "nonprod/preview/api/networkpolicy.yaml", (o) => (o.spec.ingress[0].from = [{ namespaceSelector: {} }]));
    expect(run(networkPolicyRule, open)).toMatchObject([{ rule: "isolation/network-policy", environment: "dev", generated: { file: "nonprod/preview/api/networkpolicy.yaml" } }]);
  });

  it("report a fault they share with their environment once, for the environment", () => {
    const input = fixture({ services: (s) => (s.api!.environments.dev = { version: "latest" }) });
    expect(run(pinnedRule, input)).toMatchObject([{ path: "environments.dev.version", environment: "dev", generated: { file: "nonprod/dev/api/deployment.yaml" } }]);
  });

  it("are waived by their environment's waivers, and never compared by parity", async () => {
    const waived = withObject(
      fixture({ services: (s) => (s.api!.waivers = [{ rule: "images/pinned", reason: "the preview tracks the nightly build", expires: "2026-12-31", environments: ["dev"] }]) }),
      PREVIEW,
      (o) => (o.spec.template.spec.containers[0].image = "registry.common.example.dev/core/api:latest"),
    );
    const report = await check(waived, only);
    expect(report.findings).toEqual([]);
    expect(report.waived).toMatchObject([{ environment: "dev", generated: { file: PREVIEW } }]);
    // A preview differs from dev in its namespace, its callers' and callees' namespaces and its missing public host.
    expect(run(parityRule, cleanFixture())).toEqual([]);
  });
});
