import { describe, expect, it } from "vitest";
import { formatParityTables, parityRule, parityTables } from "../src/index.ts";
import { cleanFixture, fixture, run, withDeployment } from "./fixture.ts";

describe("parity/allowed-differences", () => {
  it("passes differences in size, version, URLs, secret refs and log level", () => {
    const input = fixture({
      services: (s) =>
        (s.api!.environments = {
          dev: { version: "1.3.0-rc.1", logLevel: "warn" },
          staging: { secrets: { DATABASE_URL: { key: "api/database-staging", property: "url" } } },
          prod: { replicas: 4, resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } }, urls: { PARTNER_URL: "https://live.partner.example.com" } },
        }),
    });
    expect(run(parityRule, input)).toEqual([]);
    const api = parityTables(input.estate).find((t) => t.service === "api")!;
    const kinds = Object.fromEntries(api.rows.map((r) => [r.field, r.kind]));
    expect(kinds).toMatchObject({ version: "version", replicas: "size", "resources.requests.cpu": "size", "config.PARTNER_URL": "url", "ingress.host": "url", "secrets.DATABASE_URL.key": "secret ref", logLevel: "log level", podSecurity: "tier", namespace: "placement" });
    expect(Object.values(kinds)).not.toContain(null);
  });

  it("fails a config value that differs between environments", () => {
    const input = withDeployment(cleanFixture(), "api", "staging", (d) => (d.config.MODE = "slow"));
    expect(run(parityRule, input)).toMatchObject([{ rule: "parity/allowed-differences", file: "services/api/service.ts", path: "config.MODE", environment: "staging", message: expect.stringContaining("config.MODE is \"slow\" in staging but \"fast\" in dev") }]);
  });

  it("fails a different command or image repository in one environment", () => {
    const input = withDeployment(cleanFixture(), "worker", "prod", (d) => {
      d.command = ["/bin/other"];
      d.image = "registry.common.example.dev/core/worker-fork:2.0.0";
    });
    expect(run(parityRule, input).map((f) => f.message.split(" ")[0]).sort()).toEqual(["command", "image"]);
  });

  it("fails an object rendered in some environments only, unless a setting explains it", () => {
    const input = { ...cleanFixture(), objects: cleanFixture().objects.filter((o) => o.file !== "nonprod/staging/api/service.yaml") };
    expect(run(parityRule, input)).toMatchObject([{ environment: "staging", service: "api", message: expect.stringContaining("Service/api is rendered in dev, prod but not in staging") }]);
    // HPA, PDB and debug access come and go with the tier: no finding in the clean fixture, which has all three.
    expect(run(parityRule, cleanFixture())).toEqual([]);
  });

  it("prints a per-service table of differences with their kinds", () => {
    const text = formatParityTables(parityTables(cleanFixture().estate)).join("\n");
    expect(text).toContain("api (services/api/service.ts): dev · staging · prod");
    expect(text).toMatch(/config\.PARTNER_URL\s+url\s+https:\/\/sandbox\.partner\.example\.com\s+https:\/\/sandbox\.partner\.example\.com\s+https:\/\/live\.partner\.example\.com/);
    expect(text).toMatch(/replicas\s+size\s+1\s+2\s+3/);
    expect(text).not.toContain("NOT ALLOWED");
  });
});
