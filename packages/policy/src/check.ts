/**
 * `check`: every rule and every validation over one build, all findings at once, then the waivers. A
 * waiver covers one rule for one service (optionally some of its environments) until its expiry date;
 * expired, unknown and unused waivers are findings themselves, so none outlives its reason.
 */
import type { ResolvedService } from "@gitops/model";
import { Context, type PolicyInput } from "./context.ts";
import { dedupeFindings, formatFinding, sortFindings, type Finding } from "./finding.ts";
import type { Rule } from "./rule.ts";
import { imageRules } from "./rules/images.ts";
import { isolationRules } from "./rules/isolation.ts";
import { nameRules } from "./rules/names.ts";
import { parityRule } from "./rules/parity.ts";
import { secretRules } from "./rules/secrets.ts";
import { securityRules } from "./rules/security.ts";
import { tierRules } from "./rules/tier.ts";
import { KUSTOMIZE_RULE, kustomizeFindings, type KustomizeOptions } from "./validate/kustomize.ts";
import { loadModels, schemaRules } from "./validate/schema.ts";

/** The policy rules, in the order `--help` and the docs list them. */
export const policyRules: readonly Rule[] = [...tierRules, ...securityRules, ...isolationRules, ...secretRules, parityRule, ...imageRules, ...nameRules];

/** Ids of rules that are not policy (cannot be waived): validation of the generated objects and waiver bookkeeping. */
export const validationRuleIds = ["schema/kubernetes", "schema/unknown-field", KUSTOMIZE_RULE] as const;
export const waiverRuleIds = ["waivers/expired", "waivers/invalid", "waivers/unused"] as const;
/** Every rule id a finding can carry. */
export const ruleIds: readonly string[] = [...policyRules.map((r) => r.id), ...validationRuleIds, ...waiverRuleIds];

export type Waiver = NonNullable<ResolvedService["waivers"]>[number];

export interface WaiverStatus {
  readonly service: string;
  readonly file: string;
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
  readonly expires: string;
  /** Environments covered; null: all of the service's. */
  readonly environments: readonly string[] | null;
  /** active: in force; expired: past its date (no longer waives); invalid: names no waivable rule; unused: waives nothing. */
  readonly status: "active" | "expired" | "invalid" | "unused";
  /** How many findings it waived. */
  readonly waived: number;
}

export interface WaivedFinding extends Finding {
  readonly waiver: { readonly file: string; readonly path: string; readonly reason: string; readonly expires: string };
}

export interface Report {
  /** Findings in force, sorted by environment, file and path. */
  readonly findings: readonly Finding[];
  /** Findings a waiver covers; they do not fail the check. */
  readonly waived: readonly WaivedFinding[];
  readonly waivers: readonly WaiverStatus[];
  /** The rules that ran. */
  readonly rules: readonly { readonly id: string; readonly summary: string }[];
  readonly counts: {
    readonly findings: number;
    readonly waived: number;
    readonly objects: number;
    /** Findings per environment ("(estate)" for estate-wide ones). */
    readonly environments: Readonly<Record<string, number>>;
    readonly rules: Readonly<Record<string, number>>;
  };
}

export interface CheckOptions {
  /** Today's date (YYYY-MM-DD, UTC) for waiver expiry; default: the clock's. */
  readonly today?: string;
  /** The policy rules to run; default all of `policyRules`. */
  readonly rules?: readonly Rule[];
  /** Validate every object against its schema and look for unknown fields; default true. */
  readonly schemas?: boolean;
  /** Also render every folder with `kubectl kustomize` and compare (about 70 ms a folder); default false. */
  readonly kustomize?: boolean | KustomizeOptions;
}

export const ESTATE_GROUP = "(estate)";

export async function check(input: PolicyInput, options: CheckOptions = {}): Promise<Report> {
  const ctx = new Context(input);
  const rules = [...(options.rules ?? policyRules)];
  if (options.schemas !== false) rules.push(...schemaRules(await loadModels(input.objects)));
  const raw: Finding[] = rules.flatMap((r) => r.check(ctx));
  if (options.kustomize) raw.push(...(await kustomizeFindings(ctx, options.kustomize === true ? {} : options.kustomize)));
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const ran = new Set(rules.map((r) => r.id));
  const { findings, waived, waivers } = applyWaivers(dedupeFindings(raw), input.estate.services, today, ran);
  const count = (key: (f: Finding) => string) => {
    const out: Record<string, number> = {};
    for (const f of findings) out[key(f)] = (out[key(f)] ?? 0) + 1;
    return out;
  };
  return {
    findings,
    waived,
    waivers,
    rules: [
      ...rules.map((r) => ({ id: r.id, summary: r.summary })),
      ...(options.kustomize ? [{ id: KUSTOMIZE_RULE, summary: "Every folder renders with kubectl kustomize to exactly the generator's objects." }] : []),
    ],
    counts: {
      findings: findings.length,
      waived: waived.length,
      objects: input.objects.length,
      environments: count((f) => f.environment ?? ESTATE_GROUP),
      rules: count((f) => f.rule),
    },
  };
}

const waivable = new Set(policyRules.map((r) => r.id));

/** Moves covered findings aside, and turns expired, invalid and unused waivers into findings. */
export function applyWaivers(
  findings: readonly Finding[],
  services: readonly ResolvedService[],
  today: string,
  ran: ReadonlySet<string> = new Set(policyRules.map((r) => r.id)),
): { findings: Finding[]; waived: WaivedFinding[]; waivers: WaiverStatus[] } {
  const kept: Finding[] = [];
  const waived: WaivedFinding[] = [];
  const extra: Finding[] = [];
  const entries = services.flatMap((s) => (s.waivers ?? []).map((w) => ({ s, w, status: statusOf(w, today), count: 0 })));
  for (const e of entries) {
    const at = { rule: "", file: e.w.file, environment: null, service: e.s.name } as const;
    if (e.status === "expired")
      extra.push({ ...at, rule: "waivers/expired", path: `${e.w.path}.expires`, message: `the waiver of ${e.w.rule} expired on ${e.w.expires}, so its findings are back`, fix: "fix what it waived, or renew it with a new date and a reason that still holds" });
    if (e.status === "invalid")
      extra.push({ ...at, rule: "waivers/invalid", path: `${e.w.path}.rule`, message: ruleIds.includes(e.w.rule) ? `${e.w.rule} validates what is generated and cannot be waived` : `${e.w.rule} is not a rule`, fix: `waive one of ${[...waivable].join(", ")}` });
  }
  for (const f of findings) {
    const e = entries.find((x) => x.status === "active" && f.service === x.s.name && f.rule === x.w.rule && (!x.w.environments || (f.environment !== null && x.w.environments.includes(f.environment))));
    if (!e) {
      kept.push(f);
      continue;
    }
    e.count++;
    waived.push({ ...f, waiver: { file: e.w.file, path: e.w.path, reason: e.w.reason, expires: e.w.expires } });
  }
  const waivers: WaiverStatus[] = entries.map((e) => {
    const status = e.status === "active" && e.count === 0 && ran.has(e.w.rule) ? "unused" : e.status;
    if (status === "unused")
      extra.push({ rule: "waivers/unused", file: e.w.file, path: e.w.path, message: `waives ${e.w.rule}${e.w.environments ? ` in ${e.w.environments.join(", ")}` : ""}, which finds nothing to waive`, fix: "remove the waiver", environment: null, service: e.s.name });
    return { service: e.s.name, file: e.w.file, path: e.w.path, rule: e.w.rule, reason: e.w.reason, expires: e.w.expires, environments: e.w.environments ?? null, status, waived: e.count };
  });
  return { findings: sortFindings([...kept, ...extra]), waived: sortFindings(waived) as WaivedFinding[], waivers };
}

function statusOf(w: Waiver, today: string): "active" | "expired" | "invalid" {
  if (!waivable.has(w.rule)) return "invalid";
  return w.expires < today ? "expired" : "active";
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The report as text: findings grouped by environment with counts, then the waivers, then a summary line. */
export function formatReport(report: Report, input: Pick<PolicyInput, "estate">): string[] {
  const lines: string[] = [];
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const g = f.environment ?? ESTATE_GROUP;
    groups.set(g, [...(groups.get(g) ?? []), f]);
  }
  const order = [ESTATE_GROUP, ...input.estate.environments.map((e) => e.name)];
  const sorted = [...groups.keys()].sort((a, b) => (order.indexOf(a) >>> 0) - (order.indexOf(b) >>> 0) || (a < b ? -1 : 1));
  for (const g of sorted) {
    const env = input.estate.environments.find((e) => e.name === g);
    const fs = groups.get(g)!;
    lines.push(`${env ? `${env.name} (account ${env.account}, tier ${env.tierName})` : "estate-wide"}: ${plural(fs.length, "finding")}`);
    for (const f of fs) lines.push(`  ${formatFinding(f)}`);
    lines.push("");
  }
  if (report.waivers.length > 0) {
    lines.push(`waivers: ${report.waivers.length}`);
    for (const w of report.waivers) {
      lines.push(`  ${w.file}: ${w.path}: ${w.rule}${w.environments ? ` in ${w.environments.join(", ")}` : ""} until ${w.expires} [${w.status}${w.status === "active" ? `, waives ${plural(w.waived, "finding")}` : ""}]: ${w.reason}`);
      for (const f of report.waived.filter((x) => x.waiver.file === w.file && x.waiver.path === w.path)) lines.push(`    waived: ${formatFinding(f)}`);
    }
    lines.push("");
  }
  const byEnv = sorted.map((g) => `${report.counts.environments[g]} in ${g === ESTATE_GROUP ? "estate-wide" : g}`).join(", ");
  const byRule = Object.entries(report.counts.rules).sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, n]) => `${r} ${n}`).join(", ");
  lines.push(
    report.findings.length === 0
      ? `policy: no findings; ${report.rules.length} rules over ${plural(report.counts.objects, "object")}${report.waived.length ? `; ${report.waived.length} waived` : ""}.`
      : `policy: ${plural(report.findings.length, "finding")} (${byEnv}; ${byRule})${report.waived.length ? `; ${report.waived.length} waived` : ""}; ${report.rules.length} rules over ${plural(report.counts.objects, "object")}.`,
  );
  return lines;
}
