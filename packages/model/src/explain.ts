/**
 * Where every resolved value came from: the answer to "why does prod run 4 replicas?". One row per leaf
 * value of a deployment, with the layer that set it and the file that holds it.
 */
import type { Layer, ResolvedDeployment, ResolvedEstate } from "./resolved.ts";

export interface ExplainRow {
  readonly field: string;
  readonly value: string;
  readonly layer: Layer;
  /** The file to edit to change the value. For tier values, the tier's data file (the environment chooses the tier). */
  readonly file: string;
  /** e.g. "tier prod, chosen in environments/prod.ts". */
  readonly note?: string;
}

export const TIERS_FILE = "packages/model/src/tiers.ts";

export function explain(estate: ResolvedEstate, d: ResolvedDeployment): ExplainRow[] {
  const env = estate.environments.find((e) => e.name === d.environment)!;
  const svcFile = d.sources[0]!;
  const rows: ExplainRow[] = [];
  const row = (field: string, value: unknown, origin: string | { layer: Layer; file: string }) => {
    const o = typeof origin === "string" ? (d.origins[origin] ?? { layer: "derived" as Layer, file: svcFile }) : origin;
    const isTier = o.layer === "tier";
    rows.push({
      field,
      value: typeof value === "string" ? value : JSON.stringify(value),
      layer: o.layer,
      file: isTier ? TIERS_FILE : o.file,
      ...(isTier ? { note: `tier ${env.tierName}, chosen in ${env.file}` } : {}),
    });
  };
  const tier = { layer: "tier" as Layer, file: env.file };
  const service = { layer: "service" as Layer, file: svcFile };
  const environment = { layer: "environment" as Layer, file: env.file };
  const account = { layer: "account" as Layer, file: estate.file };

  row("account", d.account, environment);
  row("namespace", d.namespace, { layer: "derived", file: svcFile });
  row("image", d.image, { layer: "derived", file: estate.file });
  row("version", d.version, "version");
  row("replicas", d.replicas, "replicas");
  if (d.autoscaling) {
    row("autoscaling.minReplicas", d.autoscaling.minReplicas, "replicas");
    row("autoscaling.maxReplicas", d.autoscaling.maxReplicas, "autoscaling.maxReplicas");
    row("autoscaling.targetCPUUtilizationPercentage", d.autoscaling.targetCPUUtilizationPercentage, tier);
  } else row("autoscaling", "none", tier);
  for (const part of ["requests", "limits"] as const)
    for (const k of ["cpu", "memory"] as const) row(`resources.${part}.${k}`, d.resources[part][k], "resources");
  row("antiAffinity", d.antiAffinity, tier);
  row("podSecurity", d.podSecurity, tier);
  row("readOnlyRootFilesystem", d.readOnlyRootFilesystem, tier);
  row("debug", d.debug, tier);
  row("rollingUpdate.maxSurge", d.rollingUpdate.maxSurge, tier);
  row("rollingUpdate.maxUnavailable", d.rollingUpdate.maxUnavailable, tier);
  row("disruptionBudget", d.disruptionBudget ? `maxUnavailable ${d.disruptionBudget.maxUnavailable}` : "none (single replica)", tier);
  if (d.delivery) {
    const delivery = d.delivery;
    row("delivery.strategy", delivery.strategy, "delivery.strategy");
    if (delivery.strategy === "canary") row("delivery.steps", delivery.steps.map((s) => `${s.weight}% for ${s.pause}`).join(", "), tier);
    if (delivery.strategy === "blueGreen") row("delivery.scaleDownDelaySeconds", delivery.scaleDownDelaySeconds, tier);
    if (delivery.strategy !== "rolling") {
      const a = delivery.analysis;
      row("delivery.analysis", `${a.count} measurements ${a.interval} apart over ${a.window}, failureLimit ${a.failureLimit}`, "delivery.analysis");
      row("delivery.metrics", `${a.metrics.address}${a.metrics.account ? ` (account="${a.metrics.account}")` : ""}`, "delivery.metrics");
    }
  }
  row("logLevel", d.logLevel, "logLevel");
  if (d.schedule) row("schedule", d.schedule, service);
  if (d.port !== undefined) row("port", d.port, service);
  for (const [k, v] of Object.entries(d.config)) {
    if (k === "LOG_LEVEL") continue;
    row(`config.${k}`, v, d.origins[`urls.${k}`] ? `urls.${k}` : `config.${k}`);
  }
  for (const s of d.secrets)
    row(`secrets.${s.env}`, `${d.secretStore.name}:${s.key}${s.property ? `#${s.property}` : ""}`, `secrets.${s.env}`);
  if (d.secrets.length > 0) row("secretStore", `${d.secretStore.kind}/${d.secretStore.name}`, account);
  if (d.ingress) row("ingress.host", d.ingress.host, "ingress.host");
  return rows;
}
