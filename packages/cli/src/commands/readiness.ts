/**
 * `gitops readiness`: the seeds' "Checklist: Infrastructure Readiness", item by item, for every service in every
 * environment, checked against what `generate` writes (the objects ArgoCD will apply and the documents beside
 * them), never against the config that asks for them. The model says only what an item expects where the tier
 * decides it (zero-unavailable rollouts, autoscaling, backups of declared state); whether it is there is read
 * from the objects, by kind, labels and namespace, so objects other packages add (Argo Rollouts, quotas, Velero
 * Schedules) count as soon as they are generated. Exit 0 when no item is missing in a paged (production)
 * environment, else 4.
 */
import { ACCOUNT_LABEL, COMPONENT_LABEL } from "@gitops/argocd";
import { LOG_SHIPPER, SERVICE_LABEL } from "@gitops/docs";
import { applicationsOf, build, diffTrees, folderOf, isEmptyDiff, OUTPUT_DIR, readTree, runbookPath } from "@gitops/generator";
import { formatProblem, oneOf, type ResolvedEstate } from "@gitops/model";
import { join } from "node:path";
import type { Command } from "../command.ts";
import { EXIT, ExitError } from "../exit-codes.ts";
import { style } from "../style.ts";

export type Status = "ok" | "missing" | "n/a";

export interface ReadinessItem {
  readonly id: string;
  /** The seeds' checklist line this item checks. */
  readonly item: string;
  readonly status: Status;
  /** One line: what was found, or what is missing. */
  readonly reason: string;
}

export interface EnvironmentReadiness {
  readonly environment: string;
  readonly account: string;
  readonly namespace: string;
  /** The deployment's folder, relative to generated/. */
  readonly folder: string;
  /** Whether the environment's tier pages someone (prod): its missing items fail the command. */
  readonly production: boolean;
  readonly items: readonly ReadinessItem[];
}

export interface ServiceReadiness {
  readonly service: string;
  readonly team: string;
  readonly environments: readonly EnvironmentReadiness[];
}

export interface ReadinessReport {
  readonly services: readonly ServiceReadiness[];
  readonly counts: Readonly<Record<Status, number>>;
  /** Items missing in production environments, as `service/environment/id`. */
  readonly blocking: readonly string[];
  /** Checklist lines no generated object can answer: they stay with people. */
  readonly notChecked: readonly string[];
}

/** The seeds' checklist lines, in the seeds' order (plus quotas, which the estate adds), by item id. */
export const CHECKLIST = {
  iac: "Infrastructure defined as code",
  secrets: "Secrets stored securely (never in code)",
  "env-vars": "Environment variables documented",
  "health-checks": "Health check endpoints implemented",
  "deployment-strategy": "Deployment strategy chosen and tested",
  rollback: "Rollback procedure documented and tested",
  autoscaling: "Auto-scaling configured (if needed)",
  "resource-limits": "Resource quotas and limits set",
  monitoring: "Monitoring and alerting set up",
  logs: "Logs centralized and retained appropriately",
  backups: "Backup and disaster recovery plan in place",
  "cost-tracking": "Cost tracking and budget alerts configured",
  runbook: "Runbook created for operational tasks",
} as const;
export type ItemId = keyof typeof CHECKLIST;

const NOT_CHECKED = ["Security review completed (network, access, encryption)", "Team trained on deployment and incident response"];
/** The platform component that takes the backups (its Schedules are read wherever they are generated). */
const BACKUP_COMPONENT = "velero";
const COST_LABELS = ["team", "cost-center", "environment", "account"] as const;
const WORKLOAD_KINDS = ["Rollout", "Deployment", "StatefulSet", "CronJob"];

type Json = Record<string, unknown>;
interface Obj {
  readonly file: string;
  readonly object: Readonly<Json>;
}
export interface ReadinessInput {
  readonly estate: ResolvedEstate;
  readonly objects: readonly Obj[];
  /** Every generated file, path relative to generated/ → content (runbooks and README included). */
  readonly files: ReadonlyMap<string, string>;
}

const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const nameOf = (o: Readonly<Json>) => String(obj(o.metadata).name ?? "");
const labelsOf = (o: Readonly<Json>) => obj(obj(o.metadata).labels) as Record<string, unknown>;
const id = (o: Readonly<Json>) => `${String(o.kind)}/${nameOf(o)}`;
const folderOfFile = (file: string) => file.slice(0, file.lastIndexOf("/"));

/** The pod template of a workload object (CronJobs nest theirs in the job template). */
function podTemplate(w: Readonly<Json>): Json {
  const spec = obj(w.spec);
  return w.kind === "CronJob" ? obj(obj(obj(spec.jobTemplate).spec).template) : obj(spec.template);
}
const containersOf = (w: Readonly<Json>) => [...arr(obj(podTemplate(w).spec).initContainers), ...arr(obj(podTemplate(w).spec).containers)].map(obj);

/** Runs the checklist over a build: pure, so a test can hand it objects with one removed. */
export function readiness(input: ReadinessInput, only?: string): ReadinessReport {
  const { estate } = input;
  const byFolder = new Map<string, Obj[]>();
  for (const o of input.objects) {
    const f = folderOfFile(o.file);
    (byFolder.get(f) ?? byFolder.set(f, []).get(f)!).push(o);
  }
  const deploymentFolders = new Set(estate.deployments.map(folderOf));
  const estateLevel = input.objects.filter((o) => !deploymentFolders.has(folderOfFile(o.file)));
  const applications = applicationsOf(estateLevel, deploymentFolders);
  const platformApps = estateLevel.filter((o) => o.object.kind === "Application" && String(o.object.apiVersion).startsWith("argoproj.io/"));
  const platformApp = (account: string, component: string) =>
    platformApps.find((a) => labelsOf(a.object)[ACCOUNT_LABEL] === account && labelsOf(a.object)[COMPONENT_LABEL] === component);
  const schedules = estateLevel.filter((o) => o.object.kind === "Schedule" && String(o.object.apiVersion).startsWith("velero.io/"));

  const services = estate.services
    .filter((s) => only === undefined || s.name === only)
    .map((s) => ({
      service: s.name,
      team: s.team,
      environments: estate.deployments
        .filter((d) => d.service === s.name)
        .map((d): EnvironmentReadiness => {
          const env = estate.environments.find((e) => e.name === d.environment)!;
          const account = estate.accounts.find((a) => a.name === d.account)!;
          const folder = folderOf(d);
          const objects = (byFolder.get(folder) ?? []).filter((o) => {
            const ns = obj(o.object.metadata).namespace;
            return ns === undefined || ns === d.namespace;
          });
          const of = (kind: string) => objects.filter((o) => o.object.kind === kind).map((o) => o.object);
          const workload = WORKLOAD_KINDS.map((k) => of(k)[0]).find((w) => w !== undefined);
          const runbook = input.files.get(runbookPath(d.service));
          const mine = schedules.filter((o) => {
            const l = labelsOf(o.object);
            return (l[SERVICE_LABEL] === d.service && l.environment === d.environment) || arr(obj(obj(o.object.spec).template).includedNamespaces).includes(d.namespace);
          });
          const checks: Record<ItemId, () => [Status, string]> = {
            iac: () => {
              const app = applications.get(folder);
              const files = [...input.files.keys()].filter((p) => folderOfFile(p) === folder);
              const bare = files.filter((p) => !/^# Generated by `pnpm generate`[^\n]*\n(# source: [^\n]+\n)+/.test(input.files.get(p)!));
              if (files.length === 0) return ["missing", `nothing is generated in generated/${folder}/`];
              if (bare.length > 0) return ["missing", `${bare.join(", ")} name${bare.length === 1 ? "s" : ""} no source`];
              if (!app) return ["missing", `no ArgoCD Application syncs generated/${folder}/: it is code nobody applies`];
              return ["ok", `${files.length} files in generated/${folder}/, each naming its sources, applied by ArgoCD app ${app.name}`];
            },
            secrets: () => {
              const plain = of("Secret").map(nameOf);
              if (plain.length > 0) return ["missing", `Secret object${plain.length === 1 ? "" : "s"} in git: ${plain.join(", ")} — read ${plain.length === 1 ? "it" : "them"} from the store with an ExternalSecret`];
              const store = `${account.secretStore.kind}/${account.secretStore.name}`;
              const external = of("ExternalSecret");
              const foreign = external.filter((es) => {
                const ref = obj(obj(es.spec).secretStoreRef);
                return `${String(ref.kind ?? "SecretStore")}/${String(ref.name)}` !== store;
              });
              if (foreign.length > 0) return ["missing", `${foreign.map(id).join(", ")} read${foreign.length === 1 ? "s" : ""} another store than the account's ${store}`];
              const provided = new Set(external.map((es) => String(obj(obj(es.spec).target).name ?? nameOf(es))));
              const used = workload ? secretsReadBy(workload) : [];
              const unprovided = used.filter((n) => !provided.has(n));
              if (unprovided.length > 0) return ["missing", `${id(workload!)} reads Secret ${unprovided.join(", ")}, which no ExternalSecret here provides`];
              const keys = external.reduce((n, es) => n + arr(obj(es.spec).data).length + arr(obj(es.spec).dataFrom).length, 0);
              return ["ok", external.length ? `${keys} reference${keys === 1 ? "" : "s"} from ${store} (${external.map(id).join(", ")}); no Secret objects` : "no secrets, no Secret objects"];
            },
            "env-vars": () => {
              const names = [
                ...of("ConfigMap").flatMap((c) => Object.keys(obj(c.data))),
                ...of("ExternalSecret").flatMap((es) => arr(obj(es.spec).data).map((e) => String(obj(e).secretKey))),
              ];
              if (names.length === 0) return ["n/a", "no environment variables from a ConfigMap or ExternalSecret"];
              if (runbook === undefined) return ["missing", `${names.length} variables, and no runbook lists them`];
              const unlisted = names.filter((n) => !runbook.includes(`\`${n}\``));
              if (unlisted.length > 0) return ["missing", `not in generated/${runbookPath(d.service)}: ${unlisted.join(", ")}`];
              return ["ok", `${names.length} variables (ConfigMap and secret references) listed in generated/${runbookPath(d.service)}`];
            },
            "health-checks": () => {
              if (!workload) return ["missing", "no workload is generated"];
              if (workload.kind === "CronJob") return ["n/a", `${id(workload)} runs to completion: no probes; failed runs alert`];
              const containers = arr(obj(podTemplate(workload).spec).containers).map(obj);
              const lacking = containers.flatMap((c) => [
                ...(c.readinessProbe ? [] : [`${String(c.name)} has no readinessProbe`]),
                ...(c.livenessProbe ? [] : [`${String(c.name)} has no livenessProbe`]),
              ]);
              if (containers.length === 0) return ["missing", `${id(workload)} has no containers`];
              if (lacking.length > 0) return ["missing", `${id(workload)}: ${lacking.join(", ")}`];
              const path = (p: unknown) => String(obj(obj(p).httpGet).path ?? (obj(p).tcpSocket ? "tcp" : obj(p).exec ? "exec" : obj(p).grpc ? "grpc" : "?"));
              const c = containers[0]!;
              return ["ok", `readiness ${path(c.readinessProbe)} and liveness ${path(c.livenessProbe)} on ${containers.length === 1 ? "the container" : `all ${containers.length} containers`} of ${id(workload)}`];
            },
            "deployment-strategy": () => {
              if (!workload) return ["missing", "no workload is generated"];
              if (workload.kind === "CronJob") return ["n/a", `${id(workload)}: each run starts the pinned image (concurrency ${String(obj(workload.spec).concurrencyPolicy ?? "Allow")})`];
              if (workload.kind === "Rollout") {
                const r = rolloutOf(workload, of("AnalysisTemplate"));
                if (r.type === "none") return ["missing", `${id(workload)} has neither a canary nor a blue-green strategy`];
                if (r.templates.length === 0) return ["missing", `${id(workload)} rolls out by ${r.type} without analysis: nothing judges the new version`];
                // A canary replaces pods like a rolling update (Argo Rollouts' default maxUnavailable is 25%).
                const canaryUnavailable = String(obj(obj(obj(workload.spec).strategy).canary).maxUnavailable ?? "25%");
                if (r.type === "canary" && /^0%?$/.test(env.tier.rollingUpdate.maxUnavailable) && !/^0%?$/.test(canaryUnavailable))
                  return ["missing", `${id(workload)}'s canary may take ${canaryUnavailable} replicas out; the ${env.tierName} tier says 0`];
                return ["ok", `${id(workload)}: ${r.type} with analysis ${r.templates.join(", ")}`];
              }
              const spec = obj(workload.spec);
              const strategy = obj(workload.kind === "StatefulSet" ? spec.updateStrategy : spec.strategy);
              const type = String(strategy.type ?? "RollingUpdate");
              if (type !== "RollingUpdate") return ["missing", `${id(workload)} uses ${type}: every replica stops at once`];
              const maxUnavailable = String(obj(strategy.rollingUpdate).maxUnavailable ?? (workload.kind === "StatefulSet" ? "1" : "25%"));
              const zero = /^0%?$/.test(maxUnavailable);
              if (/^0%?$/.test(env.tier.rollingUpdate.maxUnavailable) && !zero)
                return ["missing", `${id(workload)} may take ${maxUnavailable} replicas out during a rollout; the ${env.tierName} tier says 0`];
              return ["ok", `${id(workload)}: rolling update, maxUnavailable ${maxUnavailable}${zero ? " (zero downtime)" : ` (the ${env.tierName} tier allows it)`}`];
            },
            rollback: () => {
              if (!workload) return ["missing", "no workload is generated"];
              if (workload.kind === "CronJob") return ["n/a", `${id(workload)} keeps no revisions: the next run starts whatever version git pins (revert it)`];
              if (workload.kind === "Rollout") {
                const r = rolloutOf(workload, of("AnalysisTemplate"));
                if (r.templates.length === 0) return ["missing", `no AnalysisTemplate is wired to ${id(workload)}: a failing canary is never aborted`];
                if (r.undefined.length > 0) return ["missing", `${id(workload)} names AnalysisTemplate ${r.undefined.join(", ")}, which is not generated in ${d.namespace}`];
                return ["ok", `a failed analysis (${r.templates.join(", ")}) aborts ${id(workload)}; by hand: kubectl argo rollouts abort ${d.service} -n ${d.namespace}`];
              }
              const limit = obj(workload.spec).revisionHistoryLimit;
              if (limit === 0) return ["missing", `${id(workload)} has revisionHistoryLimit 0: no earlier ReplicaSet to go back to`];
              return ["ok", `${id(workload)} keeps ${limit === undefined ? "10 (the default)" : String(limit)} old revisions; the runbook's rollback is a git revert`];
            },
            autoscaling: () => {
              if (!workload) return ["missing", "no workload is generated"];
              if (workload.kind === "CronJob") return ["n/a", "a job does not scale"];
              if (!env.tier.autoscaling) return ["n/a", `the ${env.tierName} tier runs a fixed count (${String(obj(workload.spec).replicas ?? 1)})`];
              const hpa = of("HorizontalPodAutoscaler").find((h) => {
                const ref = obj(obj(h.spec).scaleTargetRef);
                return ref.kind === workload.kind && ref.name === nameOf(workload);
              });
              if (!hpa) return ["missing", `the ${env.tierName} tier autoscales, but no HorizontalPodAutoscaler targets ${id(workload)}`];
              const spec = obj(hpa.spec);
              return ["ok", `${id(hpa)} keeps ${String(spec.minReplicas ?? 1)}–${String(spec.maxReplicas)} replicas of ${id(workload)}`];
            },
            "resource-limits": () => {
              const quota = of("ResourceQuota");
              const limits = of("LimitRange");
              const gaps = [
                ...(quota.length ? [] : [`no ResourceQuota in ${d.namespace}`]),
                ...(limits.length ? [] : [`no LimitRange in ${d.namespace}`]),
              ];
              if (workload)
                for (const c of containersOf(workload)) {
                  const r = obj(c.resources);
                  const absent = (["requests", "limits"] as const).flatMap((k) => (["cpu", "memory"] as const).filter((q) => obj(r[k])[q] === undefined).map((q) => `${k}.${q}`));
                  if (absent.length) gaps.push(`container ${String(c.name)} sets no ${absent.join(", ")}`);
                }
              else gaps.push("no workload is generated");
              if (gaps.length) return ["missing", gaps.join("; ")];
              return ["ok", `${quota.map(id).join(", ")} and ${limits.map(id).join(", ")}; every container sets requests and limits`];
            },
            monitoring: () => {
              const rules = of("PrometheusRule").flatMap((r) => arr(obj(r.spec).groups).flatMap((g) => arr(obj(g).rules).map(obj).filter((x) => typeof x.alert === "string")));
              const monitors = of("ServiceMonitor").concat(of("PodMonitor"));
              const gaps: string[] = [];
              if (d.observability.metrics && monitors.length === 0) gaps.push(`scraped at ${d.observability.metrics.path}, but no ServiceMonitor or PodMonitor in ${d.namespace}`);
              if (rules.length === 0) gaps.push(`no PrometheusRule with alerts in ${d.namespace}: nothing alerts on ${d.service}`);
              const unrouted = rules.filter((r) => obj(r.labels).severity === undefined).map((r) => String(r.alert));
              if (unrouted.length) gaps.push(`alert${unrouted.length === 1 ? "" : "s"} ${unrouted.join(", ")} carr${unrouted.length === 1 ? "ies" : "y"} no severity, so Alertmanager routes ${unrouted.length === 1 ? "it" : "them"} nowhere`);
              if (gaps.length) return ["missing", gaps.join("; ")];
              const severities = [...new Set(rules.map((r) => String(obj(r.labels).severity)))].sort().join(", ");
              return ["ok", `${monitors.length ? `${monitors.map(id).join(", ")}; ` : "not scraped (metrics: false or a job); "}${rules.length} alert${rules.length === 1 ? "" : "s"} (severity ${severities})`];
            },
            logs: () => {
              const shipper = platformApp(d.account, LOG_SHIPPER);
              if (!shipper) return ["missing", `account ${d.account} runs no ${LOG_SHIPPER} release: its logs stay on the nodes`];
              const excluded = logExclusion(shipper.object, d.namespace) ?? (workload && obj(obj(podTemplate(workload).metadata).annotations)["fluentbit.io/exclude"] === "true" ? `${id(workload)}'s pods are annotated fluentbit.io/exclude` : undefined);
              if (excluded) return ["missing", `${nameOf(shipper.object)} excludes ${d.namespace}: ${excluded}`];
              return ["ok", `${nameOf(shipper.object)} ships ${d.namespace} to ${estate.platform.hub ? `the hub's Loki (${estate.platform.hub})` : "the account's Loki"}, kept ${estate.platform.retention.logs}`];
            },
            backups: () => {
              const volumes = of("PersistentVolumeClaim").map(nameOf).concat(of("StatefulSet").flatMap((s) => arr(obj(s.spec).volumeClaimTemplates).map((t) => `${nameOf(s)}/${nameOf(obj(t))}`)));
              const stateful = d.state !== undefined || volumes.length > 0;
              if (mine.length > 0) {
                const velero = platformApp(d.account, BACKUP_COMPONENT);
                if (!velero) return ["missing", `${mine.map((m) => id(m.object)).join(", ")} exist${mine.length === 1 ? "s" : ""}, but account ${d.account} runs no ${BACKUP_COMPONENT} release to take them`];
                const s = obj(mine[0]!.object.spec);
                return ["ok", `${mine.map((m) => `${id(m.object)} (generated/${m.file})`).join(", ")}: ${String(s.schedule)}, kept ${String(obj(s.template).ttl ?? "720h")}`];
              }
              if (!stateful) return ["n/a", "declares no state and generates no volume"];
              const what = d.state ? `${d.state.size} at ${d.state.mountPath}` : volumes.join(", ");
              if (d.backup) return ["missing", `keeps ${what} and its tier backs it up (${d.backup.schedule}), but no Velero Schedule names ${d.service} in ${d.environment}`];
              if (env.tier.pager) return ["missing", `keeps ${what} in a paged environment with no Velero Schedule: nothing restores it`];
              return ["n/a", `keeps ${what}; the ${env.tierName} tier keeps no backups`];
            },
            "cost-tracking": () => {
              const owned = [...objects.map((o) => o.object), ...mine.map((m) => m.object)];
              const targets = [...owned.map((o) => ({ what: id(o), labels: labelsOf(o) })), ...(workload ? [{ what: `${id(workload)}'s pods`, labels: obj(obj(podTemplate(workload).metadata).labels) }] : [])];
              const wrong = targets.flatMap((t) =>
                COST_LABELS.filter((k) => t.labels[k] !== d.labels[k]).map((k) => `${t.what} ${t.labels[k] === undefined ? `has no ${k}` : `has ${k}=${String(t.labels[k])}, not ${d.labels[k]}`}`),
              );
              if (targets.length === 0) return ["missing", "no objects are generated"];
              if (wrong.length) return ["missing", wrong.slice(0, 3).join("; ") + (wrong.length > 3 ? `; … ${wrong.length - 3} more` : "")];
              return ["ok", `${COST_LABELS.join(", ")} on all ${owned.length} objects${workload ? " and the pods" : ""} (team ${d.labels.team}, cost center ${d.labels["cost-center"]})`];
            },
            runbook: () =>
              runbook === undefined || runbook.trim() === ""
                ? ["missing", `generated/${runbookPath(d.service)} is not generated`]
                : runbook.includes(d.namespace)
                  ? ["ok", `generated/${runbookPath(d.service)} (where it runs, alerts, rollback, scaling, secrets, backups, owners)`]
                  : ["missing", `generated/${runbookPath(d.service)} does not cover ${d.environment} (${d.namespace})`],
          };
          const items = (Object.keys(CHECKLIST) as ItemId[]).map((key) => {
            const [status, reason] = checks[key]();
            return { id: key, item: CHECKLIST[key], status, reason };
          });
          return { environment: d.environment, account: d.account, namespace: d.namespace, folder, production: env.tier.pager, items };
        }),
    }));
  const counts: Record<Status, number> = { ok: 0, missing: 0, "n/a": 0 };
  const blocking: string[] = [];
  for (const s of services)
    for (const e of s.environments)
      for (const i of e.items) {
        counts[i.status]++;
        if (e.production && i.status === "missing") blocking.push(`${s.service}/${e.environment}/${i.id}`);
      }
  return { services, counts, blocking, notChecked: NOT_CHECKED };
}

/** Names of the Secrets a workload's pods read (env, envFrom, volumes), optional ones aside. */
function secretsReadBy(workload: Readonly<Json>): string[] {
  const names = new Set<string>();
  const pod = obj(podTemplate(workload).spec);
  for (const c of containersOf(workload)) {
    for (const e of arr(c.envFrom)) {
      const ref = obj(obj(e).secretRef);
      if (ref.name !== undefined && ref.optional !== true) names.add(String(ref.name));
    }
    for (const e of arr(c.env)) {
      const ref = obj(obj(obj(e).valueFrom).secretKeyRef);
      if (ref.name !== undefined && ref.optional !== true) names.add(String(ref.name));
    }
  }
  for (const v of arr(pod.volumes)) {
    const s = obj(obj(v).secret);
    if (s.secretName !== undefined && s.optional !== true) names.add(String(s.secretName));
  }
  return [...names].sort();
}

/** An Argo Rollouts Rollout's strategy and the analysis templates it names (and which of them are not generated). */
function rolloutOf(rollout: Readonly<Json>, analysisTemplates: readonly Readonly<Json>[]): { type: "canary" | "blue-green" | "none"; templates: string[]; undefined: string[] } {
  const strategy = obj(obj(rollout.spec).strategy);
  const canary = obj(strategy.canary);
  const blueGreen = obj(strategy.blueGreen);
  const refs: { name: string; cluster: boolean }[] = [];
  const collect = (a: unknown) => arr(obj(a).templates).forEach((t) => refs.push({ name: String(obj(t).templateName), cluster: obj(t).clusterScope === true }));
  collect(canary.analysis);
  for (const step of arr(canary.steps)) collect(obj(step).analysis);
  collect(blueGreen.prePromotionAnalysis);
  collect(blueGreen.postPromotionAnalysis);
  const defined = new Set(analysisTemplates.map(nameOf));
  const templates = [...new Set(refs.map((r) => r.name))].sort();
  return {
    type: strategy.canary !== undefined ? "canary" : strategy.blueGreen !== undefined ? "blue-green" : "none",
    templates,
    // A ClusterAnalysisTemplate lives outside the namespace: not checked here.
    undefined: [...new Set(refs.filter((r) => !r.cluster && !defined.has(r.name)).map((r) => r.name))].sort(),
  };
}

/**
 * Whether the log shipper's Helm values keep a namespace out: a tail input's `Exclude_Path` matching the
 * namespace's container logs, or a grep filter excluding it. Returns what excludes it, or undefined.
 */
function logExclusion(application: Readonly<Json>, namespace: string): string | undefined {
  const spec = obj(application.spec);
  const sources = [...arr(spec.sources), ...(spec.source ? [spec.source] : [])].map(obj);
  const texts: string[] = [];
  for (const s of sources) {
    const helm = obj(s.helm);
    const config = obj(obj(helm.valuesObject).config);
    for (const v of Object.values(config)) if (typeof v === "string") texts.push(v);
    if (typeof helm.values === "string") texts.push(helm.values);
  }
  const sample = `/var/log/containers/pod_${namespace}_container-0.log`;
  for (const text of texts)
    for (const line of text.split("\n")) {
      const exclude = /^\s*Exclude_Path\s+(.+)$/i.exec(line);
      if (exclude)
        for (const pattern of exclude[1]!.split(",").map((p) => p.trim()))
          if (globMatches(pattern, sample)) return `Exclude_Path ${pattern}`;
      const grep = /^\s*Exclude\s+(\S*namespace_name\S*)\s+(.+)$/i.exec(line);
      if (grep) {
        try {
          if (new RegExp(grep[2]!.trim()).test(namespace)) return `grep Exclude ${grep[1]} ${grep[2]!.trim()}`;
        } catch {
          // an invalid expression excludes nothing
        }
      }
    }
  return undefined;
}

const globMatches = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".")}$`).test(value);

const exitOf = (r: ReadinessReport) => (r.blocking.length > 0 ? EXIT.policy : EXIT.ok);

const mark = (s: Status) => (s === "ok" ? style.green("ok     ") : s === "missing" ? style.red("missing") : style.dim("n/a    "));

export const readinessCommand: Command = {
  name: "readiness",
  summary: "The seeds' infrastructure-readiness checklist per service and environment, checked against the generated objects (exit 4 if prod misses an item)",
  usage: [
    "gitops readiness [SERVICE] [--json]",
    "  SERVICE  only this service (default: every service)",
    "  --json   one object: per service and environment, every item with status (ok, missing, n/a) and reason",
    "Exit 0 when no item is missing in a paged (prod) environment, 4 when one is; n/a items never fail.",
  ].join("\n"),
  options: { json: { type: "boolean" } },
  async run({ root, values, positionals, out }) {
    const [service, ...extra] = positionals;
    if (extra.length > 0) throw new ExitError(`readiness takes at most one SERVICE, not ${positionals.join(" ")}\n\nUsage: ${this.usage}`, EXIT.usage);
    const result = await build(root);
    if (!result.ok) throw new ExitError(result.problems.map(formatProblem).join("\n"), EXIT.invalid);
    const { estate, objects, files } = result.build;
    if (service !== undefined && !estate.services.some((s) => s.name === service))
      throw new ExitError(`No service "${service}" — ${oneOf(service, estate.services.map((s) => s.name))}`, EXIT.usage);
    const report = readiness({ estate, objects, files }, service);
    // What is checked is what `generate` writes; say so when the committed tree differs from it.
    const stale = !isEmptyDiff(diffTrees(readTree(join(root, OUTPUT_DIR)), files));
    return printReadiness(report, { json: values.json === true, stale }, out);
  },
};

/** Prints a report (text for people, or one JSON document) and returns the exit code: 4 when prod misses an item. */
export function printReadiness(report: ReadinessReport, options: { json: boolean; stale: boolean }, out: (line: string) => void): number {
  const { stale } = options;
  const exitCode = exitOf(report);
  if (options.json) {
    out(JSON.stringify({ ok: exitCode === EXIT.ok, exitCode, stale, counts: report.counts, blocking: report.blocking, notChecked: report.notChecked, services: report.services }, null, 2));
    return exitCode;
  }
  const width = Math.max(...Object.values(CHECKLIST).map((t) => t.length));
  for (const s of report.services) {
    out(style.bold(`${s.service} · team ${s.team} · generated/${runbookPath(s.service)}`));
    for (const e of s.environments) {
      const missing = e.items.filter((i) => i.status === "missing").length;
      const tag = e.production ? style.yellow(" [prod]") : "";
      out(`  ${e.environment}${tag} · account ${e.account} · namespace ${e.namespace} · ${missing === 0 ? "ready" : `${missing} missing`}`);
      for (const i of e.items) out(`    ${mark(i.status)}  ${i.item.padEnd(width)}  ${i.reason}`);
    }
    if (s.environments.length === 0) out("  (deployed nowhere)");
    out("");
  }
  out(`Not checked (people's work, not in the generated output): ${report.notChecked.join("; ")}.`);
  if (stale) out(style.yellow("generated/ on disk differs from what `pnpm generate` writes: run it and commit (this report checks the latter)."));
  const { ok, missing } = report.counts;
  out(
    `readiness: ${ok} ok, ${missing} missing, ${report.counts["n/a"]} n/a; ` +
      (report.blocking.length === 0
        ? "nothing missing in prod: exit 0"
        : `${report.blocking.length} missing in prod (${report.blocking.slice(0, 6).join(", ")}${report.blocking.length > 6 ? ", …" : ""}): exit ${EXIT.policy}`),
  );
  return exitCode;
}

