import { describe, expect, it } from "vitest";
import { check, formatFinding, formatReport, policyRules, ruleIds } from "../src/index.ts";
import { cleanFixture, fixture, withObject } from "./fixture.ts";

describe("check", () => {
  it("finds nothing in a clean estate, schemas included", async () => {
    const report = await check(cleanFixture(), { today: "2026-06-01" });
    expect(report.findings).toEqual([]);
    expect(report.counts).toMatchObject({ findings: 0, waived: 0, objects: cleanFixture().objects.length });
    expect(report.rules.map((r) => r.id)).toEqual([...policyRules.map((r) => r.id), "schema/kubernetes", "schema/unknown-field"]);
    expect(formatReport(report, cleanFixture()).at(-1)).toMatch(/^policy: no findings; \d+ rules over \d+ objects\.$/);
  });

  it("has a unique, well-formed id for every rule", () => {
    expect(new Set(ruleIds).size).toBe(ruleIds.length);
    for (const id of ruleIds) expect(id).toMatch(/^[a-z0-9-]+\/[a-z0-9-]+$/);
  });

  it("reports every finding at once, grouped by environment with counts, as file: path: rule: message — fix", async () => {
    const input = withObject(
      fixture({ services: (s) => (s.worker!.environments = { dev: { version: "latest" }, staging: {}, prod: { version: "2.1.0-rc.1" } }) }),
      "prod/prod/api/rollout.yaml",
      (o) => (o.spec.replicaz = 3),
    );
    const report = await check(input, { today: "2026-06-01" });
    expect(report.counts.environments).toEqual({ dev: 1, prod: 2 });
    expect(report.counts.rules).toEqual({ "images/pinned": 1, "images/immutable": 1, "schema/unknown-field": 1 });
    const lines = formatReport(report, input);
    expect(lines).toEqual([
      "dev (account nonprod, tier dev): 1 finding",
      `  ${formatFinding(report.findings[0]!)}`,
      "",
      "prod (account prod, tier prod): 2 findings",
      `  ${formatFinding(report.findings[1]!)}`,
      `  ${formatFinding(report.findings[2]!)}`,
      "",
      expect.stringMatching(/^policy: 3 findings \(1 in dev, 2 in prod; images\/immutable 1, images\/pinned 1, schema\/unknown-field 1\); \d+ rules over \d+ objects\.$/),
    ]);
    expect(lines[1]).toMatch(/^  services\/worker\/service\.ts: environments\.dev\.version: images\/pinned: image registry\.common\.example\.dev\/core\/worker:latest uses the moving tag latest \(generated\/nonprod\/dev\/worker\/deployment\.yaml at spec\.template\.spec\.containers\[0\]\.image\) — pin a version such as 1\.4\.2$/);
  });
});
