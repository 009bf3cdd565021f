/**
 * The resolver on in-memory sources: precedence (override > service > tier), the origin of every value,
 * dependents derived from dependsOn, `{domain}` filling and the environment variables derived for dependencies.
 */
import { describe, expect, it } from "vitest";
import {
  explain,
  expectedName,
  formatProblem,
  resolve,
  sortProblems,
  TIERS_FILE,
  type ResolvedDeployment,
  type ResolvedEstate,
  type SourceFile,
} from "../src/index.ts";

const ESTATE: SourceFile = {
  file: "environments/estate.ts",
  value: {
    repository: { url: "https://github.com/example/estate.git" },
    registry: "registry.example.dev",
    platformTeam: "@example/platform",
    accounts: {
      nonprod: { cluster: { name: "nonprod", server: "https://nonprod.k8s.example.dev" }, domain: "nonprod.example.dev", secretStore: { name: "nonprod-vault" } },
      prod: { cluster: { name: "prod", server: "https://prod.k8s.example.dev" }, domain: "example.dev", secretStore: { name: "prod-vault", kind: "SecretStore" } },
    },
  },
};

// Listed out of wave order on purpose: the resolver orders them.
const ENVIRONMENTS: SourceFile[] = [
  { file: "environments/prod.ts", value: { name: "prod", account: "prod", tier: "prod", wave: 2, domain: "example.dev" } },
  { file: "environments/dev.ts", value: { name: "dev", account: "nonprod", tier: "dev", wave: 0 } },
  { file: "environments/staging.ts", value: { name: "staging", account: "nonprod", tier: "staging", wave: 1 } },
];

const service = (name: string, body: Record<string, unknown>): SourceFile => ({
  file: `services/${name}/service.ts`,
  value: { name, kind: "http", description: `The ${name} service.`, team: "core", costCenter: "cc-1", image: `core/${name}`, version: "1.0.0", ...body },
});
const everywhere = { dev: {}, staging: {}, prod: {} };

function resolved(services: SourceFile[]): ResolvedEstate {
  const result = resolve({ estate: ESTATE, environments: ENVIRONMENTS, services });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.estate;
}

const at = (estate: ResolvedEstate, svc: string, env: string): ResolvedDeployment => {
  const d = estate.deployments.find((x) => x.service === svc && x.environment === env);
  if (!d) throw new Error(`no deployment ${svc} in ${env}`);
  return d;
};

const ABOVE_EVERY_FLOOR = { requests: { cpu: "600m", memory: "600Mi" }, limits: { cpu: "2500m", memory: "2Gi" } };
const PROD_OVERRIDE = { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "3", memory: "3Gi" } };

describe("resolve: precedence override > service > tier, with origins", () => {
  const estate = resolved([
    service("api", {
      resources: ABOVE_EVERY_FLOOR,
      urls: { PARTNER_URL: "https://sandbox.partner.example.com" },
      secrets: { API_KEY: { key: "api/key", property: "sandbox" } },
      environments: {
        dev: { version: "2.0.0-rc.1" },
        staging: {},
        prod: {
          replicas: 5,
          resources: PROD_OVERRIDE,
          autoscaling: { maxReplicas: 12 },
          logLevel: "warn",
          urls: { PARTNER_URL: "https://live.partner.example.com" },
          secrets: { API_KEY: { key: "api/key-live" } },
        },
      },
    }),
    service("plain", { environments: everywhere }),
    service("big", { environments: { dev: {}, staging: {}, prod: { replicas: 11 } } }),
  ]);

  it("resources: override in prod, the service's elsewhere, the tier's when neither", () => {
    expect(at(estate, "api", "prod").resources).toEqual(PROD_OVERRIDE);
    expect(at(estate, "api", "prod").origins.resources).toEqual({ layer: "override", file: "services/api/service.ts" });
    expect(at(estate, "api", "dev").resources).toEqual(ABOVE_EVERY_FLOOR);
    expect(at(estate, "api", "dev").origins.resources).toEqual({ layer: "service", file: "services/api/service.ts" });
    expect(at(estate, "plain", "staging").resources).toEqual({ requests: { cpu: "200m", memory: "256Mi" }, limits: { cpu: "1000m", memory: "512Mi" } });
    expect(at(estate, "plain", "staging").origins.resources).toEqual({ layer: "tier", file: "environments/staging.ts" });
  });

  it("version: the override, else the service's; the image is registry/repository:version", () => {
    expect(at(estate, "api", "dev")).toMatchObject({ version: "2.0.0-rc.1", image: "registry.example.dev/core/api:2.0.0-rc.1" });
    expect(at(estate, "api", "dev").origins.version).toEqual({ layer: "override", file: "services/api/service.ts" });
    expect(at(estate, "api", "staging")).toMatchObject({ version: "1.0.0", image: "registry.example.dev/core/api:1.0.0" });
    expect(at(estate, "api", "staging").origins.version).toEqual({ layer: "service", file: "services/api/service.ts" });
  });

  it("replicas, autoscaling and log level: the override, else the tier", () => {
    const prod = at(estate, "api", "prod");
    expect(prod.replicas).toBe(5);
    expect(prod.autoscaling).toEqual({ minReplicas: 5, maxReplicas: 12, targetCPUUtilizationPercentage: 70 });
    expect(prod.logLevel).toBe("warn");
    expect(prod.config.LOG_LEVEL).toBe("warn");
    for (const field of ["replicas", "autoscaling.maxReplicas", "logLevel"]) expect(prod.origins[field], field).toEqual({ layer: "override", file: "services/api/service.ts" });

    const staging = at(estate, "plain", "staging");
    expect(staging.replicas).toBe(2);
    expect(staging.autoscaling).toEqual({ minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 75 });
    expect(staging.logLevel).toBe("info");
    for (const field of ["replicas", "autoscaling.maxReplicas", "logLevel"]) expect(staging.origins[field], field).toEqual({ layer: "tier", file: "environments/staging.ts" });

    const dev = at(estate, "plain", "dev");
    expect(dev).toMatchObject({ replicas: 1, autoscaling: null, logLevel: "debug", disruptionBudget: null, debug: true, antiAffinity: "none" });
    // More replicas than the tier's autoscaling ceiling raise the ceiling with them.
    expect(at(estate, "big", "prod").autoscaling).toEqual({ minReplicas: 11, maxReplicas: 11, targetCPUUtilizationPercentage: 70 });
  });

  it("URLs and secret references: the override, else the service's; the secret store is the account's", () => {
    expect(at(estate, "api", "prod").config.PARTNER_URL).toBe("https://live.partner.example.com");
    expect(at(estate, "api", "prod").origins["urls.PARTNER_URL"]).toEqual({ layer: "override", file: "services/api/service.ts" });
    expect(at(estate, "api", "staging").config.PARTNER_URL).toBe("https://sandbox.partner.example.com");
    expect(at(estate, "api", "staging").origins["urls.PARTNER_URL"]).toEqual({ layer: "service", file: "services/api/service.ts" });

    expect(at(estate, "api", "prod").secrets).toEqual([{ env: "API_KEY", key: "api/key-live" }]);
    expect(at(estate, "api", "prod").origins["secrets.API_KEY"]?.layer).toBe("override");
    expect(at(estate, "api", "prod").secretStore).toEqual({ name: "prod-vault", kind: "SecretStore" });
    expect(at(estate, "api", "dev").secrets).toEqual([{ env: "API_KEY", key: "api/key", property: "sandbox" }]);
    expect(at(estate, "api", "dev").origins["secrets.API_KEY"]?.layer).toBe("service");
    expect(at(estate, "api", "dev").secretStore).toEqual({ name: "nonprod-vault", kind: "ClusterSecretStore" });
  });

  it("tier data travels with the environment's tier, not its name", () => {
    expect(at(estate, "plain", "staging")).toMatchObject({
      antiAffinity: "preferred",
      podSecurity: "restricted",
      readOnlyRootFilesystem: true,
      debug: false,
      rollingUpdate: { maxSurge: "1", maxUnavailable: "0" },
      disruptionBudget: { maxUnavailable: 1 },
    });
    expect(at(estate, "plain", "prod")).toMatchObject({ antiAffinity: "required", rollingUpdate: { maxSurge: "25%", maxUnavailable: "0" }, replicas: 3 });
  });

  it("explain points tier values at the tiers file and overrides at the service file", () => {
    const rows = explain(estate, at(estate, "api", "prod"));
    expect(rows.find((r) => r.field === "replicas")).toEqual({ field: "replicas", value: "5", layer: "override", file: "services/api/service.ts" });
    const plainRows = explain(estate, at(estate, "plain", "prod"));
    expect(plainRows.find((r) => r.field === "replicas")).toEqual({ field: "replicas", value: "3", layer: "tier", file: TIERS_FILE, note: "tier prod, chosen in environments/prod.ts" });
  });
});

describe("resolve: dependencies", () => {
  const estate = resolved([
    service("accounts", { port: 9000, environments: everywhere }),
    service("user-profile", { dependsOn: ["accounts"], environments: everywhere }),
    service("mailer", { kind: "worker", health: { port: 9090 }, dependsOn: ["accounts", "user-profile"], environments: { dev: {} } }),
    service("nightly", { kind: "job", schedule: "0 2 * * *", dependsOn: ["accounts"], environments: { dev: {}, prod: {} } }),
  ]);

  it("derives each service's callers from the others' dependsOn, per environment, sorted", () => {
    const peer = (svc: string, env: string, port: number) => ({ service: svc, namespace: `${env}-${svc}`, port });
    expect(at(estate, "accounts", "dev").dependents).toEqual([peer("mailer", "dev", 9000), peer("nightly", "dev", 9000), peer("user-profile", "dev", 9000)]);
    expect(at(estate, "accounts", "staging").dependents).toEqual([peer("user-profile", "staging", 9000)]);
    expect(at(estate, "accounts", "prod").dependents).toEqual([peer("nightly", "prod", 9000), peer("user-profile", "prod", 9000)]);
    expect(at(estate, "user-profile", "dev").dependents).toEqual([peer("mailer", "dev", 8080)]);
    expect(at(estate, "user-profile", "prod").dependents).toEqual([]);
    expect(at(estate, "mailer", "dev").dependents).toEqual([]);
    expect(at(estate, "mailer", "dev").dependsOn).toEqual([peer("accounts", "dev", 9000), peer("user-profile", "dev", 8080)]);
  });

  it("gives each dependency a <NAME>_URL in the caller's environment, derived and recorded as such", () => {
    const mailer = at(estate, "mailer", "dev");
    const own = Object.fromEntries(Object.entries(mailer.config).filter(([k]) => !k.startsWith("OTEL_")));
    expect(own).toEqual({
      ACCOUNTS_URL: "http://accounts.dev-accounts.svc.cluster.local",
      // What the caller's readiness endpoint checks: each dependency's readiness, through its Service.
      HEALTH_DEPENDENCIES: "http://accounts.dev-accounts.svc.cluster.local/ready,http://user-profile.dev-user-profile.svc.cluster.local/ready",
      LOG_LEVEL: "debug",
      USER_PROFILE_URL: "http://user-profile.dev-user-profile.svc.cluster.local",
    });
    expect(mailer.origins["config.HEALTH_DEPENDENCIES"]).toEqual({ layer: "derived", file: "services/mailer/service.ts" });
    expect(mailer.origins["config.USER_PROFILE_URL"]).toEqual({ layer: "derived", file: "services/mailer/service.ts" });
    expect(at(estate, "nightly", "prod").config.ACCOUNTS_URL).toBe("http://accounts.prod-accounts.svc.cluster.local");
  });

  it.each([
    ["config", { config: { ACCOUNTS_URL: "http://elsewhere" } }],
    ["urls", { urls: { ACCOUNTS_URL: "https://elsewhere.example.com" } }],
    ["secrets", { secrets: { ACCOUNTS_URL: { key: "web/accounts-url" } } }],
  ])("refuses %s that set the environment variable a dependency derives", (_, clash) => {
    const result = resolve({
      estate: ESTATE,
      environments: ENVIRONMENTS,
      services: [service("accounts", { environments: { dev: {} } }), service("web", { dependsOn: ["accounts"], ...clash, environments: { dev: {} } })],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map(formatProblem)).toEqual(["services/web/service.ts: dependsOn: sets ACCOUNTS_URL, which config, urls or secrets also set — remove one of them"]);
  });

  it("gives a worker its health port as its port, and a job none", () => {
    expect(at(estate, "mailer", "dev")).toMatchObject({ port: 9090, health: { port: 9090, readiness: "/ready", liveness: "/healthz" } });
    expect(at(estate, "nightly", "dev").port).toBeUndefined();
    expect(at(estate, "nightly", "dev").health).toBeUndefined();
    expect(at(estate, "nightly", "prod").disruptionBudget).toBeNull();
  });
});

describe("resolve: config, domains and ordering", () => {
  const estate = resolved([
    service("web", {
      public: { host: "www" },
      config: { TIMEOUT_MS: 5000, FEATURE: true, MODE: "on" },
      urls: { SELF_URL: "https://www.{domain}/", ASSETS_URL: "https://cdn.{domain}/{domain}" },
      environments: everywhere,
    }),
    service("api", { environments: { dev: {}, prod: {} } }),
  ]);

  it("fills {domain} with the environment's domain: its own, else <env>.<account domain>", () => {
    expect(at(estate, "web", "dev").config.SELF_URL).toBe("https://www.dev.nonprod.example.dev/");
    expect(at(estate, "web", "staging").config.ASSETS_URL).toBe("https://cdn.staging.nonprod.example.dev/staging.nonprod.example.dev");
    expect(at(estate, "web", "prod").config.SELF_URL).toBe("https://www.example.dev/");
    expect(at(estate, "web", "prod").ingress).toEqual({ host: "www.example.dev", path: "/", className: "nginx", clusterIssuer: "letsencrypt", controllerNamespace: "ingress-nginx" });
    expect(at(estate, "web", "dev").ingress?.host).toBe("www.dev.nonprod.example.dev");
  });

  it("holds config as strings, sorted by name, with LOG_LEVEL from the tier", () => {
    const config = at(estate, "web", "staging").config;
    expect(Object.keys(config)).toEqual([
      "ASSETS_URL",
      "FEATURE",
      "LOG_LEVEL",
      "MODE",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
      "OTEL_RESOURCE_ATTRIBUTES",
      "OTEL_SERVICE_NAME",
      "SELF_URL",
      "TIMEOUT_MS",
    ]);
    expect(config).toMatchObject({ TIMEOUT_MS: "5000", FEATURE: "true", MODE: "on", LOG_LEVEL: "info" });
  });

  it("orders environments by wave, services by name, deployments by wave then name; labels carry cost data", () => {
    expect(estate.environments.map((e) => e.name)).toEqual(["dev", "staging", "prod"]);
    expect(estate.services.map((s) => [s.name, s.environments])).toEqual([
      ["api", ["dev", "prod"]],
      ["web", ["dev", "staging", "prod"]],
    ]);
    expect(estate.deployments.map((d) => `${d.environment}/${d.service}`)).toEqual(["dev/api", "dev/web", "staging/web", "prod/api", "prod/web"]);
    expect(at(estate, "web", "prod")).toMatchObject({
      account: "prod",
      namespace: "prod-web",
      labels: { account: "prod", "cost-center": "cc-1", environment: "prod", team: "core" },
      sources: ["services/web/service.ts", "environments/prod.ts", "environments/estate.ts"],
    });
  });
});

describe("problems", () => {
  it("are sorted by file, then path, whatever the order they were found in", () => {
    const result = resolve({
      estate: ESTATE,
      environments: ENVIRONMENTS,
      services: [
        service("zeta", { environments: { dev: { replicas: 2 } } }),
        service("alpha", { dependsOn: ["nope"], environments: { qa: {}, prod: { replicas: 1 } } }),
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(sortProblems(result.problems).map((p) => `${p.file} ${p.path}`)).toEqual([
      "services/alpha/service.ts dependsOn[0]",
      "services/alpha/service.ts environments.prod.replicas",
      "services/alpha/service.ts environments.qa",
      "services/zeta/service.ts environments.dev.replicas",
    ]);
    expect(result.problems).toEqual(sortProblems(result.problems));
  });

  it("name files after what they define", () => {
    expect(expectedName("services/payments/service.ts")).toBe("payments");
    expect(expectedName("environments/staging.ts")).toBe("staging");
  });
});

describe("parsed values (what a later resolve of the same value may reuse)", () => {
  const sources = { estate: ESTATE, environments: ENVIRONMENTS, services: [service("api", { environments: everywhere })] };

  it("returns each file's value as its schema parsed it, and resolves the same estate from those alone", () => {
    const first = resolve(sources);
    if (!first.ok) throw new Error("expected ok");
    expect([...first.parsed.keys()].sort()).toEqual(["environments/dev.ts", "environments/estate.ts", "environments/prod.ts", "environments/staging.ts", "services/api/service.ts"]);
    // Defaults applied by the schema are in the parsed value, not in the authored one.
    expect((first.parsed.get("services/api/service.ts") as Record<string, unknown>).environments).toEqual(everywhere);
    const withParsed = (s: SourceFile): SourceFile => ({ file: s.file, value: undefined, parsed: first.parsed.get(s.file) });
    const again = resolve({ estate: withParsed(ESTATE), environments: ENVIRONMENTS.map(withParsed), services: sources.services.map(withParsed) });
    expect(again.ok && again.estate).toEqual(first.estate);
  });

  it("does not parse a file given with its parsed value, and still checks what comes after parsing", () => {
    const [api] = sources.services;
    const parsed = resolve(sources);
    if (!parsed.ok) throw new Error("expected ok");
    // An invalid value beside a parsed one: the parsed one is what is resolved.
    const given = { ...api!, value: { name: 7 }, parsed: parsed.parsed.get(api!.file) };
    expect(resolve({ ...sources, services: [given] }).ok).toBe(true);
    // A parsed value for the wrong file is still named against its file.
    const misplaced = { file: "services/web/service.ts", value: undefined, parsed: parsed.parsed.get(api!.file) };
    const result = resolve({ ...sources, services: [misplaced] });
    expect(!result.ok && result.problems.map(formatProblem)).toEqual(['services/web/service.ts: name: is "api" but its folder is services/web — make them match']);
  });
});

describe("resolve: every problem of a file in one run", () => {
  it("still resolves a file whose only schema problems are unknown fields, so its other problems come too", () => {
    const result = resolve({ estate: ESTATE, environments: ENVIRONMENTS, services: [service("api", { replica: 2, dependsOn: ["apy"], environments: { ...everywhere, prod: { replicas: 1, loglevel: "debug" } } })] });
    expect(result.ok).toBe(false);
    const lines = sortProblems(result.ok ? [] : result.problems).map(formatProblem);
    expect(lines).toEqual([
      expect.stringMatching(/^services\/api\/service\.ts: dependsOn\[0\]: names "apy", which is not a service/),
      "services/api/service.ts: environments.prod.loglevel: is not a known field — did you mean logLevel? Rename it, or remove it",
      expect.stringMatching(/^services\/api\/service\.ts: environments\.prod\.replicas: is 1, outside the prod tier's/),
      "services/api/service.ts: replica: is not a known field — remove it or fix its spelling",
    ]);
    // Any other schema problem still stops the file there: what it would resolve to is unknown.
    const missing = resolve({ estate: ESTATE, environments: ENVIRONMENTS, services: [service("api", { replica: 2, version: 3, dependsOn: ["apy"], environments: everywhere })] });
    expect(missing.ok ? [] : missing.problems.map((p) => p.path).sort()).toEqual(["replica", "version"]);
  });
});

describe("resolve: serviceInputs, what each service's deployments are resolved from", () => {
  const inputsOf = (services: SourceFile[]) => {
    const result = resolve({ estate: ESTATE, environments: ENVIRONMENTS, services });
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
    return result.serviceInputs;
  };
  const base = [
    service("api", { port: 8080, environments: everywhere }),
    service("web", { dependsOn: ["api"], environments: everywhere }),
    service("other", { environments: everywhere }),
  ];
  const before = inputsOf(base);
  const after = (name: string, body: Record<string, unknown>) => inputsOf(base.map((s) => (s.file === `services/${name}/service.ts` ? service(name, body) : s)));

  it("has one text per service, which its own file decides", () => {
    expect([...before.keys()].sort()).toEqual(["api", "other", "web"]);
    const changed = after("other", { version: "2.0.0", environments: everywhere });
    expect(changed.get("other")).not.toBe(before.get("other"));
    // No one calls other and it calls no one: nobody else's inputs change.
    expect(changed.get("api")).toBe(before.get("api"));
    expect(changed.get("web")).toBe(before.get("web"));
  });

  it("changes for a caller when its dependency's port or readiness path changes, and for the callee when its callers do", () => {
    for (const body of [{ port: 8081 }, { health: { readiness: "/up" } }]) {
      const changed = after("api", { port: 8080, environments: everywhere, ...body });
      expect(changed.get("web"), JSON.stringify(body)).not.toBe(before.get("web"));
      expect(changed.get("other")).toBe(before.get("other"));
    }
    const noCaller = after("web", { environments: everywhere });
    expect(noCaller.get("api")).not.toBe(before.get("api"));
    expect(noCaller.get("other")).toBe(before.get("other"));
  });
});
