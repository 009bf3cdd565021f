import { describe, expect, it } from "vitest";
import { Context, formatParityTables, normalizeForParity, parityRule, parityTables } from "../src/index.ts";
import { cleanFixture, fixture, run, withDeployment, withExtra, withObject } from "./fixture.ts";

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

  it("lets the workload's objects follow its strategy (Deployment in dev and staging, Rollout and its analysis in prod), and nothing else", () => {
    const clean = cleanFixture();
    const prod = clean.objects.filter((o) => o.file.startsWith("prod/prod/api/")).map((o) => o.file.split("/").at(-1));
    expect(prod).toEqual(expect.arrayContaining(["rollout.yaml", "analysistemplate.yaml", "externalsecret-hub-query-credentials.yaml"]));
    expect(prod).not.toContain("deployment.yaml");
    const kinds = Object.fromEntries(parityTables(clean.estate).find((t) => t.service === "api")!.rows.filter((r) => r.field.startsWith("delivery.")).map((r) => [r.field, r.kind]));
    expect(kinds).toMatchObject({ "delivery.strategy": "tier", "delivery.analysis.metrics.account": "placement" });
    // A canary in staging too: what one of the two lacks is a finding.
    const canaries = fixture({ services: (x) => (x.api!.environments.staging = { strategy: "canary" }) });
    expect(run(parityRule, canaries)).toEqual([]);
    const without = (file: string) => ({ ...canaries, objects: canaries.objects.filter((o) => o.file !== file) });
    expect(run(parityRule, without("nonprod/staging/api/externalsecret-hub-query-credentials.yaml"))).toMatchObject([{ environment: "staging", message: expect.stringContaining("ExternalSecret/hub-query-credentials is missing in staging, though its resolved settings say otherwise") }]);
    expect(run(parityRule, without("prod/prod/api/analysistemplate.yaml"))).toMatchObject([{ environment: "prod", message: expect.stringContaining("AnalysisTemplate/api is missing in prod") }]);
    const both = withExtra(clean, { file: "nonprod/staging/api/rollout.yaml", object: { ...clean.objects.find((o) => o.file === "prod/prod/api/rollout.yaml")!.object, metadata: { name: "api", namespace: "staging-api" } } });
    expect(run(parityRule, both)).toMatchObject([{ environment: "staging", message: expect.stringContaining("Rollout/api is rendered in staging") }]);
  });

  it("prints a per-service table of differences with their kinds", () => {
    const text = formatParityTables(parityTables(cleanFixture().estate)).join("\n");
    expect(text).toContain("api (services/api/service.ts): dev · staging · prod");
    expect(text).toMatch(/config\.PARTNER_URL\s+url\s+https:\/\/sandbox\.partner\.example\.com\s+https:\/\/sandbox\.partner\.example\.com\s+https:\/\/live\.partner\.example\.com/);
    expect(text).toMatch(/replicas\s+size\s+1\s+2\s+3/);
    expect(text).not.toContain("NOT ALLOWED");
  });
});

describe("parity of tier data: rollout health and alert rules", () => {
  const rule = (file: string) => cleanFixture().objects.find((o) => o.file === file)!.object as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const rules = (o: Record<string, any>) => o.spec.groups[0].rules; // eslint-disable-line @typescript-eslint/no-explicit-any

  it("passes what the tiers make differ: minReadySeconds, progressDeadlineSeconds, alert severity and for", () => {
    // Not vacuous: the clean fixture's tiers do differ in all four.
    const deployments = ["nonprod/dev/api/deployment.yaml", "nonprod/staging/api/deployment.yaml", "prod/prod/api/rollout.yaml"].map((f) => rule(f).spec);
    expect(deployments.map((d) => [d.minReadySeconds, d.progressDeadlineSeconds])).toEqual([[0, 300], [10, 600], [30, 600]]);
    const alerts = ["nonprod/dev/api/prometheusrule.yaml", "nonprod/staging/api/prometheusrule.yaml", "prod/prod/api/prometheusrule.yaml"].map((f) => rules(rule(f))[0]);
    expect(alerts.map((a) => [a.labels.severity, a.for, a.labels.environment])).toEqual([["info", "15m"], ["ticket", "10m"], ["page", "5m"]].map(([s, f], i) => [s, f, ["dev", "staging", "prod"][i]]));
    expect(run(parityRule, cleanFixture())).toEqual([]);
    const kinds = Object.fromEntries(parityTables(cleanFixture().estate).find((t) => t.service === "api")!.rows.map((r) => [r.field, r.kind]));
    expect(kinds).toMatchObject({ minReadySeconds: "tier", progressDeadlineSeconds: "tier", "observability.alerts.severity": "tier", "observability.alerts.for": "tier" });
  });

  it("fails a PrometheusRule that differs between staging and prod in a non-tier field", () => {
    const input = withObject(cleanFixture(), "prod/prod/api/prometheusrule.yaml", (o) => {
      rules(o)[3].expr = rules(o)[3].expr.replace("> 3", "> 10");
      rules(o)[0].labels.team = "oncall";
    });
    const findings = run(parityRule, input);
    expect(findings.map((f) => [f.environment, f.service, f.file, f.generated?.file, f.generated?.path])).toEqual([
      ["prod", "api", "services/api/service.ts", "prod/prod/api/prometheusrule.yaml", "spec.groups[0].rules[0].labels.team"],
      ["prod", "api", "services/api/service.ts", "prod/prod/api/prometheusrule.yaml", "spec.groups[0].rules[3].expr"],
    ]);
    expect(findings[0]!.message).toBe('PrometheusRule api spec.groups[0].rules[0].labels.team is "oncall" in prod but "core" in dev; a PrometheusRule may differ between environments only in placement and its tier\'s data (thresholds, severity, for, the environment label)');
  });

  it("fails an alert added in one environment, or a for or severity that is not the tier's", () => {
    const added = withObject(cleanFixture(), "nonprod/staging/worker/prometheusrule.yaml", (o) => rules(o).push({ ...rules(o)[0], alert: "Extra" }));
    expect(run(parityRule, added)).toMatchObject([{ environment: "staging", message: expect.stringContaining("spec.groups[0].rules is 3 entries in staging but 2 entries in dev") }]);
    const loose = withObject(cleanFixture(), "prod/prod/report/prometheusrule.yaml", (o) => {
      rules(o)[0].for = "1h";
      rules(o)[0].labels.severity = "info";
    });
    expect(run(parityRule, loose).map((f) => f.generated?.path).sort()).toEqual(["spec.groups[0].rules[0].for", "spec.groups[0].rules[0].labels.severity"]);
  });

  it("passes a threshold that differs as the resolved SLO does, and fails one that does not", () => {
    const tighter = (o: Record<string, any>) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      rules(o)[0].expr = rules(o)[0].expr.replace(/> 5$/, "> 1");
      rules(o)[0].annotations.summary = rules(o)[0].annotations.summary.replace("5 %", "1 %");
    };
    const edited = withObject(cleanFixture(), "prod/prod/api/prometheusrule.yaml", tighter);
    expect(run(parityRule, edited).map((f) => f.generated?.path)).toEqual(["spec.groups[0].rules[0].annotations.summary", "spec.groups[0].rules[0].expr"]);
    const withSlo = withDeployment(edited, "api", "prod", (d) => (d.slo = { ...d.slo, errorRatePercent: 1 }));
    expect(run(parityRule, withSlo)).toEqual([]);
  });

  it("fails a PodMonitor scraping differently in one environment", () => {
    const input = withObject(cleanFixture(), "nonprod/staging/api/podmonitor.yaml", (o) => (o.spec.podMetricsEndpoints[0].interval = "5s"));
    expect(run(parityRule, input)).toMatchObject([{ environment: "staging", generated: { path: "spec.podMetricsEndpoints[0].interval" }, message: expect.stringContaining('is "5s" in staging but "30s" in dev') }]);
  });

  it("normalizes placement and tier data only", () => {
    const ctx = new Context(cleanFixture());
    const u = ctx.units.find((x) => x.d.service === "api" && x.d.environment === "prod")!;
    const o = u.objects.find((x) => x.object.kind === "PrometheusRule")!;
    const first = rules(normalizeForParity(u, o.object) as Record<string, any>)[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(first).toMatchObject({ for: "<tier>", labels: { severity: "<tier>", environment: "<placement>", service: "api", team: "core" }, annotations: { summary: "api fails more than <slo> % of requests in <placement>" } });
    expect(first.expr).toMatch(/namespace="<namespace>".*\[5m\].*> <slo>$/);
  });
});

describe("parity of shared config", () => {
  const input = () =>
    fixture({
      estate: (e) => (e.platform = { config: { ASSETS_URL: "https://assets.{domain}", LOCALE: "en-GB" } }),
      services: (s) => (s.api!.sharedConfig = ["ASSETS_URL", "LOCALE"]),
    });

  it("classes a shared setting that differs by its {domain} as a URL, and points at platform.config", () => {
    expect(run(parityRule, input())).toEqual([]);
    const api = parityTables(input().estate).find((t) => t.service === "api")!;
    expect(api.rows.find((r) => r.field === "config.ASSETS_URL")).toMatchObject({ kind: "url", values: { dev: '"https://assets.dev.nonprod.example.dev"', prod: '"https://assets.example.dev"' } });
    expect(api.rows.find((r) => r.field === "config.LOCALE")).toBeUndefined();
    const ctx = new Context(input());
    expect(ctx.configSource(ctx.units.find((u) => u.d.service === "api")!, "ASSETS_URL")).toEqual({ file: "environments/estate.ts", path: "platform.config.ASSETS_URL" });
  });

  it("still fails a shared setting changed in one environment", () => {
    const changed = withDeployment(input(), "api", "staging", (d) => (d.config.LOCALE = "de-DE"));
    expect(run(parityRule, changed)).toMatchObject([{ environment: "staging", file: "environments/estate.ts", path: "platform.config.LOCALE", message: expect.stringContaining("config.LOCALE") }]);
  });
});
