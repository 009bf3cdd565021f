/**
 * The seeds' tiers as checks on what is rendered. Every threshold is read from the unit's tier
 * (packages/model/src/tiers.ts): replicas, resource floors, anti-affinity, rollout, disruption budget.
 */
import { asArr, asObj, containersOf, get, isObj, kindOf, nameOf, namespaceOf, podTemplate, selects, str, type Context, type ObjPath, type PodTemplate, type PolicyObject, type Unit } from "../context.ts";
import type { Finding } from "../finding.ts";
import { parseQuantity } from "../quantity.ts";
import { rule } from "../rule.ts";

/** Long-running workloads of a unit (the objects replicas, rollouts and budgets apply to), with their pod template. */
export function workloads(u: Unit): { o: PolicyObject; t: PodTemplate }[] {
  return u.objects.flatMap((o) => {
    const t = podTemplate(o);
    return t && t.longRunning && kindOf(o) !== "Pod" && kindOf(o) !== "DaemonSet" ? [{ o, t }] : [];
  });
}

/** The autoscaler that targets a workload, if any. */
export function autoscalerOf(u: Unit, o: PolicyObject): PolicyObject | undefined {
  return u.objects.find((h) => {
    if (kindOf(h) !== "HorizontalPodAutoscaler") return false;
    const ref = asObj(get(h.object, ["spec", "scaleTargetRef"]));
    return ref.kind === kindOf(o) && ref.name === nameOf(o) && namespaceOf(h) === namespaceOf(o);
  });
}

/** The fewest replicas a workload runs: the autoscaler's minimum, or its fixed count (default 1). */
export function minReplicas(u: Unit, o: PolicyObject): number {
  const hpa = autoscalerOf(u, o);
  const n = hpa ? get(hpa.object, ["spec", "minReplicas"]) : get(o.object, ["spec", "replicas"]);
  return typeof n === "number" ? n : 1;
}

/** An int-or-percent (`1`, `"1"`, `"25%"`) as a pod count for `replicas`, rounding as Kubernetes does. */
export function podCount(v: unknown, replicas: number, round: "up" | "down"): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const m = /^(\d+)%$/.exec(v);
  if (!m) return undefined;
  const exact = (Number(m[1]) * replicas) / 100;
  return round === "up" ? Math.ceil(exact) : Math.floor(exact);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export const replicasRule = rule("tier/replicas", "Replica counts, autoscaler bounds included, stay inside the tier's range.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    const { min, max } = u.tier.replicas;
    const range = `the ${u.env.tierName} tier's ${min}–${max}`;
    for (const { o } of workloads(u)) {
      const hpa = autoscalerOf(u, o);
      if (!hpa) {
        const n = get(o.object, ["spec", "replicas"]);
        const replicas = typeof n === "number" ? n : 1;
        if (replicas < min || replicas > max)
          out.push(ctx.finding("tier/replicas", ctx.source(u, "replicas"), `${kindOf(o)} ${nameOf(o)} runs ${plural(replicas, "replica")}, outside ${range} — set replicas in that range`, { unit: u, object: o, path: ["spec", "replicas"] }));
        continue;
      }
      const spec = asObj(hpa.object.spec);
      if (!u.tier.autoscaling)
        out.push(ctx.finding("tier/replicas", ctx.source(u, "autoscaling.maxReplicas"), `is autoscaled, but the ${u.env.tierName} tier runs a fixed replica count — remove the autoscaler`, { unit: u, object: hpa, path: ["spec"] }));
      const lo = typeof spec.minReplicas === "number" ? spec.minReplicas : 1;
      const hi = typeof spec.maxReplicas === "number" ? spec.maxReplicas : lo;
      if (lo < min || lo > max)
        out.push(ctx.finding("tier/replicas", ctx.source(u, "replicas"), `autoscaler minimum is ${lo}, outside ${range} — set replicas (the autoscaler's minimum) in that range`, { unit: u, object: hpa, path: ["spec", "minReplicas"] }));
      if (hi > max || hi < lo)
        out.push(ctx.finding("tier/replicas", ctx.source(u, "autoscaling.maxReplicas"), `autoscaler maximum is ${hi}, outside ${lo}–${max} (the minimum up to the ${u.env.tierName} tier's ceiling) — set autoscaling.maxReplicas in that range`, { unit: u, object: hpa, path: ["spec", "maxReplicas"] }));
    }
  }
  return out;
});

export const resourcesRule = rule("tier/resources", "Every container requests and limits CPU and memory, at least the tier's figures.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    const floor = u.tier.resources;
    const at = ctx.source(u, "resources");
    for (const o of u.objects) {
      const t = podTemplate(o);
      if (!t) continue;
      for (const c of containersOf(t)) {
        const res = asObj(c.container.resources);
        const name = str(c.container.name) ?? "?";
        for (const part of ["requests", "limits"] as const)
          for (const r of ["cpu", "memory"] as const) {
            const raw = asObj(res[part])[r];
            const path = [...c.path, "resources", part, r];
            if (raw === undefined) {
              out.push(ctx.finding("tier/resources", at, `container ${name} has no ${part}.${r} — set resources.${part}.${r} (at least ${floor[part][r]} in the ${u.env.tierName} tier)`, { unit: u, object: o, path }));
              continue;
            }
            const have = parseQuantity(raw);
            const want = parseQuantity(floor[part][r])!;
            if (have === undefined)
              out.push(ctx.finding("tier/resources", at, `container ${name} ${part}.${r} ${JSON.stringify(raw)} is not a quantity — write e.g. ${floor[part][r]}`, { unit: u, object: o, path }));
            else if (have < want)
              out.push(ctx.finding("tier/resources", at, `container ${name} ${part}.${r} is ${String(raw)}, below the ${u.env.tierName} tier's ${floor[part][r]} — raise it to at least ${floor[part][r]}`, { unit: u, object: o, path }));
          }
        for (const r of ["cpu", "memory"] as const) {
          const req = parseQuantity(asObj(res.requests)[r]);
          const lim = parseQuantity(asObj(res.limits)[r]);
          if (req !== undefined && lim !== undefined && req > lim)
            out.push(ctx.finding("tier/resources", at, `container ${name} requests more ${r} than its limit — lower the request or raise the limit`, { unit: u, object: o, path: [...c.path, "resources"] }));
        }
      }
    }
  }
  return out;
});

export const antiAffinityRule = rule("tier/anti-affinity", "Replicas are kept apart as strongly as the tier says: preferred or required pod anti-affinity.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    const want = u.tier.antiAffinity;
    if (want === "none") continue;
    for (const { o, t } of workloads(u)) {
      const aa = asObj(asObj(t.spec.affinity).podAntiAffinity);
      const own = (term: unknown) => isObj(term) && typeof term.topologyKey === "string" && term.topologyKey !== "" && isObj(term.labelSelector) && selects(term.labelSelector, t.labels);
      const required = asArr(aa.requiredDuringSchedulingIgnoredDuringExecution).filter(own).length;
      const preferred = asArr(aa.preferredDuringSchedulingIgnoredDuringExecution).filter((w) => own(asObj(w).podAffinityTerm)).length;
      const ok = want === "required" ? required > 0 : required + preferred > 0;
      if (!ok)
        out.push(ctx.finding("tier/anti-affinity", ctx.source(u, "antiAffinity"), `${kindOf(o)} ${nameOf(o)} has no ${want} pod anti-affinity selecting its own pods, which the ${u.env.tierName} tier requires — render podAntiAffinity.${want}DuringSchedulingIgnoredDuringExecution with a term selecting the pods (a base fix)`, { unit: u, object: o, path: [...t.path, "spec", "affinity"] }));
    }
  }
  return out;
});

export const rolloutRule = rule("tier/rollout", "Rolling updates take down no more pods than the tier allows (none where it says zero-downtime), and can always make progress.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    const tierMax = u.tier.rollingUpdate.maxUnavailable;
    for (const { o } of workloads(u)) {
      const kind = kindOf(o);
      if (kind !== "Deployment" && kind !== "Rollout") continue;
      const strategy = asObj(get(o.object, ["spec", "strategy"]));
      // A blue-green Rollout brings the new version up beside the old one and switches when it is ready: nothing
      // is taken down. A canary replaces pods like a rolling update, under its own maxSurge and maxUnavailable.
      if (kind === "Rollout" && !isObj(strategy.canary)) continue;
      const at: ObjPath = kind === "Rollout" ? ["spec", "strategy", "canary"] : ["spec", "strategy", "rollingUpdate"];
      const field = kind === "Rollout" ? "canary" : "rollingUpdate";
      const replicas = minReplicas(u, o);
      const allowed = podCount(tierMax, replicas, "down") ?? 0;
      if (kind === "Deployment" && strategy.type === "Recreate") {
        if (allowed < replicas)
          out.push(ctx.finding("tier/rollout", ctx.tier(u), `Deployment ${nameOf(o)} uses the Recreate strategy, which takes every pod down; the ${u.env.tierName} tier allows ${allowed} unavailable — use RollingUpdate with maxUnavailable ${tierMax}`, { unit: u, object: o, path: ["spec", "strategy", "type"] }));
        continue;
      }
      const ru = asObj(get(o.object, at));
      const unavailable = podCount(ru.maxUnavailable ?? "25%", replicas, "down");
      const surge = podCount(ru.maxSurge ?? "25%", replicas, "up");
      if (unavailable === undefined || unavailable > allowed)
        out.push(ctx.finding("tier/rollout", ctx.tier(u), `${kind} ${nameOf(o)} lets ${unavailable ?? "?"} of ${replicas} pods be unavailable during a rollout; the ${u.env.tierName} tier allows ${allowed}${allowed === 0 ? " (zero-downtime)" : ""} — set ${field}.maxUnavailable to ${tierMax}`, { unit: u, object: o, path: [...at, "maxUnavailable"] }));
      if (unavailable === 0 && (surge ?? 0) === 0)
        out.push(ctx.finding("tier/rollout", ctx.tier(u), `${kind} ${nameOf(o)} may neither surge nor take a pod down, so a rollout can never start — set ${field}.maxSurge to ${u.tier.rollingUpdate.maxSurge}`, { unit: u, object: o, path: [...at, "maxSurge"] }));
    }
  }
  return out;
});

export const disruptionBudgetRule = rule("tier/disruption-budget", "Every workload running more than one replica has a PodDisruptionBudget within the tier's figure that still lets nodes drain.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    const tierMax = u.tier.disruptionBudget.maxUnavailable;
    for (const { o, t } of workloads(u)) {
      const replicas = minReplicas(u, o);
      if (replicas <= 1) continue;
      const pdbs = u.objects.filter((p) => kindOf(p) === "PodDisruptionBudget" && namespaceOf(p) === namespaceOf(o) && selects(get(p.object, ["spec", "selector"]), t.labels));
      if (pdbs.length === 0) {
        out.push(ctx.finding("tier/disruption-budget", ctx.tier(u), `${kindOf(o)} ${nameOf(o)} runs ${replicas} replicas but no PodDisruptionBudget selects its pods; the ${u.env.tierName} tier requires one (maxUnavailable ${tierMax}) — render a PodDisruptionBudget for it (a base fix)`, { unit: u, object: o, path: [] }));
        continue;
      }
      for (const p of pdbs) {
        const spec = asObj(p.object.spec);
        const disruptions =
          spec.maxUnavailable !== undefined
            ? podCount(spec.maxUnavailable, replicas, "up")
            : spec.minAvailable !== undefined
              ? replicas - (podCount(spec.minAvailable, replicas, "up") ?? replicas)
              : undefined;
        const field = spec.maxUnavailable !== undefined ? "maxUnavailable" : "minAvailable";
        if (disruptions === undefined)
          out.push(ctx.finding("tier/disruption-budget", ctx.tier(u), `PodDisruptionBudget ${nameOf(p)} sets neither maxUnavailable nor minAvailable — set maxUnavailable: ${tierMax}`, { unit: u, object: p, path: ["spec"] }));
        else if (disruptions < 1)
          out.push(ctx.finding("tier/disruption-budget", ctx.tier(u), `PodDisruptionBudget ${nameOf(p)} allows no voluntary disruption of ${replicas} replicas, so node drains hang — set maxUnavailable: ${tierMax}`, { unit: u, object: p, path: ["spec", field] }));
        else if (disruptions > tierMax)
          out.push(ctx.finding("tier/disruption-budget", ctx.tier(u), `PodDisruptionBudget ${nameOf(p)} lets ${disruptions} of ${replicas} pods go at once; the ${u.env.tierName} tier allows ${tierMax} — set maxUnavailable: ${tierMax}`, { unit: u, object: p, path: ["spec", field] }));
      }
    }
  }
  return out;
});

export const probesRule = rule("tier/probes", "Every serving container (one with ports) has readiness and liveness probes on ports it declares.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    const at = { file: u.service.file, path: "health" };
    for (const { o, t } of workloads(u)) {
      for (const c of containersOf(t)) {
        const ports = asArr(c.container.ports).map(asObj);
        if (c.init || ports.length === 0) continue;
        const name = str(c.container.name) ?? "?";
        const names = new Set(ports.map((p) => p.name).filter((n): n is string => typeof n === "string"));
        const numbers = new Set(ports.map((p) => p.containerPort));
        for (const probe of ["readinessProbe", "livenessProbe"] as const) {
          const p = c.container[probe];
          if (!isObj(p)) {
            out.push(ctx.finding("tier/probes", at, `container ${name} serves on ports but has no ${probe} — give the service health endpoints (health.readiness, health.liveness) so the base renders it`, { unit: u, object: o, path: [...c.path, probe] }));
            continue;
          }
          for (const handler of ["httpGet", "tcpSocket", "grpc"] as const) {
            const port = asObj(p[handler]).port;
            if (port === undefined) continue;
            if ((typeof port === "string" && !names.has(port)) || (typeof port === "number" && !numbers.has(port)))
              out.push(ctx.finding("tier/probes", at, `container ${name} ${probe} probes port ${JSON.stringify(port)}, which the container does not declare — point it at a declared port (health.port)`, { unit: u, object: o, path: [...c.path, probe, handler, "port"] }));
          }
        }
      }
    }
  }
  return out;
});

export const tierRules = [replicasRule, resourcesRule, antiAffinityRule, rolloutRule, disruptionBudgetRule, probesRule];
