import { describe, expect, it } from "vitest";
import { antiAffinityRule, disruptionBudgetRule, probesRule, replicasRule, resourcesRule, rolloutRule } from "../src/index.ts";
import { cleanFixture, fixture, run, withObject } from "./fixture.ts";

// prod rolls out by canary (the prod tier's default strategy): its pods are a Rollout's.
const DEPLOY = { dev: "nonprod/dev/api/deployment.yaml", staging: "nonprod/staging/api/deployment.yaml", prod: "prod/prod/api/rollout.yaml" };
const container = (o: Record<string, any>) => o.spec.template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("tier/replicas", () => {
  it("passes the tiers' own replica counts and autoscaler bounds", () => {
    expect(run(replicasRule, cleanFixture())).toEqual([]);
  });

  it("fails a fixed count outside the tier's range, pointing at the tier the environment chose", () => {
    const input = withObject(cleanFixture(), DEPLOY.dev, (o) => (o.spec.replicas = 2));
    const [f, ...rest] = run(replicasRule, input);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule: "tier/replicas", file: "environments/dev.ts", path: "tier", environment: "dev", service: "api", generated: { file: DEPLOY.dev, path: "spec.replicas" } });
    expect(f!.message).toContain("outside the dev tier's 1–1");
  });

  it("counts the autoscaler's minimum (HPA) against the tier's floor", () => {
    const input = withObject(cleanFixture(), "prod/prod/api/horizontalpodautoscaler.yaml", (o) => (o.spec.minReplicas = 2));
    expect(run(replicasRule, input)).toMatchObject([{ rule: "tier/replicas", file: "environments/prod.ts", path: "tier", generated: { path: "spec.minReplicas" } }]);
  });

  it("fails an autoscaler ceiling above the tier's, pointing at the override that set it", () => {
    const input = fixture({ services: (s) => (s.api!.environments.prod = { autoscaling: { maxReplicas: 60 } }) });
    expect(run(replicasRule, input)).toMatchObject([{ file: "services/api/service.ts", path: "environments.prod.autoscaling.maxReplicas", environment: "prod" }]);
  });
});

describe("tier/resources", () => {
  it("passes containers at or above the tier's figures", () => {
    expect(run(resourcesRule, fixture({ services: (s) => (s.api!.environments.prod = { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } } }) }))).toEqual([]);
  });

  it("fails a request below the tier's floor and a missing limit, on every container", () => {
    const input = withObject(cleanFixture(), DEPLOY.prod, (o) => {
      container(o).resources.requests.cpu = "100m";
      delete container(o).resources.limits.memory;
    });
    const findings = run(resourcesRule, input);
    expect(findings.map((f) => f.generated?.path).sort()).toEqual(["spec.template.spec.containers[0].resources.limits.memory", "spec.template.spec.containers[0].resources.requests.cpu"]);
    expect(findings[0]).toMatchObject({ file: "environments/prod.ts", path: "tier" });
    expect(findings.map((f) => f.message).join("\n")).toMatch(/requests.cpu is 100m, below the prod tier's 500m[\s\S]*has no limits.memory/);
  });

  it("checks init containers and CronJob pods too", () => {
    const input = withObject(cleanFixture(), "prod/prod/report/cronjob.yaml", (o) => {
      o.spec.jobTemplate.spec.template.spec.initContainers = [{ name: "migrate", image: "registry.common.example.dev/data/report:0.3.0" }];
    });
    expect(run(resourcesRule, input)).toHaveLength(4);
  });
});

describe("tier/anti-affinity", () => {
  it("passes preferred in staging and required in prod", () => {
    expect(run(antiAffinityRule, cleanFixture())).toEqual([]);
  });

  it("fails prod with only preferred anti-affinity: the tier says required", () => {
    const input = withObject(cleanFixture(), DEPLOY.prod, (o) => {
      const term = o.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
      o.spec.template.spec.affinity.podAntiAffinity = { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] };
    });
    expect(run(antiAffinityRule, input)).toMatchObject([{ rule: "tier/anti-affinity", file: "environments/prod.ts", path: "tier", environment: "prod" }]);
  });

  it("fails a term that selects other pods", () => {
    const input = withObject(cleanFixture(), "nonprod/staging/worker/deployment.yaml", (o) => {
      o.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels = { "app.kubernetes.io/name": "api" };
    });
    expect(run(antiAffinityRule, input)).toMatchObject([{ environment: "staging", service: "worker" }]);
  });
});

describe("tier/rollout", () => {
  it("passes the tiers' rolling updates", () => {
    expect(run(rolloutRule, cleanFixture())).toEqual([]);
  });

  it("fails pods going unavailable during a prod rollout (zero-downtime)", () => {
    const input = withObject(cleanFixture(), DEPLOY.prod, (o) => (o.spec.strategy.canary.maxUnavailable = "50%"));
    expect(run(rolloutRule, input)).toMatchObject([{ rule: "tier/rollout", file: "environments/prod.ts", path: "tier", message: expect.stringContaining("Rollout api lets 1 of 3 pods be unavailable"), generated: { path: "spec.strategy.canary.maxUnavailable" } }]);
  });

  it("fails Recreate, and a rollout that can neither surge nor drop a pod", () => {
    const recreate = withObject(cleanFixture(), DEPLOY.staging, (o) => (o.spec.strategy = { type: "Recreate" }));
    expect(run(rolloutRule, recreate)).toMatchObject([{ environment: "staging", message: expect.stringContaining("Recreate") }]);
    const stuck = withObject(cleanFixture(), DEPLOY.prod, (o) => (o.spec.strategy.canary.maxSurge = 0));
    expect(run(rolloutRule, stuck)).toMatchObject([{ message: expect.stringContaining("can never start") }]);
  });

  it("passes a blue-green Rollout, which takes nothing down before the switch", () => {
    const input = fixture({ services: (s) => (s.api!.environments.prod = { strategy: "blueGreen" }) });
    expect(input.objects.some((o) => o.file === DEPLOY.prod && (o.object.spec as { strategy: { blueGreen?: unknown } }).strategy.blueGreen)).toBe(true);
    expect(run(rolloutRule, input)).toEqual([]);
  });

  it("lets dev take its one pod down (the dev tier allows it)", () => {
    expect(run(rolloutRule, withObject(cleanFixture(), DEPLOY.dev, (o) => (o.spec.strategy.rollingUpdate.maxUnavailable = 1)))).toEqual([]);
  });
});

describe("tier/disruption-budget", () => {
  it("passes a budget on every multi-replica workload", () => {
    expect(run(disruptionBudgetRule, cleanFixture())).toEqual([]);
  });

  it("fails a prod workload without a budget", () => {
    const input = { ...cleanFixture(), objects: cleanFixture().objects.filter((o) => o.file !== "prod/prod/api/poddisruptionbudget.yaml") };
    expect(run(disruptionBudgetRule, input)).toMatchObject([{ rule: "tier/disruption-budget", environment: "prod", service: "api", file: "environments/prod.ts" }]);
  });

  it("fails a budget that blocks drains or exceeds the tier's figure", () => {
    const blocks = withObject(cleanFixture(), "prod/prod/api/poddisruptionbudget.yaml", (o) => (o.spec.maxUnavailable = 0));
    expect(run(disruptionBudgetRule, blocks)).toMatchObject([{ message: expect.stringContaining("node drains hang") }]);
    const loose = withObject(cleanFixture(), "prod/prod/api/poddisruptionbudget.yaml", (o) => (o.spec.maxUnavailable = 2));
    expect(run(disruptionBudgetRule, loose)).toMatchObject([{ message: expect.stringContaining("allows 1") }]);
  });
});

describe("tier/probes", () => {
  it("passes serving containers with probes on declared ports", () => {
    expect(run(probesRule, cleanFixture())).toEqual([]);
  });

  it("fails a serving container without a readiness probe, pointing at the service's health", () => {
    const input = withObject(cleanFixture(), DEPLOY.staging, (o) => delete container(o).readinessProbe);
    expect(run(probesRule, input)).toMatchObject([{ rule: "tier/probes", file: "services/api/service.ts", path: "health", generated: { path: "spec.template.spec.containers[0].readinessProbe" } }]);
  });

  it("fails a probe on a port the container does not declare", () => {
    const input = withObject(cleanFixture(), "prod/prod/worker/rollout.yaml", (o) => (container(o).livenessProbe.httpGet.port = "metrics"));
    expect(run(probesRule, input)).toMatchObject([{ service: "worker", message: expect.stringContaining('"metrics"') }]);
  });
});
