/**
 * Authored input: what people write in environments/*.ts and services/<name>/service.ts.
 * Every schema is strict (an unknown or misspelt key is an error, never silently dropped), and every
 * message says what is wrong and, after " — ", how to fix it.
 */
import { z } from "zod";
import { componentNames, components, wellKnown } from "./platform.ts";
import { oneOf } from "./problems.ts";
import { deliveryStrategies, tierNames } from "./tiers.ts";

/** Own entries only: a name such as "constructor" must not find what every object inherits. */
const has = (record: object | undefined, key: string) => record !== undefined && Object.hasOwn(record, key);

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const envVarName = /^[A-Z][A-Z0-9_]*$/;
const cpu = /^([1-9][0-9]*m|[0-9]+(\.[0-9]{1,3})?)$/;
const memory = /^[1-9][0-9]*(Ki|Mi|Gi|Ti)$/;

/** A name Kubernetes accepts as a label value and a DNS label: lowercase letters, digits and dashes. */
export const nameSchema = (max: number) =>
  z
    .string()
    .max(max, `longer than ${max} characters — shorten it`)
    .regex(dnsLabel, "is not a DNS label — use lowercase letters, digits and '-', starting and ending with a letter or digit");

const envVarKey = z
  .string()
  .regex(envVarName, "is not an environment variable name — use SCREAMING_SNAKE_CASE, e.g. PAYMENTS_URL");

const httpsUrl = z
  .string()
  .regex(/^https:\/\/[^\s/]+(\/[^\s]*)?$/, "is not an https URL — write it as https://host[:port][/path]");

/** A service URL: https, and `{domain}` (the environment's domain) is the only placeholder, so a typo cannot ship. */
const serviceUrl = httpsUrl.refine((url) => !/\{(?!domain\})[^}]*\}/.test(url), {
  message: "has a placeholder other than {domain} — use {domain} (the environment's domain) or write the value out",
});

export const quantitiesSchema = z.strictObject({
  cpu: z.string().regex(cpu, "is not a CPU quantity — write millicores such as 250m, or cores such as 1 or 1.5"),
  memory: z.string().regex(memory, "is not a memory quantity — write a binary size such as 256Mi or 1Gi"),
});

export const resourcesSchema = z.strictObject({
  requests: quantitiesSchema,
  limits: quantitiesSchema,
});

const secretRefSchema = z.strictObject({
  /** Path of the secret in the account's secret store. */
  key: z.string().min(1, "is empty — give the secret's path in the account's secret store").regex(/^[A-Za-z0-9_./-]+$/, "holds characters a secret path may not — use letters, digits, '_', '-', '.' and '/'"),
  /** Property within the secret; default: the whole value. */
  property: z.string().regex(/^[A-Za-z0-9_.-]+$/, "is not a property name — use letters, digits, '_', '-' and '.'").optional(),
});

const logLevel = z.enum(["debug", "info", "warn", "error"]);

/** What a service may change per environment: the seeds allow only sizes, replicas, version, URLs, secret references and log level. */
export const overrideSchema = z.strictObject({
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(@sha256:[a-f0-9]{64})?$/, "is not an image tag — use a tag such as 1.4.2, optionally with @sha256:<digest>").optional(),
  replicas: z.int().min(1, "must be at least 1 — raise it").optional(),
  resources: resourcesSchema.optional(),
  autoscaling: z.strictObject({ maxReplicas: z.int().min(1, "must be at least 1 — raise it") }).optional(),
  urls: z.record(envVarKey, serviceUrl).optional(),
  secrets: z.record(envVarKey, secretRefSchema).optional(),
  logLevel: logLevel.optional(),
  /**
   * How a new version replaces the old here: rolling, canary or blueGreen (see DeliveryStrategy in tiers.ts); one
   * the environment's tier allows. Default: the service's `strategy`, else the tier's default.
   */
  strategy: z.enum(deliveryStrategies).optional(),
});

/**
 * A rule the service is knowingly exempt from, for a reason and until a date. Waivers live only here, in typed
 * config, so every one is reviewed in a pull request; `pnpm check` lists them, and fails once one has expired.
 */
export const waiverSchema = z.strictObject({
  /** The rule's id as `pnpm check` prints it, e.g. "images/immutable". */
  rule: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "is not a rule id — use the id `pnpm check` prints, e.g. images/immutable"),
  /** Why the rule does not apply, and what ends the waiver. */
  reason: z.string().trim().min(10, "is too short — say why the rule does not apply here and what will end the waiver"),
  /** Last day the waiver holds (ISO date, UTC); from the day after, the finding is back and the waiver itself is one. */
  expires: z.iso.date({ error: "is not an ISO date — write it as YYYY-MM-DD, e.g. 2026-03-31" }),
  /** Environments the waiver covers; default: every environment of the service. */
  environments: z.array(nameSchema(20)).min(1, "is empty — list at least one environment, or remove it to cover all").optional(),
});

export const serviceSchema = z
  .strictObject({
    // "default-deny" names the namespace's deny-all NetworkPolicy, beside the service's own policy named after it.
    name: nameSchema(40)
      .refine((n) => n !== "default-deny", { message: "is reserved (the default-deny network policy) — pick another name" })
      // ArgoCD's own objects live in generated/<account>/<env>/argocd/, beside the service folders.
      .refine((n) => n !== "argocd", { message: "is reserved (ArgoCD's own folder) — pick another name" })
      // A canary's analysis reads the hub's query credentials from an ExternalSecret of that name beside the service's own.
      .refine((n) => n !== wellKnown.hubQueryCredentials.secret, { message: "is reserved (the hub credentials of canary analyses) — pick another name" }),
    kind: z.enum(["http", "worker", "job"]),
    description: z.string().min(1, "is empty — say in one line what the service does"),
    team: nameSchema(63),
    costCenter: nameSchema(63),
    /** Image repository under the estate's registry, e.g. "payments/payments-api". */
    image: z.string().regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, "is not an image repository path — write it relative to the registry, e.g. team/service"),
    version: overrideSchema.shape.version.unwrap(),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    port: z.int().min(1024, "is a privileged port — use 1024 or above (containers run as non-root)").max(65535, "is not a port — use 1024–65535").optional(),
    health: z
      .strictObject({
        port: z.int().min(1024, "is a privileged port — use 1024 or above (containers run as non-root)").max(65535, "is not a port — use 1024–65535").optional(),
        readiness: z.string().regex(/^\//, "is not a path — start it with /").optional(),
        liveness: z.string().regex(/^\//, "is not a path — start it with /").optional(),
      })
      .optional(),
    schedule: z
      .string()
      .regex(/^(\S+\s+){4}\S+$/, "is not a cron schedule — write five fields, e.g. '0 2 * * *'")
      .optional(),
    config: z.record(envVarKey, z.union([z.string(), z.number(), z.boolean()])).optional(),
    urls: overrideSchema.shape.urls,
    secrets: overrideSchema.shape.secrets,
    dependsOn: z.array(nameSchema(40)).optional(),
    public: z.strictObject({ host: nameSchema(63), path: z.string().regex(/^\//, "is not a path — start it with /").optional() }).optional(),
    resources: resourcesSchema.optional(),
    /**
     * Where Prometheus scrapes the service (http and worker only): default the serving port (a worker's health
     * port) at /metrics; `false` when it exposes none (it may still push metrics over OTLP).
     */
    /**
     * How a new version replaces the old in every environment (http and worker only; blueGreen http only), unless
     * an environment overrides it; each must be one the environment's tier allows. Default: the tier's default
     * (dev and staging rolling, prod canary).
     */
    strategy: overrideSchema.shape.strategy,
    metrics: z
      .union([
        z.literal(false),
        z.strictObject({ path: z.string().regex(/^\//, "is not a path — start it with /").optional() }),
      ])
      .optional(),
    /** A stricter SLO than the tier's (alerts fire on it); default: the tier's. It may only tighten the tier's figures. */
    slo: z
      .strictObject({
        errorRatePercent: z.number().gt(0, "must be above 0 — give a percentage such as 1 or 0.5").max(100, "is above 100 — give a percentage").optional(),
        latencyP99Ms: z.int().min(1, "must be at least 1 ms").optional(),
      })
      .optional(),
    /**
     * Data the service keeps: a PersistentVolumeClaim mounted at `mountPath`, backed up on the tier's schedule
     * (Velero, in the account that holds the data). Default: none, the service is stateless. `accessMode` defaults
     * to ReadWriteMany, which replicas on several nodes need; `storageClassName` to the cluster's default class.
     */
    state: z
      .strictObject({
        size: quantitiesSchema.shape.memory,
        mountPath: z.string().regex(/^\/[^:]*$/, "is not an absolute path — e.g. /var/lib/app").refine((p) => p !== "/" && p !== "/tmp", { message: "is / or /tmp — mount state at its own path, e.g. /var/lib/app" }),
        accessMode: z.enum(["ReadWriteOnce", "ReadWriteMany"]).optional(),
        storageClassName: nameSchema(63).optional(),
      })
      .optional(),
    /** Names of shared settings declared once in the estate (`platform.config`) that the service reads. */
    sharedConfig: z.array(envVarKey).optional(),
    environments: z.record(nameSchema(20), overrideSchema),
    waivers: z.array(waiverSchema).optional(),
  })
  .superRefine((s, ctx) => {
    const fault = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (s.kind === "job" && !s.schedule) fault(["schedule"], "is required for a job — give a cron schedule such as '0 2 * * *'");
    if (s.kind !== "job" && s.schedule) fault(["schedule"], `only jobs run on a schedule — remove it, or set kind: "job"`);
    if (s.kind !== "http" && s.public) fault(["public"], `only http services can be public — remove it, or set kind: "http"`);
    if (s.kind === "job" && s.health) fault(["health"], "jobs have no health endpoints — remove it");
    if (s.kind === "job" && s.port) fault(["port"], "jobs serve nothing — remove it");
    if (Object.keys(s.environments).length === 0)
      fault(["environments"], "is empty — list at least one environment, e.g. { dev: {} }");
    const names = new Set([...Object.keys(s.config ?? {}), ...Object.keys(s.urls ?? {}), ...Object.keys(s.secrets ?? {})]);
    const seen = new Map<string, string>();
    for (const [group, keys] of [["config", s.config], ["urls", s.urls], ["secrets", s.secrets]] as const) {
      for (const key of Object.keys(keys ?? {})) {
        const first = seen.get(key);
        if (first) fault([group, key], `is also set in ${first} — give each environment variable one source`);
        else seen.set(key, group);
      }
    }
    if (names.has("LOG_LEVEL")) fault(["config", "LOG_LEVEL"], "is set by the tier — use logLevel in an environment override instead");
    for (const [group, keys] of [["config", s.config], ["urls", s.urls], ["secrets", s.secrets]] as const)
      for (const key of Object.keys(keys ?? {}))
        if (key.startsWith("OTEL_")) fault([group, key], "is set by the platform (every workload sends telemetry to its account's collector) — remove it");
    if (s.kind === "job" && s.metrics) fault(["metrics"], "jobs are not scraped (they push metrics over OTLP) — remove it");
    // A deployment strategy replaces running pods; a job runs a new pod each time, and a worker has no Service to switch.
    for (const [path, strategy] of [[["strategy"], s.strategy], ...Object.entries(s.environments).map(([env, o]) => [["environments", env, "strategy"], o.strategy] as const)] as const) {
      if (strategy === undefined) continue;
      if (s.kind === "job") fault([...path], "jobs have no deployment strategy (every run is a new pod) — remove it");
      else if (s.kind === "worker" && strategy === "blueGreen") fault([...path], "is blueGreen, but a worker has no Service to switch over — use canary or rolling");
    }
    for (const [i, key] of (s.sharedConfig ?? []).entries()) {
      if (names.has(key)) fault(["sharedConfig", i], `${key} is also set in the service's own config, urls or secrets — take it from one place`);
      else if (s.sharedConfig!.indexOf(key) < i) fault(["sharedConfig", i], `"${key}" is already listed — remove it`);
    }
    for (const [env, o] of Object.entries(s.environments)) {
      for (const key of Object.keys(o.urls ?? {}))
        if (!has(s.urls, key)) fault(["environments", env, "urls", key], "is not declared in the service's urls — declare it once at the service level, then override it here");
      for (const key of Object.keys(o.secrets ?? {}))
        if (!has(s.secrets, key)) fault(["environments", env, "secrets", key], "is not declared in the service's secrets — declare it once at the service level, then override the reference here");
    }
    for (const [i, dep] of (s.dependsOn ?? []).entries()) {
      if (dep === s.name) fault(["dependsOn", i], "is the service itself — remove it");
      else if (s.dependsOn!.indexOf(dep) < i) fault(["dependsOn", i], `"${dep}" is already listed — remove it`);
    }
    for (const [i, w] of (s.waivers ?? []).entries())
      for (const [j, env] of (w.environments ?? []).entries())
        if (!Object.hasOwn(s.environments, env)) fault(["waivers", i, "environments", j], `"${env}" is not one of the service's environments — ${oneOf(env, Object.keys(s.environments))}`);
  });

export const environmentSchema = z.strictObject({
  // generated/<account>/platform/ holds the platform's companion objects, beside the environments' folders.
  name: nameSchema(20)
    .refine((n) => n !== "platform", { message: "is reserved (the platform's folder in each account) — pick another name" })
    // Pull-request previews live in generated/<account>/preview/ (@gitops/argocd's PREVIEW_FOLDER).
    .refine((n) => n !== "preview", { message: "is reserved (the pull-request previews' folder in each account) — pick another name" }),
  account: nameSchema(20),
  tier: z.enum(tierNames as [string, ...string[]]),
  /** Rollout order; lower waves go first. Default for dev 0, staging 1, prod 2, shared -1 (by convention, set explicitly). */
  wave: z.int().min(-10, "is below -10 — use -10…10").max(10, "is above 10 — use -10…10"),
  /** DNS zone for the environment's hosts; default `<name>.<account domain>`. */
  domain: z.string().regex(dnsName, "is not a DNS name — e.g. dev.nonprod.example.com").optional(),
  description: z.string().optional(),
});

const accountSchema = z.strictObject({
  cluster: z.strictObject({
    name: nameSchema(63),
    server: httpsUrl,
  }),
  domain: z.string().regex(dnsName, "is not a DNS name — e.g. nonprod.example.com"),
  secretStore: z.strictObject({
    name: nameSchema(63),
    /** Default: ClusterSecretStore. */
    kind: z.enum(["ClusterSecretStore", "SecretStore"]).optional(),
  }),
  ingress: z
    .strictObject({
      /** Default: nginx. */
      className: nameSchema(63).optional(),
      /** Default: letsencrypt. */
      clusterIssuer: nameSchema(63).optional(),
      /** Namespace of the ingress controller, allowed in by network policy. Default: ingress-nginx. */
      namespace: nameSchema(63).optional(),
    })
    .optional(),
  description: z.string().optional(),
});

const chartVersion = z
  .string()
  .regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, "is not an exact chart version — pin one release such as 1.16.2 (no ranges, no latest)");

const duration = z.string().regex(/^[1-9][0-9]*(h|d)$/, "is not a retention — write hours or days, e.g. 72h or 30d");

/**
 * The shared platform, declared once in common and installed the same way into every account: only URLs, secret
 * references and sizes differ between accounts, and those come from account and tier data.
 */
const platformSchema = z.strictObject({
  /** Owner and cost labels of the platform's objects. Default: team "platform", cost center "platform". */
  team: nameSchema(63).optional(),
  costCenter: nameSchema(63).optional(),
  /** The account that receives every account's telemetry and keeps the stores. Default: the account running ArgoCD. */
  hub: nameSchema(20).optional(),
  /** Chart versions, pinned; default: the versions @gitops/platform's values are written for. */
  charts: z.strictObject(Object.fromEntries(componentNames.map((c) => [c, chartVersion.optional()])) as Record<keyof typeof components, z.ZodOptional<typeof chartVersion>>).optional(),
  /** The secret manager every account's store reads from, each through its own mount. Default: https://vault.<hub domain>. */
  vault: httpsUrl.optional(),
  /** Contact for the ACME account behind every ClusterIssuer. Default: platform@<hub domain>. */
  acmeEmail: z.email({ error: "is not an email address — e.g. platform@example.com" }).optional(),
  /** How long the hub keeps what spokes ship. Default: 30d each (the seeds' operational retention). */
  retention: z.strictObject({ metrics: duration.optional(), logs: duration.optional(), traces: duration.optional() }).optional(),
  /**
   * Where each account's backups go: an S3-compatible bucket per account (`{account}` is filled in), so backups of
   * prod data stay in prod. Default: bucket "{account}-backups", region "eu-west-1".
   */
  backups: z
    .strictObject({
      bucket: z.string().regex(/^[a-z0-9{}][a-z0-9.{}-]{1,62}$/, "is not a bucket name — lowercase letters, digits, dots and dashes; {account} is filled in").optional(),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "is not a region — e.g. eu-west-1").optional(),
    })
    .optional(),
  /**
   * Settings every service may read (`sharedConfig` in its file), declared once here and copied down into every
   * account the same way; `{domain}` becomes the environment's domain.
   */
  config: z.record(envVarKey, z.union([z.string(), z.number(), z.boolean()])).optional(),
});

export const estateSchema = z.strictObject({
  repository: z.strictObject({
    url: z.string().regex(/^(https:\/\/|git@|ssh:\/\/)\S+$/, "is not a git URL — use https://… or git@…"),
    /** Default: main. */
    revision: z.string().min(1).optional(),
  }),
  /** Image registry in the common account; every image comes from here. */
  registry: z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/, "is not a registry host — e.g. registry.platform.example.com"),
  /** Owner of prod paths and the platform (a CODEOWNERS handle such as @acme/platform). */
  platformTeam: z.string().regex(/^@[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/, "is not a CODEOWNERS handle — e.g. @acme/platform"),
  /** Namespace ArgoCD runs in (common cluster). Default: argocd. */
  argocdNamespace: nameSchema(63).optional(),
  /** Environment whose cluster runs ArgoCD; its objects go to generated/<account>/<env>/argocd/. Default: the first wave's (common's shared). */
  argocdEnvironment: nameSchema(20).optional(),
  accounts: z.record(nameSchema(20), accountSchema),
  /** The shared platform services; default: every component at its pinned version, hub = ArgoCD's account. */
  platform: platformSchema.optional(),
});

export type EstateInput = z.input<typeof estateSchema>;
export type AccountInput = z.input<typeof accountSchema>;
export type EnvironmentInput = z.input<typeof environmentSchema>;
export type ServiceInput = z.input<typeof serviceSchema>;
export type OverrideInput = z.input<typeof overrideSchema>;
export type WaiverInput = z.input<typeof waiverSchema>;
export type PlatformInput = z.input<typeof platformSchema>;
