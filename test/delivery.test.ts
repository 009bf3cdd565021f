/**
 * Deployment strategy per tier, as data, with automatic rollback (issue #9): which strategies each tier allows and
 * its default, what a service may choose (and the problem when it chooses what its tier refuses), the Rollout and
 * AnalysisTemplate the bases render instead of a Deployment (file snapshots per tier), that they validate against
 * the Argo Rollouts CRD schemas, and — through the evaluator of the generated conditions and the AnalysisRun
 * semantics — that a canary breaching its SLO is aborted while one within it is promoted.
 */
import { describe, expect, it } from "vitest";
import {
  evaluateCondition,
  EvaluationError,
  measurementPhase,
  NAME_LABEL,
  parseCondition,
  rolloutReaction,
  runAnalysis,
  simulateCanary,
  templateMetrics,
  UnsupportedCondition,
  type MetricSpec,
  type Sample,
} from "../packages/bases/src/index.ts";
import { renderDeployment, renderObjects, toYaml, type RenderedObject } from "../packages/generator/src/index.ts";
import { deliveryStrategies, explain, formatProblem, resolve, TIERS_FILE, tiers, type ResolvedDeployment, type ResolvedEstate, type SourceFile } from "../packages/model/src/index.ts";
import { Context, loadModels, modelFor, schemaRules, validateWith, type PolicyObject } from "../packages/policy/src/index.ts";

type K8s = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const accounts = {
  common: { cluster: { name: "common", server: "https://kubernetes.default.svc" }, domain: "common.example.dev", secretStore: { name: "common-vault" } },
  nonprod: { cluster: { name: "nonprod", server: "https://nonprod.k8s.example.dev" }, domain: "nonprod.example.dev", secretStore: { name: "nonprod-vault" } },
  prod: { cluster: { name: "prod", server: "https://prod.k8s.example.dev" }, domain: "example.dev", secretStore: { name: "prod-vault" } },
};
const base = { repository: { url: "https://github.com/acme/platform-gitops.git" }, registry: "registry.common.example.dev", platformTeam: "@acme/platform" };
/** common runs ArgoCD and no services: it is the hub, and nonprod and prod are spokes. */
const HUB: SourceFile = { file: "environments/estate.ts", value: { ...base, argocdEnvironment: "shared", accounts } };
/** No service-free account: each account is its own hub. */
const OWN: SourceFile = { file: "environments/estate.ts", value: { ...base, accounts: { nonprod: accounts.nonprod, prod: accounts.prod } } };

const ENVIRONMENTS: SourceFile[] = [
  { file: "environments/shared.ts", value: { name: "shared", account: "common", tier: "prod", wave: -1, domain: "common.example.dev" } },
  { file: "environments/dev.ts", value: { name: "dev", account: "nonprod", tier: "dev", wave: 0 } },
  { file: "environments/staging.ts", value: { name: "staging", account: "nonprod", tier: "staging", wave: 1 } },
  { file: "environments/prod.ts", value: { name: "prod", account: "prod", tier: "prod", wave: 2, domain: "example.dev" } },
];

const http = (name: string, body: Record<string, unknown> = {}): SourceFile => ({
  file: `services/${name}/service.ts`,
  value: { name, kind: "http", description: `The ${name} service.`, team: "core", costCenter: "cc-1", image: `core/${name}`, version: "1.2.3", environments: { dev: {}, staging: {}, prod: {} }, ...body },
});
const worker = (name: string, body: Record<string, unknown> = {}): SourceFile => ({
  file: `services/${name}/service.ts`,
  value: { name, kind: "worker", description: `The ${name} worker.`, team: "core", costCenter: "cc-1", image: `core/${name}`, version: "2.0.0", health: { port: 9090 }, environments: { dev: {}, staging: {}, prod: {} }, ...body },
});
const job = (name: string, body: Record<string, unknown> = {}): SourceFile => ({
  file: `services/${name}/service.ts`,
  value: { name, kind: "job", description: `The ${name} job.`, team: "data", costCenter: "cc-2", image: `data/${name}`, version: "0.3.0", schedule: "0 2 * * *", environments: { dev: {}, staging: {}, prod: {} }, ...body },
});

function resolved(services: SourceFile[], estate = HUB): ResolvedEstate {
  const environments = estate === OWN ? ENVIRONMENTS.filter((e) => !e.file.endsWith("shared.ts")) : ENVIRONMENTS;
  const result = resolve({ estate, environments, services });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.estate;
}
function problems(services: SourceFile[]): string[] {
  const result = resolve({ estate: HUB, environments: ENVIRONMENTS, services });
  if (result.ok) throw new Error("expected problems");
  return result.problems.map(formatProblem);
}
const at = (estate: ResolvedEstate, service: string, environment: string): ResolvedDeployment => {
  const d = estate.deployments.find((x) => x.service === service && x.environment === environment);
  if (!d) throw new Error(`no ${service} in ${environment}`);
  return d;
};
/** One deployment's rendered objects by file name (rollout.yaml, service-preview.yaml, …). */
function render(d: ResolvedDeployment): Map<string, RenderedObject> {
  return new Map(renderDeployment(d).map((o) => [o.file.split("/").at(-1)!, o]));
}
const object = (files: Map<string, RenderedObject>, name: string): K8s => {
  const o = files.get(name);
  if (!o) throw new Error(`no ${name}; have ${[...files.keys()].join(", ")}`);
  return o.object as K8s;
};

const allowed = (tier: keyof typeof tiers) => deliveryStrategies.filter((s) => (tiers[tier].delivery.strategies as Record<string, unknown>)[s] !== undefined);

describe("delivery is tier data", () => {
  it("lets dev roll, staging choose rolling, canary or blue-green, and prod only canary (default) or blue-green", () => {
    expect(Object.fromEntries(Object.keys(tiers).map((t) => [t, { allowed: allowed(t as keyof typeof tiers), default: tiers[t as keyof typeof tiers].delivery.default }]))).toEqual({
      dev: { allowed: ["rolling"], default: "rolling" },
      staging: { allowed: ["rolling", "canary", "blueGreen"], default: "rolling" },
      prod: { allowed: ["canary", "blueGreen"], default: "canary" },
    });
  });

  it("holds parameters that can work: a default the tier allows, rising weights, analyses that can fail", () => {
    for (const [name, tier] of Object.entries(tiers)) {
      expect(allowed(name as keyof typeof tiers), name).toContain(tier.delivery.default);
      const { canary, blueGreen } = tier.delivery.strategies as { canary?: (typeof tiers.prod.delivery.strategies)["canary"]; blueGreen?: (typeof tiers.prod.delivery.strategies)["blueGreen"] };
      for (const analysis of [canary?.analysis, blueGreen?.analysis].filter((a) => a !== undefined)) {
        expect(analysis.count, name).toBeGreaterThan(analysis.failureLimit);
        expect(analysis.interval, name).toMatch(/^[1-9][0-9]*[sm]$/);
      }
      if (canary) {
        const weights = canary.steps.map((s) => s.weight);
        expect(weights, name).toEqual([...weights].sort((a, b) => a - b));
        expect(Math.max(...weights), name).toBeLessThan(100);
        for (const s of canary.steps) expect(s.pause, name).toMatch(/^[1-9][0-9]*[sm]$/);
      }
    }
  });
});

describe("resolving a service's strategy", () => {
  const estate = resolved([
    http("api"),
    http("shop", { strategy: "canary", environments: { dev: { strategy: "rolling" }, staging: {}, prod: { strategy: "blueGreen" } } }),
    worker("mailer"),
    job("report"),
  ]);

  it("takes the tier's default, the service's choice, then the environment's, with the origin of each", () => {
    const row = (service: string, env: string) => {
      const d = at(estate, service, env);
      return [d.delivery?.strategy, d.origins["delivery.strategy"]?.layer, d.origins["delivery.strategy"]?.file];
    };
    expect(row("api", "dev")).toEqual(["rolling", "tier", "environments/dev.ts"]);
    expect(row("api", "staging")).toEqual(["rolling", "tier", "environments/staging.ts"]);
    expect(row("api", "prod")).toEqual(["canary", "tier", "environments/prod.ts"]);
    expect(row("shop", "dev")).toEqual(["rolling", "override", "services/shop/service.ts"]);
    expect(row("shop", "staging")).toEqual(["canary", "service", "services/shop/service.ts"]);
    expect(row("shop", "prod")).toEqual(["blueGreen", "override", "services/shop/service.ts"]);
    expect(row("mailer", "prod")).toEqual(["canary", "tier", "environments/prod.ts"]);
    // Jobs have no strategy: every run is a new pod.
    expect(at(estate, "report", "prod").delivery).toBeUndefined();
  });

  it("carries the tier's parameters, and the hub's metrics for a spoke", () => {
    expect(at(estate, "api", "prod").delivery).toEqual({
      strategy: "canary",
      steps: tiers.prod.delivery.strategies.canary.steps,
      analysis: {
        ...tiers.prod.delivery.strategies.canary.analysis,
        metrics: {
          address: "https://prod.metrics.common.example.dev",
          account: "prod",
          credentials: { secret: "hub-query-credentials", key: "basic", storeKey: "platform/hub-query-credentials", property: "basic" },
        },
      },
    });
    const shop = at(estate, "shop", "prod").delivery;
    expect(shop).toMatchObject({ strategy: "blueGreen", scaleDownDelaySeconds: tiers.prod.delivery.strategies.blueGreen.scaleDownDelaySeconds });
    expect(at(estate, "shop", "staging").delivery).toMatchObject({ strategy: "canary", analysis: { count: 3, metrics: { account: "nonprod", address: "https://nonprod.metrics.common.example.dev" } } });
    expect(at(estate, "api", "dev").delivery).toEqual({ strategy: "rolling" });
  });

  it("queries the account's own Prometheus, without credentials or the account label, where the account is its own hub", () => {
    const own = resolved([http("api")], OWN);
    expect(own.platform.hub).toBeUndefined();
    expect(at(own, "api", "prod").delivery).toMatchObject({ analysis: { metrics: { address: "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090" } } });
    const delivery = at(own, "api", "prod").delivery;
    expect(delivery?.strategy === "canary" && Object.keys(delivery.analysis.metrics)).toEqual(["address"]);
  });

  it("explains the strategy, its parameters and the metrics source", () => {
    const rows = Object.fromEntries(explain(estate, at(estate, "api", "prod")).filter((r) => r.field.startsWith("delivery.")).map((r) => [r.field, [r.value, r.layer, r.file]]));
    expect(rows).toEqual({
      "delivery.strategy": ["canary", "tier", TIERS_FILE],
      "delivery.steps": ["20% for 2m, 50% for 2m", "tier", TIERS_FILE],
      "delivery.analysis": ["5 measurements 1m apart over 2m, failureLimit 1", "tier", TIERS_FILE],
      "delivery.metrics": ['https://prod.metrics.common.example.dev (account="prod")', "platform", "environments/estate.ts"],
    });
    expect(explain(estate, at(estate, "shop", "prod")).find((r) => r.field === "delivery.strategy")).toMatchObject({ value: "blueGreen", layer: "override", file: "services/shop/service.ts" });
  });
});

describe("strategy problems name the file and field, and say how to fix them", () => {
  it("refuses what a tier does not allow, blue-green without a Service, strategies on jobs, and canaries without metrics", () => {
    expect(
      problems([
        http("api", { environments: { dev: { strategy: "canary" }, staging: {}, prod: {} } }),
        http("shop", { strategy: "blueGreen" }),
        http("edge", { environments: { dev: {}, staging: {}, prod: { strategy: "rolling" } } }),
        worker("mailer", { environments: { dev: {}, staging: { strategy: "blueGreen" }, prod: {} } }),
        job("report", { strategy: "canary" }),
        http("quiet", { metrics: false }),
        http("mute", { metrics: false, environments: { dev: {}, staging: { strategy: "canary" } } }),
        http("fast", { strategy: "linear" }),
      ]),
    ).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: environments.dev.strategy: is canary, which the dev tier does not allow — use one of rolling",
        "services/edge/service.ts: environments.prod.strategy: is rolling, which the prod tier does not allow — use one of canary, blueGreen",
        "services/fast/service.ts: strategy: must be one of "rolling", "canary", "blueGreen", not "linear" — pick one",
        "services/mailer/service.ts: environments.staging.strategy: is blueGreen, but a worker has no Service to switch over — use canary or rolling",
        "services/mute/service.ts: environments.staging.strategy: is canary, but the service sets metrics: false and the canary analysis reads the service's error rate and p99 latency from its metrics — remove metrics: false (serve http_server_request_duration_seconds on /metrics), or use rolling",
        "services/quiet/service.ts: metrics: is false, but prod rolls out by the prod tier's default strategy canary, and the canary analysis reads the service's error rate and p99 latency from its metrics — remove metrics: false (serve http_server_request_duration_seconds on /metrics)",
        "services/report/service.ts: strategy: jobs have no deployment strategy (every run is a new pod) — remove it",
        "services/shop/service.ts: strategy: is blueGreen, which the dev tier does not allow (environment dev) — use one of rolling there (set it under environments.dev.strategy), or remove it",
      ]
    `);
  });

  it("reserves the name of the hub credentials' ExternalSecret", () => {
    expect(problems([http("hub-query-credentials")])).toEqual([
      "services/hub-query-credentials/service.ts: name: is reserved (the hub credentials of canary analyses) — pick another name",
    ]);
    // The platform's shipping credentials never reach a service's namespace, so that name is free.
    expect(at(resolved([http("hub-credentials")]), "hub-credentials", "prod").service).toBe("hub-credentials");
  });
});

/** The rendered delivery of one deployment, as the files generated/ would hold. */
const deliveryFiles = ["rollout.yaml", "analysistemplate.yaml", "service-canary.yaml", "service-preview.yaml", "externalsecret-hub-query-credentials.yaml", "horizontalpodautoscaler.yaml"];

describe("rendered Rollout and AnalysisTemplate per tier (file snapshots)", () => {
  const estate = resolved([
    http("api", { environments: { dev: {}, staging: { strategy: "canary" }, prod: {} } }),
    http("shop", { environments: { staging: { strategy: "blueGreen" }, prod: { strategy: "blueGreen" } } }),
    worker("mailer"),
  ]);
  const own = resolved([http("api")], OWN);
  const cases: [string, ResolvedDeployment][] = [
    ["staging-canary-http", at(estate, "api", "staging")],
    ["staging-bluegreen-http", at(estate, "shop", "staging")],
    ["prod-canary-http", at(estate, "api", "prod")],
    ["prod-bluegreen-http", at(estate, "shop", "prod")],
    ["prod-canary-worker", at(estate, "mailer", "prod")],
    ["prod-canary-http-own-hub", at(own, "api", "prod")],
  ];

  it.each(cases)("%s", async (name, d) => {
    const files = render(d);
    expect(files.has("deployment.yaml")).toBe(false);
    const present = deliveryFiles.filter((f) => files.has(f));
    expect(present).toContain("rollout.yaml");
    expect(present).toContain("analysistemplate.yaml");
    for (const f of present) await expect(toYaml(files.get(f)!.object, files.get(f)!.sources)).toMatchFileSnapshot(`__snapshots__/delivery/${name}/${f}`);
  });

  it("keeps dev (and staging by default) on the Deployment, with nothing of Argo Rollouts", () => {
    for (const d of [at(estate, "api", "dev"), at(estate, "mailer", "staging"), at(estate, "mailer", "dev")]) {
      const files = render(d);
      expect(files.has("deployment.yaml"), `${d.environment}/${d.service}`).toBe(true);
      expect([...files.values()].filter((o) => String(o.object.apiVersion).startsWith("argoproj.io/")), `${d.environment}/${d.service}`).toEqual([]);
      expect([...files.keys()].filter((f) => /service-(canary|preview)|hub-(query-)?credentials/.test(f))).toEqual([]);
    }
  });
});

describe("what a Rollout keeps of the Deployment, and what follows it", () => {
  // The same service under rolling and canary in staging, where the tier allows both.
  const rolling = render(at(resolved([http("api", { public: { host: "api" } })]), "api", "staging"));
  const estate = resolved([http("api", { public: { host: "api" }, environments: { dev: {}, staging: { strategy: "canary" }, prod: { strategy: "blueGreen" } } }), worker("mailer")]);
  const canary = render(at(estate, "api", "staging"));
  const blueGreen = render(at(estate, "api", "prod"));

  it("has the Deployment's pod template, selector (the name label only) and rollout health, and aborts a stalled rollout", () => {
    const deployment = object(rolling, "deployment.yaml");
    const rollout = object(canary, "rollout.yaml");
    expect(rollout.spec.template).toEqual(deployment.spec.template);
    expect(rollout.spec.selector).toEqual({ matchLabels: { [NAME_LABEL]: "api" } });
    expect(rollout.spec.selector).toEqual(deployment.spec.selector);
    for (const k of ["minReadySeconds", "progressDeadlineSeconds", "revisionHistoryLimit", "replicas"]) expect(rollout.spec[k], k).toEqual(deployment.spec[k]);
    expect(rollout.spec.progressDeadlineAbort).toBe(true);
    // The canary moves pods as the tier's rolling update would.
    expect([rollout.spec.strategy.canary.maxSurge, rollout.spec.strategy.canary.maxUnavailable]).toEqual([deployment.spec.strategy.rollingUpdate.maxSurge, deployment.spec.strategy.rollingUpdate.maxUnavailable]);
    expect(object(blueGreen, "rollout.yaml").spec.template.metadata.labels).toMatchObject({ [NAME_LABEL]: "api", environment: "prod" });
  });

  it("points the autoscaler at the Rollout, and the disruption budget at its pods", () => {
    for (const files of [canary, blueGreen]) {
      const rollout = object(files, "rollout.yaml");
      expect(object(files, "horizontalpodautoscaler.yaml").spec.scaleTargetRef).toEqual({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "api" });
      const pdb = object(files, "poddisruptionbudget.yaml");
      for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels as Record<string, string>)) expect(rollout.spec.template.metadata.labels[k]).toBe(v);
    }
  });

  it("keeps the one Service for all pods, and scrapes each pod once, old and new, whatever selects it", () => {
    const services = [...canary.values()].filter((o) => o.object.kind === "Service");
    expect(services.map((o) => o.file.split("/").at(-1))).toEqual(["service.yaml"]);
    expect(object(canary, "rollout.yaml").spec.strategy.canary.canaryService).toBeUndefined();
    expect(object(canary, "rollout.yaml").spec.strategy.canary.trafficRouting).toBeUndefined();
    for (const files of [canary, blueGreen]) {
      // Pods, not Services: a blue-green's preview and active Services select the same pods once it is promoted.
      expect([...files.values()].some((o) => o.object.kind === "ServiceMonitor")).toBe(false);
      const monitor = object(files, "podmonitor.yaml");
      const pod = object(files, "rollout.yaml").spec.template;
      for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>)) expect(pod.metadata.labels[k]).toBe(v);
      expect(pod.spec.containers[0].ports.map((p: K8s) => p.name)).toContain(monitor.spec.podMetricsEndpoints[0].port);
    }
    // The Ingress still sends every request to the one Service: the split is by replicas.
    expect(object(canary, "ingress.yaml").spec.rules[0].http.paths[0].backend.service.name).toBe("api");
  });

  it("switches blue-green from the Service to the preview after the analysis, promoting by itself", () => {
    const bg = object(blueGreen, "rollout.yaml").spec.strategy.blueGreen;
    expect(bg).toEqual({
      activeService: "api",
      previewService: "api-preview",
      prePromotionAnalysis: { templates: [{ templateName: "api" }], args: [{ name: "pod-template-hash", valueFrom: { podTemplateHashValue: "Latest" } }] },
      autoPromotionEnabled: true,
      scaleDownDelaySeconds: tiers.prod.delivery.strategies.blueGreen.scaleDownDelaySeconds,
    });
    expect(object(blueGreen, "service-preview.yaml").spec).toEqual(object(blueGreen, "service.yaml").spec);
    expect(blueGreen.has("service-canary.yaml")).toBe(false);
  });

  it("reads the new version's series only, with the alert rules' metric names, at the hub, against the resolved SLO", () => {
    const tight = resolved([http("api", { slo: { errorRatePercent: 1, latencyP99Ms: 250 }, environments: { dev: {}, staging: { strategy: "canary" }, prod: {} } })]);
    for (const d of [at(estate, "api", "staging"), at(estate, "api", "prod"), at(tight, "api", "prod")]) {
      const files = render(d);
      // Every analysis step passes the new ReplicaSet's hash, by which the new version's pods are named.
      const rollout = object(files, "rollout.yaml").spec.strategy;
      const runs = rollout.canary ? (rollout.canary.steps as K8s[]).filter((s) => s.analysis).map((s) => s.analysis) : [rollout.blueGreen.prePromotionAnalysis];
      expect(runs.length).toBeGreaterThan(0);
      for (const run of runs) expect(run.args).toEqual([{ name: "pod-template-hash", valueFrom: { podTemplateHashValue: "Latest" } }]);
      const template = object(files, "analysistemplate.yaml");
      const metrics = template.spec.metrics as K8s[];
      expect(metrics.map((m) => m.name)).toEqual(["error-rate", "latency-p99"]);
      for (const m of metrics) {
        // Its own account's query host at the hub, where only its account's series are visible.
        expect(m.provider.prometheus.address).toBe(`https://${d.account}.metrics.common.example.dev`);
        expect(m.provider.prometheus.headers).toEqual([{ key: "Authorization", value: "Basic {{args.hub-basic-auth}}" }]);
        // Each label selector, `{…}`, whose values may hold Argo Rollouts' `{{args.…}}`.
        for (const sel of m.provider.prometheus.query.match(/\{(?:[^{}]|\{\{[^{}]*\}\})*\}/g)) {
          expect(sel).toContain(`namespace="${d.namespace}"`);
          expect(sel).toContain(`service="${d.service}"`);
          expect(sel).toContain(`pod=~"${d.service}-{{args.pod-template-hash}}-.*"`);
          expect(sel).toContain(`account="${d.account}"`);
        }
        const cadence = (d.delivery as { analysis: { interval: string; count: number; failureLimit: number } }).analysis;
        expect([m.interval, m.count, m.failureLimit]).toEqual([cadence.interval, cadence.count, cadence.failureLimit]);
      }
      expect(metrics[0]!.successCondition).toBe(`len(result) == 0 || isNaN(result[0]) || result[0] <= ${d.slo.errorRatePercent}`);
      expect(metrics[1]!.successCondition).toBe(`len(result) == 0 || isNaN(result[0]) || result[0] <= ${d.slo.latencyP99Ms}`);
      // The metrics the alert rules read, so the analysis judges what the alerts would.
      const alerts = JSON.stringify(object(files, "prometheusrule.yaml").spec);
      for (const name of new Set(metrics.flatMap((m) => [...(m.provider.prometheus.query as string).matchAll(/[a-z_]+(?=\{)/g)].map((x) => x[0])))) expect(alerts).toContain(name);
      expect(template.spec.args).toEqual([{ name: "hub-basic-auth", valueFrom: { secretKeyRef: { name: "hub-query-credentials", key: "basic" } } }, { name: "pod-template-hash" }]);
      // The read-only credentials: the hub's query path accepts them, its write path does not.
      const secret = object(files, "externalsecret-hub-query-credentials.yaml");
      expect(secret.spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: `${d.account}-vault` });
      expect(secret.spec.data).toEqual([{ secretKey: "basic", remoteRef: { key: "platform/hub-query-credentials", property: "basic" } }]);
      expect(secret.spec.target.name).toBe("hub-query-credentials");
      expect(files.has("externalsecret-hub-credentials.yaml")).toBe(false);
    }
  });

  it("reads a hub's own Prometheus without the account label or credentials", () => {
    const files = render(at(resolved([http("api")], OWN), "api", "prod"));
    const template = object(files, "analysistemplate.yaml");
    expect(template.spec.args).toEqual([{ name: "pod-template-hash" }]);
    for (const m of template.spec.metrics as K8s[]) {
      expect(m.provider.prometheus).not.toHaveProperty("headers");
      expect(m.provider.prometheus.address).toBe("http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090");
      expect(m.provider.prometheus.query).not.toContain("account=");
    }
    expect(files.has("externalsecret-hub-query-credentials.yaml")).toBe(false);
  });

  it("judges a worker's canary by its new pods' restarts, named by the new ReplicaSet's hash", () => {
    const files = render(at(estate, "mailer", "prod"));
    expect(files.has("service-canary.yaml")).toBe(false);
    const rollout = object(files, "rollout.yaml");
    expect(rollout.spec.strategy.canary.canaryService).toBeUndefined();
    const analysisSteps = (rollout.spec.strategy.canary.steps as K8s[]).filter((s) => s.analysis);
    for (const s of analysisSteps) expect(s.analysis.args).toEqual([{ name: "pod-template-hash", valueFrom: { podTemplateHashValue: "Latest" } }]);
    const [restarts, ...rest] = object(files, "analysistemplate.yaml").spec.metrics as K8s[];
    expect(rest).toEqual([]);
    expect(restarts!.provider.prometheus.query).toBe('sum(increase(kube_pod_container_status_restarts_total{namespace="prod-mailer",container="mailer",pod=~"mailer-{{args.pod-template-hash}}-.*",account="prod"}[2m]))');
  });
});

describe("schema validation against the Argo Rollouts CRDs", () => {
  const estate = resolved([
    http("api", { environments: { dev: {}, staging: { strategy: "canary" }, prod: {} } }),
    http("shop", { environments: { staging: { strategy: "blueGreen" }, prod: { strategy: "blueGreen" } } }),
    worker("mailer"),
  ]);
  const objects = renderObjects(estate) as PolicyObject[];
  const rollouts = objects.filter((o) => String(o.object.apiVersion).startsWith("argoproj.io/") && ["Rollout", "AnalysisTemplate"].includes(String(o.object.kind)));

  it("takes Rollout and AnalysisTemplate from @kubernetes-models/argo-rollouts, Argo CD's kinds from argo-cd", async () => {
    const [rollout, template, application] = await Promise.all([modelFor("argoproj.io/v1alpha1", "Rollout"), modelFor("argoproj.io/v1alpha1", "AnalysisTemplate"), modelFor("argoproj.io/v1alpha1", "Application")]);
    // The packages @gitops/policy depends on, as it resolves them.
    const models = "../packages/policy/node_modules/@kubernetes-models";
    const { Rollout } = await import(`${models}/argo-rollouts/argoproj.io/v1alpha1/Rollout.js`);
    const { AnalysisTemplate } = await import(`${models}/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate.js`);
    const { Application } = await import(`${models}/argo-cd/argoproj.io/v1alpha1/Application.js`);
    expect(rollout).toBe(Rollout);
    expect(template).toBe(AnalysisTemplate);
    expect(application).toBe(Application);
  });

  it("validates every rendered Rollout and AnalysisTemplate, unknown fields included", async () => {
    expect(rollouts.map((o) => o.file.split("/").slice(1).join("/")).sort()).toEqual([
      "prod/api/analysistemplate.yaml", "prod/api/rollout.yaml",
      "prod/mailer/analysistemplate.yaml", "prod/mailer/rollout.yaml",
      "prod/shop/analysistemplate.yaml", "prod/shop/rollout.yaml",
      "staging/api/analysistemplate.yaml", "staging/api/rollout.yaml",
      "staging/shop/analysistemplate.yaml", "staging/shop/rollout.yaml",
    ]);
    for (const o of rollouts) {
      const model = await modelFor(String(o.object.apiVersion), String(o.object.kind));
      expect(validateWith(model!, o.object), o.file).toEqual({ errors: [], unknown: [] });
    }
    const input = { estate, objects, files: new Map<string, string>() };
    const findings = schemaRules(await loadModels(objects)).flatMap((r) => r.check(new Context(input)));
    expect(findings).toEqual([]);
  });

  it("reports a misspelt field and a wrong type in a Rollout and an AnalysisTemplate", async () => {
    const rollout = structuredClone(rollouts.find((o) => o.file === "prod/prod/api/rollout.yaml")!.object) as K8s;
    rollout.spec.strategy.canary.stepz = [];
    rollout.spec.strategy.canary.steps[0].setWeight = "20";
    const r = validateWith((await modelFor("argoproj.io/v1alpha1", "Rollout"))!, rollout);
    expect(r.unknown).toEqual([["spec", "strategy", "canary", "stepz"]]);
    expect(r.errors).toEqual([{ path: ["spec", "strategy", "canary", "steps", 0, "setWeight"], message: "must be integer" }]);
    const template = structuredClone(rollouts.find((o) => o.file === "prod/prod/api/analysistemplate.yaml")!.object) as K8s;
    template.spec.metrics[0].succesCondition = template.spec.metrics[0].successCondition;
    template.spec.metrics[0].provider.prometheus.adress = "x";
    const t = validateWith((await modelFor("argoproj.io/v1alpha1", "AnalysisTemplate"))!, template);
    expect(t.unknown.map((p) => p.join("."))).toEqual(["spec.metrics.0.provider.prometheus.adress", "spec.metrics.0.succesCondition"]);
  });
});

describe("the condition evaluator (the expr-lang subset the templates use)", () => {
  const within5 = "len(result) == 0 || isNaN(result[0]) || result[0] <= 5";

  it("passes no data and NaN, and values up to the limit; fails one above", () => {
    expect([[], [Number.NaN], [0], [4.99], [5], [5.0001], [50]].map((r) => evaluateCondition(within5, r))).toEqual([true, true, true, true, true, false, false]);
    expect(evaluateCondition("len(result) == 0 || isNaN(result[0]) || result[0] < 1", [1])).toBe(false);
    expect(evaluateCondition("!(result[0] > 2) && len(result) >= 1", [2])).toBe(true);
    expect(evaluateCondition("result[0] != result[0]", [Number.NaN])).toBe(true);
    expect(evaluateCondition("result[0] == result[0]", [Number.NaN])).toBe(false);
  });

  it("short-circuits as expr-lang does, and errors on an index past the result", () => {
    expect(evaluateCondition("len(result) == 0 || result[0] > 1", [])).toBe(true);
    expect(() => evaluateCondition("result[0] <= 5", [])).toThrow(EvaluationError);
    expect(() => evaluateCondition("result[1] <= 5", [1])).toThrow(EvaluationError);
  });

  it("refuses anything else rather than guessing", () => {
    for (const text of [
      "result[0] > 0.5 and true",
      "all(result, # < 1000)",
      "result.p99 < 1",
      "asFloat(result[0]) < 1",
      "result[0] < 1 ||",
      "len(result)",
      "isNaN(len(result))",
      "result[i] < 1",
      "result[0] < -1",
      "isNaN(result[0]) < 1",
      "result[0] <= 5 result[0]",
      'result[0] == "5"',
    ])
      expect(() => parseCondition(text), text).toThrow(UnsupportedCondition);
  });
});

describe("AnalysisRun semantics", () => {
  const metric = (over: Partial<MetricSpec> = {}): MetricSpec => ({ name: "m", successCondition: "result[0] <= 5", interval: "1m", count: 5, failureLimit: 1, ...over });
  const v = (...xs: number[]): Sample[] => xs.map((x) => [x]);

  it("fails once failed measurements exceed failureLimit, and not before", () => {
    const one = runAnalysis([metric()], { m: v(9, 1, 1, 1, 1) });
    expect([one.phase, one.metrics[0]!.measurements.length, one.metrics[0]!.failed]).toEqual(["Successful", 5, 1]);
    const two = runAnalysis([metric()], { m: v(9, 1, 9, 1, 1) });
    expect([two.phase, two.metrics[0]!.measurements.length, two.metrics[0]!.message]).toEqual(["Failed", 3, "failed (2) > failureLimit (1)"]);
    expect(runAnalysis([metric({ failureLimit: 0 })], { m: v(9) }).phase).toBe("Failed");
    // Without a limit the default is 0: the first failure fails the run.
    expect(runAnalysis([metric({ failureLimit: undefined })], { m: v(1, 9) }).metrics[0]!.measurements).toEqual(["Successful", "Failed"]);
  });

  it("succeeds when count is reached; takes one measurement with neither count nor interval; keeps running past the samples", () => {
    expect(runAnalysis([metric({ count: 3 })], { m: v(1, 1, 1, 1) }).metrics[0]!.measurements).toHaveLength(3);
    expect(runAnalysis([metric({ count: undefined, interval: undefined })], { m: v(1, 1) }).metrics[0]!.measurements).toHaveLength(1);
    expect(runAnalysis([metric()], { m: v(1, 1) }).phase).toBe("Running");
    expect(rolloutReaction("Running")).toBe("wait");
  });

  it("errors after more than consecutiveErrorLimit (4) errors in a row; errors do not count towards count", () => {
    expect(runAnalysis([metric()], { m: ["error", "error", "error", "error", "error"] })).toMatchObject({ phase: "Error", metrics: [{ error: 5, message: "consecutiveErrors (5) > consecutiveErrorLimit (4)" }] });
    const recovered = runAnalysis([metric()], { m: ["error", "error", "error", "error", [1], [1], [1], [1], [1]] });
    expect([recovered.phase, recovered.metrics[0]!.measurements.length]).toEqual(["Successful", 9]);
  });

  it("is inconclusive when neither condition holds, and pauses the rollout", () => {
    const both = metric({ successCondition: "result[0] <= 5", failureCondition: "result[0] > 10" });
    expect([measurementPhase(both, [7]), measurementPhase(both, [11]), measurementPhase(both, [1])]).toEqual(["Inconclusive", "Failed", "Successful"]);
    const run = runAnalysis([both], { m: v(1, 7) });
    expect(run.phase).toBe("Inconclusive");
    expect(rolloutReaction(run.phase)).toBe("pause");
    expect(measurementPhase(metric({ successCondition: undefined, failureCondition: "result[0] > 10" }), [7])).toBe("Successful");
  });

  it("terminates the other metrics when one fails, and takes the worst phase", () => {
    const run = runAnalysis([metric({ name: "a", failureLimit: 0 }), metric({ name: "b" })], { a: v(1, 9, 1, 1, 1), b: v(1, 1, 1, 1, 1) });
    expect(run.phase).toBe("Failed");
    expect(run.metrics.map((m) => [m.name, m.phase, m.measurements.length])).toEqual([["a", "Failed", 2], ["b", "Successful", 2]]);
    expect(rolloutReaction(run.phase)).toBe("abort");
    expect(rolloutReaction(runAnalysis([metric()], { m: ["error", "error", "error", "error", "error"] }).phase)).toBe("abort");
  });

  it("refuses metric fields it does not model", () => {
    expect(() => templateMetrics({ spec: { metrics: [{ name: "m", successCondition: "result[0] < 1", consecutiveSuccessLimit: 2, provider: {} }] } })).toThrow(UnsupportedCondition);
    expect(() => templateMetrics({ spec: { metrics: [{ name: "m", successCondition: "all(result, # < 1)", provider: {} }] } })).toThrow(UnsupportedCondition);
    expect(() => templateMetrics({ spec: { dryRun: [{ metricName: "m" }], metrics: [] } })).toThrow(UnsupportedCondition);
  });
});

describe("automatic rollback: the generated analysis over sample metric values", () => {
  const estate = resolved([
    http("api"),
    http("strict", { slo: { errorRatePercent: 1, latencyP99Ms: 200 } }),
    http("shop", { environments: { staging: { strategy: "blueGreen" }, prod: { strategy: "blueGreen" } } }),
    worker("mailer"),
  ]);
  const prod = (service: string) => {
    const files = render(at(estate, service, "prod"));
    return { rollout: object(files, "rollout.yaml"), template: object(files, "analysistemplate.yaml") };
  };
  const times = (n: number, sample: Sample) => Array.from({ length: n }, () => sample);
  /** One analysis run's samples: error rate (percent) and p99 latency (ms), the same at every measurement. */
  const http5 = (errors: Sample, latency: Sample) => ({ "error-rate": times(5, errors), "latency-p99": times(5, latency) });

  it("promotes a canary within its SLO through every step", () => {
    const { rollout, template } = prod("api");
    const result = simulateCanary(rollout, template, [http5([0.4], [120]), http5([1.2], [310])]);
    expect(result.outcome).toBe("promoted");
    expect(result.runs.map((r) => r.phase)).toEqual(["Successful", "Successful"]);
    // Exactly at the SLO is within it.
    expect(simulateCanary(rollout, template, [http5([5], [500]), http5([5], [500])]).outcome).toBe("promoted");
  });

  it("aborts a canary whose error rate breaches the SLO, at the first analysis step", () => {
    const { rollout, template } = prod("api");
    const result = simulateCanary(rollout, template, [http5([7.5], [120])]);
    expect(result.outcome).toBe("aborted");
    expect(result.step).toBe(2);
    expect(rollout.spec.strategy.canary.steps[2]).toHaveProperty("analysis");
    expect(result.runs[0]!.metrics).toMatchObject([
      { name: "error-rate", phase: "Failed", measurements: ["Failed", "Failed"], message: "failed (2) > failureLimit (1)" },
      { name: "latency-p99", phase: "Successful", measurements: ["Successful", "Successful"] },
    ]);
  });

  it("aborts on a p99 latency breach at the second step, and tolerates one bad measurement", () => {
    const { rollout, template } = prod("api");
    const slow = { "error-rate": times(5, [0.1]), "latency-p99": [[480], [650], [700], [480], [480]] as Sample[] };
    expect(simulateCanary(rollout, template, [http5([0.1], [100]), slow])).toMatchObject({ outcome: "aborted", step: 5 });
    const blip = { "error-rate": times(5, [0.1]), "latency-p99": [[480], [650], [480], [480], [480]] as Sample[] };
    expect(simulateCanary(rollout, template, [http5([0.1], [100]), blip]).outcome).toBe("promoted");
  });

  it("judges by the service's own, tighter SLO", () => {
    const samples = [http5([2], [150]), http5([2], [150])];
    expect(simulateCanary(prod("api").rollout, prod("api").template, samples).outcome).toBe("promoted");
    expect(simulateCanary(prod("strict").rollout, prod("strict").template, samples)).toMatchObject({ outcome: "aborted", step: 2 });
  });

  it("passes a canary that served nothing, and aborts when the hub cannot be queried", () => {
    const { rollout, template } = prod("api");
    expect(simulateCanary(rollout, template, [http5([], []), http5([Number.NaN], [Number.NaN])]).outcome).toBe("promoted");
    const down = { "error-rate": times(5, "error"), "latency-p99": times(5, "error") };
    expect(simulateCanary(rollout, template, [down])).toMatchObject({ outcome: "aborted", runs: [{ phase: "Error" }] });
  });

  it("keeps a blue-green preview that breaches its SLO from being promoted", () => {
    const { template } = prod("shop");
    const metrics = templateMetrics(template);
    expect(rolloutReaction(runAnalysis(metrics, http5([9], [100])).phase)).toBe("abort");
    expect(rolloutReaction(runAnalysis(metrics, http5([0.2], [100])).phase)).toBe("continue");
  });

  it("aborts a worker canary whose new pods restart", () => {
    const { rollout, template } = prod("mailer");
    expect(simulateCanary(rollout, template, [{ restarts: times(5, [0]) }, { restarts: times(5, [0]) }])).toMatchObject({ outcome: "promoted" });
    expect(simulateCanary(rollout, template, [{ restarts: [[0], [1], [2], [0], [0]] }])).toMatchObject({ outcome: "aborted", step: 2 });
  });
});
