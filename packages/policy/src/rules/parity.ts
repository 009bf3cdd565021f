/**
 * Parity: a service is the same everywhere it runs. Between its environments only the allowed kinds of
 * difference may appear — size (resources, replicas, autoscaling), version, URLs, secret references and
 * log level — plus what the environment itself decides: where it runs (namespace, account, secret store,
 * callers) and what its tier sets (security, HA, rollout, rollout health, alerting). Anything else is a finding,
 * and `--parity` prints the table of every difference, per service. The resolved model is compared field by
 * field; objects the base computes from it (alert rules, scrape configs) are compared as rendered.
 */
import { wellKnown, type ResolvedDeployment, type ResolvedEstate } from "@gitops/model";
import { formatObjPath, get, isObj, kindOf, nameOf, type Context, type ObjPath, type Unit } from "../context.ts";
import type { Finding } from "../finding.ts";
import { rule } from "../rule.ts";
import { parseImage } from "./images.ts";

export type ParityKind = "size" | "version" | "url" | "secret ref" | "log level" | "tier" | "placement";
/** The kinds the seeds allow to differ between a service's environments (tier and placement follow from the environment). */
export const allowedKinds: readonly ParityKind[] = ["size", "version", "url", "secret ref", "log level", "tier", "placement"];

/** A deployment as comparable leaves: arrays keyed by name, bookkeeping (origins, sources) left out. */
export function leaves(d: ResolvedDeployment): Map<string, string> {
  const image = parseImage(d.image);
  const shaped: Record<string, unknown> = {
    ...d,
    origins: undefined,
    sources: undefined,
    image: `${image.registry}/${image.repository}`,
    secrets: Object.fromEntries(d.secrets.map((s) => [s.env, { key: s.key, property: s.property ?? null }])),
    dependsOn: Object.fromEntries(d.dependsOn.map((p) => [p.service, { namespace: p.namespace, port: p.port }])),
    dependents: Object.fromEntries(d.dependents.map((p) => [p.service, { namespace: p.namespace, port: p.port }])),
  };
  const out = new Map<string, string>();
  const walk = (v: unknown, path: string) => {
    if (v === undefined) return;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
      return;
    }
    out.set(path, JSON.stringify(v));
  };
  walk(shaped, "");
  return out;
}

/**
 * What kind of difference a field is, or null when it may not differ. `shared` is the estate's platform.config:
 * a shared setting is written once for every environment, so where it differs it is by its `{domain}`, a URL.
 */
export function classify(field: string, d: ResolvedDeployment, shared: Readonly<Record<string, string>> = {}): ParityKind | null {
  const [top, sub, leaf] = field.split(".");
  switch (top) {
    case "version":
      return "version";
    case "replicas":
    case "autoscaling":
    case "resources":
    // The namespace's quota is the workload's size plus the tier's headroom.
    case "quota":
      return "size";
    // Backup schedule and retention are the tier's (none where state is disposable).
    case "backup":
      return "tier";
    case "logLevel":
      return "log level";
    case "secrets":
      return leaf === "key" || leaf === "property" ? "secret ref" : null;
    case "config":
      if (sub === "LOG_LEVEL") return "log level";
      if (sub && (d.origins[`urls.${sub}`] || d.origins[`config.${sub}`]?.layer === "derived")) return "url";
      // Shared config from the platform block is the same everywhere but for {domain}: a URL difference. Other
      // platform settings (the telemetry endpoint, a shared setting without {domain}) may not differ at all.
      if (sub && d.origins[`config.${sub}`]?.layer === "platform" && Object.hasOwn(shared, sub) && shared[sub]!.includes("{domain}")) return "url";
      return null;
    case "ingress":
      return sub === "host" ? "url" : "placement";
    case "antiAffinity":
    case "podSecurity":
    case "readOnlyRootFilesystem":
    case "debug":
    case "rollingUpdate":
    case "disruptionBudget":
    case "minReadySeconds":
    case "progressDeadlineSeconds":
    case "slo":
      return "tier";
    // The strategy and its parameters are the tier's (a service chooses among what the tier allows); where the
    // analysis reads the metrics follows the account.
    case "delivery":
      return sub === "analysis" && leaf === "metrics" ? "placement" : "tier";
    case "observability":
      return sub === "alerts" ? "tier" : null;
    case "environment":
    case "account":
    case "namespace":
    case "secretStore":
    case "dependents":
      return "placement";
    case "dependsOn":
      return leaf === "namespace" ? "placement" : null;
    case "labels":
      return sub === "environment" || sub === "account" ? "placement" : null;
    default:
      return null;
  }
}

export interface ParityRow {
  readonly field: string;
  /** The kind of difference, or null when the field may not differ. */
  readonly kind: ParityKind | null;
  /** Environment → value (absent: the field is not set there). */
  readonly values: Readonly<Record<string, string | null>>;
}

export interface ParityTable {
  readonly service: string;
  readonly file: string;
  readonly environments: readonly string[];
  /** Every field that differs between the service's environments, in field order. */
  readonly rows: readonly ParityRow[];
}

export function parityTables(estate: ResolvedEstate): ParityTable[] {
  return estate.services.map((s) => {
    const ds = estate.deployments.filter((d) => d.service === s.name);
    const byEnv = new Map(ds.map((d) => [d.environment, leaves(d)]));
    // A setting that is off (null) in one environment and set in another: one row per sub-field, "off" where unset.
    const all = new Set(ds.flatMap((d) => [...byEnv.get(d.environment)!.keys()]));
    for (const map of byEnv.values())
      for (const [field, value] of [...map]) {
        if (value !== "null") continue;
        const subs = [...all].filter((f) => f.startsWith(`${field}.`));
        if (subs.length === 0) continue;
        map.delete(field);
        for (const sub of subs) map.set(sub, JSON.stringify("off"));
      }
    const fields = [...new Set(ds.flatMap((d) => [...byEnv.get(d.environment)!.keys()]))].sort();
    const rows: ParityRow[] = [];
    for (const field of fields) {
      const values = Object.fromEntries(ds.map((d) => [d.environment, byEnv.get(d.environment)!.get(field) ?? null]));
      if (new Set(Object.values(values)).size <= 1) continue;
      const kinds = ds.map((d) => classify(field, d, estate.platform.config));
      rows.push({ field, kind: kinds.includes(null) ? null : kinds[0]!, values });
    }
    return { service: s.name, file: s.file, environments: ds.map((d) => d.environment), rows };
  });
}

/** Objects that come and go with a resolved setting; every other object must exist in all of a service's environments. */
const conditional: Readonly<Record<string, (d: ResolvedDeployment, name: string) => boolean | undefined>> = {
  HorizontalPodAutoscaler: (d) => d.autoscaling !== null,
  PodDisruptionBudget: (d) => d.disruptionBudget !== null,
  Role: (d) => d.debug,
  RoleBinding: (d) => d.debug,
  Ingress: (d) => d.ingress !== undefined,
  // The service's own secrets, and (canary or blue-green in a spoke) the hub query credentials its analysis sends.
  ExternalSecret: (d, name) => (name === wellKnown.hubQueryCredentials.secret ? progressive(d) && d.delivery.analysis.metrics.credentials !== undefined : d.secrets.length > 0),
  // The delivery strategy decides what runs the pods: a Deployment, or a Rollout with its AnalysisTemplate and,
  // for http services, the canary's or preview's Service.
  Deployment: (d) => !progressive(d),
  Rollout: (d) => progressive(d),
  AnalysisTemplate: (d) => progressive(d),
  // undefined: not conditional (the service's own Service is rendered everywhere).
  Service: (d, name) =>
    name === `${d.service}-canary` ? d.kind === "http" && d.delivery?.strategy === "canary"
    : name === `${d.service}-preview` ? d.kind === "http" && d.delivery?.strategy === "blueGreen"
    : undefined,
};

/** A canary or blue-green delivery, which Argo Rollouts runs. */
function progressive(d: ResolvedDeployment): d is ResolvedDeployment & { delivery: Exclude<ResolvedDeployment["delivery"], { strategy: "rolling" } | undefined> } {
  return d.delivery !== undefined && d.delivery.strategy !== "rolling";
}

/**
 * Objects whose content the base computes rather than copies from resolved fields, so comparing the model does not
 * cover them: they are compared as rendered, after `normalize` has replaced what may differ with a placeholder.
 */
const renderedKinds = new Set(["PrometheusRule", "PodMonitor"]);

/** Comparison operands in PromQL (`… > 5`): where an alert's threshold sits. */
const threshold = /(>=|<=|==|!=|>|<)(\s*)(\d+(?:\.\d+)?)(?![\d.])/g;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A rendered object with what may differ between environments replaced: placement (the namespace, the environment
 * and account names, wherever they appear) and tier data where the tier puts it: an alert's `for` and severity
 * label when they are the tier's, and thresholds (in expressions and annotations) when they are the resolved SLO's.
 * Anything left that differs between environments is a base that renders environments differently.
 */
export function normalizeForParity(u: Unit, object: unknown): unknown {
  const { d } = u;
  const slo = new Set(Object.values(d.slo).map(String));
  const word = (w: string) => new RegExp(`(?<![A-Za-z0-9_.-])${escape(w)}(?![A-Za-z0-9_.-])`, "g");
  // One placeholder for both names: an environment may be named like its account (prod in prod).
  const names = [d.environment, d.account].sort((a, b) => b.length - a.length);
  const placement = (v: string) => names.reduce((x, n) => x.replace(word(n), "<placement>"), v.split(d.namespace).join("<namespace>"));
  const walk = (v: unknown, path: readonly (string | number)[]): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    if (typeof v !== "string") return v;
    const key = path.at(-1);
    const inRule = path.includes("rules");
    if (inRule && key === "for" && v === d.observability.alerts.for) return "<tier>";
    if (inRule && key === "severity" && path.at(-2) === "labels" && v === d.observability.alerts.severity) return "<tier>";
    let out = placement(v);
    if (inRule && key === "expr") out = out.replace(threshold, (m, op: string, sp: string, n: string) => (slo.has(n) ? `${op}${sp}<slo>` : m));
    if (inRule && path.at(-2) === "annotations") out = out.replace(/(?<![\d.])\d+(?:\.\d+)?(?![\d.])/g, (n) => (slo.has(n) ? "<slo>" : n));
    return out;
  };
  return walk(object, []);
}

/** Where two normalized objects differ: leaves that differ, and lists of different lengths (as one difference). */
function differences(a: unknown, b: unknown, path: ObjPath = []): ObjPath[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [path];
    return a.flatMap((x, i) => differences(x, b[i], [...path, i]));
  }
  if (isObj(a) && isObj(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((k) => differences(a[k], b[k], [...path, k]));
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

const shown = (v: unknown) => {
  if (v === undefined) return "unset";
  const text = Array.isArray(v) ? `${v.length} entries` : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

export const parityRule = rule("parity/allowed-differences", "A service's environments differ only in size, version, URLs, secret references and log level (plus what the tier and placement decide).", (ctx: Context) => {
  const out: Finding[] = [];
  const units = new Map<string, Unit[]>();
  // Environments against each other; a preview is its environment's copy, not another environment.
  for (const u of ctx.units) if (!u.preview) units.set(u.d.service, [...(units.get(u.d.service) ?? []), u]);
  for (const table of parityTables(ctx.estate)) {
    const us = units.get(table.service) ?? [];
    if (us.length < 2) continue;
    const first = us[0]!;
    for (const row of table.rows) {
      if (row.kind !== null) continue;
      const top = row.field.split(".").slice(0, 2).join(".");
      const differing = us.filter((u) => row.values[u.d.environment] !== row.values[first.d.environment]);
      for (const u of differing) {
        const where = row.field.startsWith("config.") ? ctx.configSource(u, row.field.split(".")[1]!) : ctx.source(u, top);
        out.push(ctx.finding("parity/allowed-differences", where, `${row.field} is ${row.values[u.d.environment] ?? "unset"} in ${u.d.environment} but ${row.values[first.d.environment] ?? "unset"} in ${first.d.environment}; environments may differ only in ${allowedKinds.slice(0, 5).join(", ")} — make it the same everywhere (an experiment belongs in its own service)`, { unit: u }));
      }
    }
    // Objects the base computes: the same everywhere, placement and tier data aside.
    for (const o of first.objects.filter((x) => renderedKinds.has(kindOf(x)))) {
      const reference = normalizeForParity(first, o.object);
      for (const u of us.slice(1)) {
        const other = u.objects.find((x) => kindOf(x) === kindOf(o) && nameOf(x) === nameOf(o));
        if (!other) continue;
        for (const path of differences(reference, normalizeForParity(u, other.object)))
          out.push(ctx.finding("parity/allowed-differences", { file: u.service.file, path: "" }, `${kindOf(o)} ${nameOf(o)} ${formatObjPath(path) || "(object)"} is ${shown(get(other.object, path))} in ${u.d.environment} but ${shown(get(o.object, path))} in ${first.d.environment}; a ${kindOf(o)} may differ between environments only in placement and its tier's data (thresholds, severity, for, the environment label) — render it the same everywhere (a base fix)`, { unit: u, object: other, path }));
      }
    }
    // The rendered objects: the same set everywhere, except those that follow a resolved setting.
    const sets = us.map((u) => new Set(u.objects.map((o) => `${kindOf(o)}/${nameOf(o) === u.d.namespace ? "<namespace>" : nameOf(o)}`)));
    const all = new Set(sets.flatMap((s) => [...s]));
    for (const key of all) {
      const kind = key.split("/")[0]!;
      const name = key.slice(kind.length + 1);
      const expected = us.map((u) => conditional[kind]?.(u.d, name));
      if (expected.every((e) => e !== undefined)) {
        for (const [i, u] of us.entries())
          if (sets[i]!.has(key) !== expected[i])
            out.push(ctx.finding("parity/allowed-differences", { file: u.service.file, path: "" }, `${key} is ${sets[i]!.has(key) ? "rendered" : "missing"} in ${u.d.environment}, though its resolved settings say otherwise — render ${kind} exactly when the setting calls for it (a base fix)`, { unit: u }));
        continue;
      }
      for (const [i, u] of us.entries())
        if (!sets[i]!.has(key))
          out.push(ctx.finding("parity/allowed-differences", { file: u.service.file, path: "" }, `${key} is rendered in ${us.filter((_, j) => sets[j]!.has(key)).map((x) => x.d.environment).join(", ")} but not in ${u.d.environment} — render the same objects in every environment (a base fix)`, { unit: u }));
    }
  }
  return out;
});

const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - s.length));

/** The parity table as text: per service, one row per differing field with its kind and each environment's value. */
export function formatParityTables(tables: readonly ParityTable[], options: { placement?: boolean } = {}): string[] {
  const lines: string[] = [];
  for (const t of tables) {
    const rows = t.rows.filter((r) => options.placement || r.kind !== "placement");
    lines.push(`${t.service} (${t.file}): ${t.environments.join(" · ")}`);
    if (t.environments.length < 2) {
      lines.push("  runs in one environment only; nothing to compare", "");
      continue;
    }
    if (rows.length === 0) {
      lines.push("  identical everywhere (placement aside)", "");
      continue;
    }
    const cell = (v: string | null) => (v === null ? "—" : v.startsWith('"') ? (JSON.parse(v) as string) : v);
    const widths = [Math.max(5, ...rows.map((r) => r.field.length)), Math.max(4, ...rows.map((r) => (r.kind ?? "NOT ALLOWED").length)), ...t.environments.map((e) => Math.min(48, Math.max(e.length, ...rows.map((r) => cell(r.values[e] ?? null).length))))];
    lines.push(`  ${[pad("field", widths[0]!), pad("kind", widths[1]!), ...t.environments.map((e, i) => pad(e, widths[i + 2]!))].join("  ").trimEnd()}`);
    for (const r of rows)
      lines.push(`  ${[pad(r.field, widths[0]!), pad(r.kind ?? "NOT ALLOWED", widths[1]!), ...t.environments.map((e, i) => pad(cell(r.values[e] ?? null), widths[i + 2]!))].join("  ").trimEnd()}`);
    lines.push("");
  }
  return lines;
}
