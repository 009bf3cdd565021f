import { resolve } from "@gitops/model";
import { describe, expect, it } from "vitest";
import { check, formatReport, immutableRule, pinnedRule } from "../src/index.ts";
import { environmentInputs, estateInput, fixture, serviceInputs } from "./fixture.ts";

const TODAY = "2026-06-01";
const prerelease = (waivers: NonNullable<ReturnType<typeof serviceInputs>["worker"]>["waivers"]) =>
  fixture({
    services: (s) => {
      s.worker!.version = "2.1.0-rc.1";
      s.worker!.waivers = waivers;
    },
  });
const only = { rules: [immutableRule, pinnedRule], schemas: false, today: TODAY } as const;

describe("waivers", () => {
  it("waive one rule for one service until the expiry date, and show in the report", async () => {
    const input = prerelease([{ rule: "images/immutable", reason: "rc.1 is the release candidate signed off by payments QA; 2.1.0 ships in June", expires: "2026-06-30" }]);
    const report = await check(input, only);
    expect(report.findings).toEqual([]);
    expect(report.waived).toMatchObject([{ rule: "images/immutable", service: "worker", environment: "prod", waiver: { file: "services/worker/service.ts", path: "waivers[0]", expires: "2026-06-30" } }]);
    expect(report.waivers).toMatchObject([{ service: "worker", rule: "images/immutable", status: "active", waived: 1, environments: null }]);
    const text = formatReport(report, input).join("\n");
    expect(text).toContain("services/worker/service.ts: waivers[0]: images/immutable until 2026-06-30 [active, waives 1 finding]: rc.1 is the release candidate");
    expect(text).toMatch(/waived: services\/worker\/service\.ts: version: images\/immutable: /);
  });

  it("still hold on their last day, and turn into a finding the day after", async () => {
    const waiver = { rule: "images/immutable", reason: "rc.1 is the release candidate signed off by QA", expires: TODAY };
    expect((await check(prerelease([waiver]), only)).findings).toEqual([]);
    const report = await check(prerelease([waiver]), { ...only, today: "2026-06-02" });
    expect(report.findings.map((f) => [f.rule, f.path])).toEqual([
      ["waivers/expired", "waivers[0].expires"],
      ["images/immutable", "version"],
    ]);
    expect(report.waivers[0]!.status).toBe("expired");
  });

  it("cover only the environments they list", async () => {
    const input = fixture({
      services: (s) => {
        s.worker!.version = "latest";
        s.worker!.waivers = [{ rule: "images/pinned", reason: "dev tracks the nightly build on purpose", expires: "2026-12-31", environments: ["dev"] }];
      },
    });
    const report = await check(input, only);
    expect(report.waived.map((f) => f.environment)).toEqual(["dev"]);
    expect(report.findings.filter((f) => f.rule === "images/pinned").map((f) => f.environment)).toEqual(["prod", "staging"]);
  });

  it("are findings when they name no waivable rule, or waive nothing", async () => {
    const input = fixture({
      services: (s) =>
        (s.api!.waivers = [
          { rule: "images/nope", reason: "a rule that does not exist", expires: "2026-12-31" },
          { rule: "schema/unknown-field", reason: "validation cannot be waived", expires: "2026-12-31" },
          { rule: "images/pinned", reason: "nothing here is unpinned anyway", expires: "2026-12-31" },
        ]),
    });
    const report = await check(input, only);
    expect(report.findings.map((f) => [f.rule, f.path, f.message])).toEqual([
      ["waivers/invalid", "waivers[0].rule", "images/nope is not a rule"],
      ["waivers/invalid", "waivers[1].rule", "schema/unknown-field validates what is generated and cannot be waived"],
      ["waivers/unused", "waivers[2]", "waives images/pinned, which finds nothing to waive"],
    ]);
  });

  it("live only in typed config: the service schema checks rule, reason, date and environments", () => {
    const services = serviceInputs();
    services.worker!.waivers = [{ rule: "Images Immutable", reason: "short", expires: "30/06/2026", environments: ["qa"] }];
    const resolution = resolve({
      estate: { file: "environments/estate.ts", value: estateInput() },
      environments: Object.entries(environmentInputs()).map(([n, value]) => ({ file: `environments/${n}.ts`, value })),
      services: Object.entries(services).map(([n, value]) => ({ file: `services/${n}/service.ts`, value })),
    });
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.problems.map((p) => p.path)).toEqual(["waivers[0].environments[0]", "waivers[0].expires", "waivers[0].reason", "waivers[0].rule"]);
  });
});
