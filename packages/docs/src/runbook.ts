/**
 * generated/runbooks/<service>.md: what a person on call needs for one service, in every environment it runs in.
 * Read from the resolved model for what the service is (team, waves, tier bounds, where to edit) and from the
 * generated objects for what actually runs (workload and strategy, autoscaler, hosts, alert rules, secret
 * references, backup schedules), so that the runbook describes the manifests ArgoCD applies, whatever base or
 * platform component rendered them. Secret values never appear: the objects hold none, and only names and store
 * keys are read from them.
 *
 * Split in two so that the incremental generate can skip unchanged runbooks: `runbookContexts` collects the plain
 * data each runbook needs besides its own deployments' objects (a cache key), `serviceRunbook` renders one.
 */
import type { RenderableDeployment, ResolvedAccount, ResolvedDeployment, ResolvedEnvironment, ResolvedEstate, ResolvedService } from "@gitops/model";
import { codeowners } from "./estate.ts";
import { renderTemplate } from "./render.ts";

type Json = Record<string, unknown>;

/** One generated object: its path relative to generated/ and its body. */
export interface RunbookObject {
  readonly file: string;
  readonly object: Readonly<Json>;
}

/** The ArgoCD Application that syncs one folder, as the ApplicationSet expands it. */
export interface RunbookApplication {
  /** The folder relative to generated/, e.g. `prod/prod/payments`. */
  readonly folder: string;
  readonly name: string;
  readonly project: string;
  readonly selfHeal: boolean;
  readonly prune: boolean;
  /** Whether a RollingSync step selects it: then the ApplicationSet controller syncs it, and drift waits for a rollout. */
  readonly rollingSync: boolean;
}

/** Everything one service's runbook reads, except its deployments' own objects: plain data, cheap to hash. */
export interface RunbookContext {
  readonly service: ResolvedService;
  readonly repository: string;
  readonly platformTeam: string;
  readonly deployments: readonly {
    readonly deployment: RenderableDeployment;
    readonly environment: ResolvedEnvironment;
    readonly account: ResolvedAccount;
    /** The deployment's folder relative to generated/. */
    readonly folder: string;
  }[];
  /**
   * The shared hub, where people look at metrics, alerts and logs. Its public hosts take only what spokes send (and
   * each spoke's own metric queries), so people reach its tools inside its cluster.
   */
  readonly hub: {
    readonly account?: string;
    readonly cluster?: string;
    /** Namespace of the hub's kube-prometheus-stack (Prometheus, Alertmanager, Grafana), when the hub runs one. */
    readonly monitoringNamespace?: string;
    /** Namespace of the hub's Loki, when the hub runs one. */
    readonly logsNamespace?: string;
  };
  /** Per account the service runs in: the platform components installed there. */
  readonly platformByAccount: Readonly<Record<string, readonly string[]>>;
  /** Objects outside the service's own folders that belong to it (Velero Schedules, …), by label or namespace. */
  readonly estateObjects: readonly RunbookObject[];
  /** Who must review a change, per path, as .github/CODEOWNERS decides (its last matching line). */
  readonly owners: readonly { readonly path: string; readonly owners: string }[];
}

/** The service label platform objects carry when they belong to one service (Velero Schedules). */
export const SERVICE_LABEL = "gitops.dev/service";
/** The platform component that ships container logs to the hub (see packages/platform). */
export const LOG_SHIPPER = "fluent-bit";

const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);
const meta = (o: Readonly<Json>) => obj(o.metadata);
const labelsOf = (o: Readonly<Json>) => obj(meta(o).labels) as Record<string, string>;
/** Markdown table cells: a pipe ends the cell, a newline the row. */
const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/**
 * The contexts of every service's runbook, in service order. `folderOf` is the generator's folder layout,
 * `estateObjects` everything not rendered per deployment. (Which Application syncs each folder is passed to
 * `serviceRunbook`: expanding the ApplicationSets costs more than the rest, so only runbooks being rendered pay it.)
 */
export function runbookContexts(
  estate: ResolvedEstate,
  input: {
    readonly folderOf: (d: ResolvedDeployment) => string;
    readonly estateObjects: readonly RunbookObject[];
  },
): RunbookContext[] {
  const hubAccount = estate.accounts.find((a) => a.name === estate.platform.hub);
  const atHub = (component: string) => estate.platform.releases.find((r) => r.account === estate.platform.hub && r.component === component);
  const monitoring = atHub("kube-prometheus-stack");
  const logs = atHub("loki");
  const owners = ownersOf(codeowners(estate));
  const platformByAccount: Record<string, string[]> = {};
  for (const r of estate.platform.releases) (platformByAccount[r.account] ??= []).push(r.component);
  for (const list of Object.values(platformByAccount)) list.sort();
  // Indexed once: an estate has thousands of services and of estate objects.
  const byService = new Map<string, number[]>();
  const byNamespace = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, i: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(i);
  input.estateObjects.forEach((o, i) => {
    const service = labelsOf(o.object)[SERVICE_LABEL];
    if (service) push(byService, service, i);
    for (const n of arr(obj(obj(o.object.spec).template).includedNamespaces)) push(byNamespace, String(n), i);
  });
  const deploymentsOf = new Map<string, ResolvedDeployment[]>();
  for (const d of estate.deployments) (deploymentsOf.get(d.service) ?? deploymentsOf.set(d.service, []).get(d.service)!).push(d);
  return estate.services.map((service) => {
    const deployments = (deploymentsOf.get(service.name) ?? []).map((deployment) => {
      return {
        deployment,
        environment: estate.environments.find((e) => e.name === deployment.environment)!,
        account: estate.accounts.find((a) => a.name === deployment.account)!,
        folder: input.folderOf(deployment),
      };
    });
    const folders = new Set(deployments.map((d) => d.folder));
    const picked = new Set([...(byService.get(service.name) ?? []), ...deployments.flatMap((d) => byNamespace.get(d.deployment.namespace) ?? [])]);
    const estateObjects = [...picked]
      .sort((a, b) => a - b)
      .map((i) => input.estateObjects[i]!)
      .filter((o) => !folders.has(o.file.slice(0, o.file.lastIndexOf("/"))));
    const paths = [`services/${service.name}/`, ...deployments.map((d) => `generated/${d.folder}/`)];
    return {
      service,
      repository: estate.repository.url,
      platformTeam: estate.platformTeam,
      deployments,
      hub: {
        ...(hubAccount ? { account: hubAccount.name, cluster: hubAccount.cluster.name } : {}),
        ...(monitoring ? { monitoringNamespace: monitoring.namespace } : {}),
        ...(logs ? { logsNamespace: logs.namespace } : {}),
      },
      platformByAccount: Object.fromEntries(Object.entries(platformByAccount).filter(([a]) => deployments.some((d) => d.account.name === a))),
      estateObjects,
      owners: paths.map((path) => ({ path, owners: owners(path) })),
    };
  });
}

/**
 * A CODEOWNERS file as a lookup: the owners of a path are those of its last matching line. Only the patterns the
 * generator writes are understood (`*`, and folders written `/a/b/`), so a path's candidates are `*` and its
 * ancestor folders: a lookup costs the path's depth, not the file's length.
 */
function ownersOf(text: string): (path: string) => string {
  const last = new Map<string, { index: number; owners: string }>();
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    const [pattern, ...owners] = line.trim().split(/\s+/);
    last.set(pattern!, { index, owners: owners.join(" ") });
  });
  type Hit = { index: number; owners: string } | undefined;
  // The winning line for a folder and its ancestors ("" is the root, `*`), each folder looked up once: every
  // service's paths share all but their last folder.
  const winner = new Map<string, Hit>();
  const winnerOf = (folder: string): Hit => {
    if (winner.has(folder)) return winner.get(folder);
    const cut = folder.lastIndexOf("/", folder.length - 2);
    const inherited = folder === "" ? undefined : winnerOf(cut <= 0 ? "" : folder.slice(0, cut + 1));
    const own = last.get(folder === "" ? "*" : folder);
    const hit = own === undefined || (inherited !== undefined && inherited.index > own.index) ? inherited : own;
    winner.set(folder, hit);
    return hit;
  };
  return (path) => {
    const parts = path.split("/").filter(Boolean);
    return winnerOf(parts.length === 0 ? "" : `/${parts.join("/")}/`)?.owners ?? "nobody";
  };
}

const WORKLOAD_KINDS = ["Rollout", "Deployment", "StatefulSet", "CronJob"];

/** The objects of one deployment, read for what a person on call needs. */
function readObjects(objects: readonly RunbookObject[]) {
  const of = (kind: string) => objects.filter((o) => o.object.kind === kind);
  const workload = WORKLOAD_KINDS.map((k) => of(k)[0]).find((o) => o !== undefined)?.object;
  return { of, workload };
}

/**
 * Renders generated/runbooks/<service>.md from its context, its deployments' objects (by environment) and the
 * Applications that sync its folders (by folder; a folder without one is reported as such).
 */
export function serviceRunbook(
  ctx: RunbookContext,
  objectsByEnvironment: ReadonlyMap<string, readonly RunbookObject[]>,
  applications: ReadonlyMap<string, RunbookApplication>,
): string {
  const svc = ctx.service;
  const envs = ctx.deployments.map((x) => {
    const d = x.deployment;
    const { of, workload } = readObjects(objectsByEnvironment.get(d.environment) ?? []);
    const spec = obj(workload?.spec);
    const hpa = of("HorizontalPodAutoscaler")[0]?.object;
    const hpaSpec = obj(hpa?.spec);
    const cpuTarget = arr(hpaSpec.metrics)
      .map((m) => obj(obj(obj(m).resource).target).averageUtilization)
      .find((v) => typeof v === "number");
    const hosts = of("Ingress").flatMap((i) => {
      const tls = new Set(arr(obj(i.object.spec).tls).flatMap((t) => arr(obj(t).hosts).map(String)));
      return arr(obj(i.object.spec).rules).map((r) => {
        const host = String(obj(r).host ?? "");
        return tls.has(host) ? `https://${host}` : `http://${host} (no TLS)`;
      });
    });
    const kind = str(workload?.kind) ?? "none";
    const replicas = hpa
      ? `${String(hpaSpec.minReplicas ?? 1)}–${String(hpaSpec.maxReplicas)} (HPA${cpuTarget !== undefined ? `, CPU ${String(cpuTarget)} %` : ""})`
      : kind === "CronJob"
        ? `job, schedule \`${String(spec.schedule)}\` (${String(spec.timeZone ?? "UTC")})`
        : workload
          ? `${String(spec.replicas ?? 1)} (fixed)`
          : "—";
    const strategy = strategyOf(workload, of);
    const alerts = of("PrometheusRule").flatMap((r) =>
      arr(obj(r.object.spec).groups).flatMap((g) =>
        arr(obj(g).rules)
          .map(obj)
          .filter((rule) => typeof rule.alert === "string")
          .map((rule) => ({
            name: String(rule.alert),
            severity: String(obj(rule.labels).severity ?? "none"),
            for: String(rule.for ?? "0s"),
            expr: cell(String(rule.expr ?? "")),
            summary: cell(String(obj(rule.annotations).summary ?? "")),
          })),
      ),
    );
    const endpoint = (e: unknown) => `${String(obj(e).port ?? "?")}${String(obj(e).path ?? "/metrics")}`;
    const monitors = [
      ...of("PodMonitor").flatMap((m) => arr(obj(m.object.spec).podMetricsEndpoints).map(endpoint)),
      ...of("ServiceMonitor").flatMap((m) => arr(obj(m.object.spec).endpoints).map(endpoint)),
    ];
    const secrets = of("ExternalSecret").map((es) => {
      const s = obj(es.object.spec);
      const store = obj(s.secretStoreRef);
      return {
        name: String(meta(es.object).name),
        target: String(obj(s.target).name ?? meta(es.object).name),
        store: `${String(store.kind ?? "SecretStore")}/${String(store.name)}`,
        refresh: String(s.refreshInterval ?? "1h"),
        entries: [
          ...arr(s.data).map((e) => {
            const ref = obj(obj(e).remoteRef);
            return { env: String(obj(e).secretKey), key: `${String(ref.key)}${ref.property ? `#${String(ref.property)}` : ""}` };
          }),
          ...arr(s.dataFrom).map((e) => ({ env: "(every property)", key: String(obj(obj(e).extract).key ?? obj(obj(e).find).name ?? "?") })),
        ],
      };
    });
    // A Secret object carries values: name it, never read its data.
    const plainSecrets = of("Secret").map((o) => String(meta(o.object).name));
    const config = of("ConfigMap").flatMap((c) => Object.entries(obj(c.object.data)).map(([k, v]) => ({ name: k, value: cell(String(v)) })));
    const volumes = of("PersistentVolumeClaim").map((p) => {
      const s = obj(p.object.spec);
      return `${String(meta(p.object).name)} (${String(obj(obj(s.resources).requests).storage ?? "?")}, ${arr(s.accessModes).join(", ")})`;
    });
    const schedules = ctx.estateObjects
      .filter((o) => o.object.kind === "Schedule" && (labelsOf(o.object).environment === d.environment || arr(obj(obj(o.object.spec).template).includedNamespaces).includes(d.namespace)))
      .map((o) => {
        const s = obj(o.object.spec);
        return {
          name: String(meta(o.object).name),
          namespace: String(meta(o.object).namespace ?? "velero"),
          schedule: String(s.schedule),
          ttl: String(obj(s.template).ttl ?? "720h (Velero's default)"),
          namespaces: arr(obj(s.template).includedNamespaces).join(", "),
          file: o.file,
        };
      });
    const wave = x.environment.wave;
    const lower = ctx.deployments.filter((y) => y.environment.wave < wave).at(-1)?.environment.name;
    const app = applications.get(x.folder);
    return {
      name: d.environment,
      account: d.account,
      cluster: x.account.cluster.name,
      server: x.account.cluster.server,
      namespace: d.namespace,
      folder: x.folder,
      app: app ? `${app.name}` : "none (no ApplicationSet syncs this folder)",
      project: app?.project ?? "—",
      drift: !app
        ? "nothing syncs this folder, so nothing puts git's state back"
        : app.rollingSync
          ? "the Application's template sets selfHeal, but under RollingSync the ApplicationSet controller owns syncing, so a hand change stays as drift (OutOfSync) until the next rollout puts git's state back"
          : app.selfHeal
            ? "selfHeal puts git's state back within minutes"
            : "the app shows OutOfSync until someone syncs it, which puts git's state back",
      tier: x.environment.tierName,
      wave,
      pager: x.environment.tier.pager,
      version: d.version,
      image: firstImage(workload) ?? d.image,
      replicas,
      hosts: hosts.length ? hosts.join(", ") : "—",
      kind,
      job: kind === "CronJob",
      strategy,
      hpa: hpa ? { min: String(hpaSpec.minReplicas ?? 1), max: String(hpaSpec.maxReplicas), cpu: cpuTarget === undefined ? "—" : `${String(cpuTarget)} %` } : null,
      fixedReplicas: !hpa && kind !== "CronJob" && workload ? String(spec.replicas ?? 1) : null,
      tierReplicas: `${x.environment.tier.replicas.min}–${x.environment.tier.replicas.max}`,
      tierMax: x.environment.tier.autoscaling ? String(x.environment.tier.autoscaling.maxReplicas) : null,
      alerts,
      route: routeOf(alerts[0]?.severity ?? d.observability.alerts.severity),
      monitors: monitors.length ? monitors.join(", ") : null,
      logQuery: `{account="${d.account}", namespace="${d.namespace}"}`,
      logShipped: (ctx.platformByAccount[d.account] ?? []).includes(LOG_SHIPPER),
      traceService: d.config.OTEL_SERVICE_NAME ?? d.service,
      secrets,
      plainSecrets,
      config,
      volumes,
      state: d.state ? `${d.state.size} at \`${d.state.mountPath}\`` : null,
      // Where the tier keeps no backups, a volume has none by design (the model resolves no `backup`).
      backupDeclared: d.backup !== undefined,
      schedules,
      lower,
      dependsOn: d.dependsOn.map((p) => p.service),
      dependents: d.dependents.map((p) => p.service),
    };
  });
  const peers = (pick: (e: (typeof envs)[number]) => readonly string[]) => {
    const names = [...new Set(envs.flatMap(pick))].sort();
    return names.map((name) => ({ name, environments: envs.filter((e) => pick(e).includes(name)).map((e) => e.name).join(", ") }));
  };
  // The charts' Services (their fullnameOverride, packages/platform), reached from a workstation in the hub's cluster.
  const forward = (namespace: string | undefined, service: string, ports: string) =>
    ctx.hub.cluster && namespace ? `kubectl --context ${ctx.hub.cluster} -n ${namespace} port-forward svc/${service} ${ports}` : null;
  const hub = {
    account: ctx.hub.account ?? null,
    cluster: ctx.hub.cluster ?? null,
    prometheus: forward(ctx.hub.monitoringNamespace, "kube-prometheus-stack-prometheus", "9090"),
    alertmanager: forward(ctx.hub.monitoringNamespace, "kube-prometheus-stack-alertmanager", "9093"),
    grafana: forward(ctx.hub.monitoringNamespace, "kube-prometheus-stack-grafana", "3000:80"),
    loki: forward(ctx.hub.logsNamespace, "loki-gateway", "3100:80"),
  };
  const configNames = [...new Set(envs.flatMap((e) => e.config.map((c) => c.name)))].sort();
  return renderTemplate("runbook.md", {
    service: svc,
    file: svc.file,
    repository: ctx.repository,
    platformTeam: ctx.platformTeam,
    environments: envs,
    paged: envs.filter((e) => e.pager).map((e) => e.name),
    dependsOn: peers((e) => e.dependsOn),
    dependents: peers((e) => e.dependents),
    hub,
    config: configNames.map((name) => ({ name, values: envs.map((e) => e.config.find((c) => c.name === name)?.value ?? "·") })),
    owners: ctx.owners,
    stateful: envs.some((e) => e.state !== null || e.schedules.length > 0),
  });
}

const firstImage = (workload: Readonly<Json> | undefined): string | undefined => {
  if (!workload) return undefined;
  const spec = obj(workload.spec);
  const pod = workload.kind === "CronJob" ? obj(obj(obj(obj(spec.jobTemplate).spec).template).spec) : obj(obj(spec.template).spec);
  return str(obj(arr(pod.containers)[0]).image);
};

const routeOf = (severity: string) =>
  severity === "page" ? "pages the on-call person" : severity === "ticket" ? "opens a ticket for working hours" : severity === "info" ? "is recorded, notifies nobody" : `severity ${severity}`;

/** How the workload rolls out, from its own spec: rolling update, Argo Rollouts canary or blue-green, or a schedule. */
function strategyOf(workload: Readonly<Json> | undefined, of: (kind: string) => readonly RunbookObject[]) {
  const none = { text: "no workload rendered", rollout: false, canary: false, analyses: "", preview: "" };
  if (!workload) return none;
  const spec = obj(workload.spec);
  if (workload.kind === "Rollout") {
    const s = obj(spec.strategy);
    const canary = obj(s.canary);
    const blueGreen = obj(s.blueGreen);
    const templates = new Set<string>();
    const collect = (a: unknown) => arr(obj(a).templates).forEach((t) => templates.add(String(obj(t).templateName ?? obj(t).clusterScope ?? "?")));
    collect(canary.analysis);
    arr(canary.steps).forEach((step) => collect(obj(step).analysis));
    collect(blueGreen.prePromotionAnalysis);
    collect(blueGreen.postPromotionAnalysis);
    const weights = arr(canary.steps).map((step) => obj(step).setWeight).filter((w) => typeof w === "number");
    const analyses = [...templates].sort().join(", ");
    const defined = new Set(of("AnalysisTemplate").map((t) => String(meta(t.object).name)));
    const missing = [...templates].filter((t) => !defined.has(t));
    if (s.canary !== undefined)
      return {
        text: [
          `Argo Rollouts canary${weights.length ? ` (weights ${[...weights, 100].join(" → ")} %)` : ""}`,
          ...(canary.stableService ? [`stable Service \`${String(canary.stableService)}\``] : []),
          ...(canary.canaryService ? [`canary Service \`${String(canary.canaryService)}\``] : []),
        ].join(", "),
        rollout: true,
        canary: true,
        analyses: analyses ? `${analyses}${missing.length ? ` (not generated: ${missing.join(", ")})` : ""}` : "",
        preview: "",
      };
    return {
      text: `Argo Rollouts blue-green, active Service \`${String(blueGreen.activeService ?? "?")}\`, preview Service \`${String(blueGreen.previewService ?? "?")}\``,
      rollout: true,
      canary: false,
      analyses: analyses ? `${analyses}${missing.length ? ` (not generated: ${missing.join(", ")})` : ""}` : "",
      preview: String(blueGreen.previewService ?? ""),
    };
  }
  if (workload.kind === "CronJob")
    return { text: `CronJob \`${String(spec.schedule)}\`, concurrency ${String(spec.concurrencyPolicy ?? "Allow")}; each run starts the pinned image`, rollout: false, canary: false, analyses: "", preview: "" };
  const s = obj(spec.strategy);
  const ru = obj(s.rollingUpdate);
  const type = String(s.type ?? "RollingUpdate");
  return {
    text:
      type === "RollingUpdate"
        ? `${String(workload.kind)}, rolling update (surge ${String(ru.maxSurge ?? "25%")}, unavailable ${String(ru.maxUnavailable ?? "25%")}), minReadySeconds ${String(spec.minReadySeconds ?? 0)}, progress deadline ${String(spec.progressDeadlineSeconds ?? 600)} s, ${String(spec.revisionHistoryLimit ?? 10)} old ReplicaSets kept`
        : `${String(workload.kind)}, ${type}`,
    rollout: false,
    canary: false,
    analyses: "",
    preview: "",
  };
}
