/**
 * An exact, deliberately small model of how Argo Rollouts judges the analyses delivery.ts renders, so that what
 * "aborts on an SLO breach" means can be tested without a cluster:
 *
 * - `evaluateCondition`: the expr-lang subset the conditions use — `||`, `&&`, `!`, parentheses, comparisons
 *   (`== != < <= > >=`) of numbers, `result[i]`, `len(result)`, and `isNaN(result[i])`. Anything else is refused
 *   (an `UnsupportedCondition`), never guessed at. `result` is a Prometheus vector's sample values, as the
 *   Prometheus provider hands it over; `result[i]` past its end is an evaluation error, like expr-lang's.
 * - `measurementPhase`: utils/evaluate.EvaluateResult — with only a success condition, a measurement that does not
 *   succeed fails; with both, one that meets neither is Inconclusive; an evaluation error is an Error.
 * - `runAnalysis`: analysis/analysis.go — per metric, `count` measurements (`interval` apart; one when neither is
 *   set); the metric fails once failed measurements exceed `failureLimit` (default 0), is inconclusive once
 *   inconclusive ones exceed `inconclusiveLimit` (default 0), errors once consecutive errors exceed
 *   `consecutiveErrorLimit` (default 4; errors do not count towards `count`), and succeeds when `count` is reached
 *   otherwise. Once a metric fails, errors or is inconclusive the run terminates: other metrics take no further
 *   measurements and end Successful. The run's phase is the worst of its metrics' (Failed > Error > Inconclusive >
 *   Successful); the Rollout aborts on Failed or Error (and returns to the stable version), pauses on Inconclusive.
 *
 * Fields of a metric that this model does not implement (consecutiveSuccessLimit, dryRun, initialDelay, …) are
 * refused too, so a template that would behave otherwise in the cluster cannot pass here by accident.
 */

export class UnsupportedCondition extends Error {}

type Node =
  | { readonly t: "num"; readonly v: number }
  | { readonly t: "index"; readonly i: number }
  | { readonly t: "len" }
  | { readonly t: "isNaN"; readonly arg: Node }
  | { readonly t: "not"; readonly arg: Node }
  | { readonly t: "bin"; readonly op: string; readonly l: Node; readonly r: Node };

const TOKEN = /\s*(\|\||&&|==|!=|<=|>=|<|>|!|\(|\)|\[|\]|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*)/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new UnsupportedCondition(`unsupported syntax at ${JSON.stringify(text.slice(at, at + 12))} in ${JSON.stringify(text)}`);
    out.push(m[1]!);
    at = TOKEN.lastIndex;
  }
  return out;
}

type Kind = "bool" | "number";

/** Parses a condition into a tree, checking types as expr-lang's compiler does: the whole must be a boolean. */
export function parseCondition(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (want?: string) => {
    const tok = tokens[i++];
    if (tok === undefined || (want !== undefined && tok !== want)) throw new UnsupportedCondition(`expected ${want ?? "more"} in ${JSON.stringify(text)}`);
    return tok;
  };
  const kindOf = (n: Node): Kind => (n.t === "num" || n.t === "index" || n.t === "len" ? "number" : "bool");
  const need = (n: Node, kind: Kind, what: string) => {
    if (kindOf(n) !== kind) throw new UnsupportedCondition(`${what} needs a ${kind === "bool" ? "boolean" : "number"} in ${JSON.stringify(text)}`);
    return n;
  };
  const resultIndex = (): Node => {
    take("result");
    take("[");
    const idx = take();
    if (!/^[0-9]+$/.test(idx)) throw new UnsupportedCondition(`result[${idx}] is not a constant index in ${JSON.stringify(text)}`);
    take("]");
    return { t: "index", i: Number(idx) };
  };
  const operand = (): Node => {
    const tok = peek();
    if (tok === undefined) throw new UnsupportedCondition(`unexpected end of ${JSON.stringify(text)}`);
    if (/^[0-9]/.test(tok)) return { t: "num", v: Number(take()) };
    if (tok === "result") return resultIndex();
    if (tok === "len") {
      take("len");
      take("(");
      take("result");
      take(")");
      return { t: "len" };
    }
    if (tok === "isNaN") {
      take("isNaN");
      take("(");
      const arg = resultIndex();
      take(")");
      return { t: "isNaN", arg };
    }
    if (tok === "(") {
      take("(");
      const inner = or();
      take(")");
      return inner;
    }
    throw new UnsupportedCondition(`${JSON.stringify(tok)} is not supported in ${JSON.stringify(text)} — only result[i], len(result), isNaN(result[i]), numbers, comparisons, !, && and ||`);
  };
  const comparison = (): Node => {
    const l = operand();
    const op = peek();
    if (op && ["==", "!=", "<", "<=", ">", ">="].includes(op)) {
      take();
      const r = operand();
      return { t: "bin", op, l: need(l, "number", op), r: need(r, "number", op) };
    }
    return l;
  };
  const unary = (): Node => {
    if (peek() === "!") {
      take("!");
      return { t: "not", arg: need(unary(), "bool", "!") };
    }
    return comparison();
  };
  const and = (): Node => {
    let l = unary();
    while (peek() === "&&") {
      take();
      l = { t: "bin", op: "&&", l: need(l, "bool", "&&"), r: need(unary(), "bool", "&&") };
    }
    return l;
  };
  const or = (): Node => {
    let l = and();
    while (peek() === "||") {
      take();
      l = { t: "bin", op: "||", l: need(l, "bool", "||"), r: need(and(), "bool", "||") };
    }
    return l;
  };
  const tree = or();
  if (i !== tokens.length) throw new UnsupportedCondition(`unexpected ${JSON.stringify(tokens[i])} in ${JSON.stringify(text)}`);
  return need(tree, "bool", "a condition");
}

/** Raised while evaluating (an index past the end of `result`): the measurement is an Error. */
export class EvaluationError extends Error {}

function evaluate(n: Node, result: readonly number[]): number | boolean {
  switch (n.t) {
    case "num":
      return n.v;
    case "len":
      return result.length;
    case "index":
      if (n.i >= result.length) throw new EvaluationError(`index out of range: ${n.i} (array length is ${result.length})`);
      return result[n.i]!;
    case "isNaN":
      return Number.isNaN(evaluate(n.arg, result));
    case "not":
      return !evaluate(n.arg, result);
    case "bin": {
      // Short-circuit as expr-lang does: `len(result) == 0 || result[0] …` never indexes an empty result.
      if (n.op === "||") return (evaluate(n.l, result) as boolean) || (evaluate(n.r, result) as boolean);
      if (n.op === "&&") return (evaluate(n.l, result) as boolean) && (evaluate(n.r, result) as boolean);
      const l = evaluate(n.l, result) as number;
      const r = evaluate(n.r, result) as number;
      // IEEE 754, as Go: every comparison with NaN is false but !=.
      switch (n.op) {
        case "==": return l === r;
        case "!=": return l !== r;
        case "<": return l < r;
        case "<=": return l <= r;
        case ">": return l > r;
        case ">=": return l >= r;
      }
      throw new UnsupportedCondition(`operator ${n.op}`);
    }
  }
}

/** A condition's value for one measurement's result. Throws UnsupportedCondition or EvaluationError. */
export function evaluateCondition(condition: string, result: readonly number[]): boolean {
  return evaluate(parseCondition(condition), result) as boolean;
}

export type AnalysisPhase = "Successful" | "Failed" | "Inconclusive" | "Error";
export type RunPhase = AnalysisPhase | "Running";

/** One measurement: the query's sample values, or `"error"` when the provider failed (an unreachable hub). */
export type Sample = readonly number[] | "error";

/** The metric fields this model implements, as an AnalysisTemplate renders them. */
export interface MetricSpec {
  readonly name: string;
  readonly successCondition?: string;
  readonly failureCondition?: string;
  readonly interval?: string;
  readonly count?: number;
  readonly failureLimit?: number;
  readonly inconclusiveLimit?: number;
  readonly consecutiveErrorLimit?: number;
}

const MODELLED = new Set(["name", "successCondition", "failureCondition", "interval", "count", "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit", "provider"]);

/** A rendered metric as a MetricSpec, refusing fields this model does not implement (and int-or-string counts). */
export function metricSpec(metric: Readonly<Record<string, unknown>>): MetricSpec {
  for (const key of Object.keys(metric)) if (!MODELLED.has(key)) throw new UnsupportedCondition(`metric ${String(metric.name)} sets ${key}, which this model does not implement`);
  for (const key of ["count", "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit"])
    if (metric[key] !== undefined && !Number.isInteger(metric[key])) throw new UnsupportedCondition(`metric ${String(metric.name)} ${key} is not an integer`);
  for (const key of ["successCondition", "failureCondition"]) if (typeof metric[key] === "string") parseCondition(metric[key] as string);
  return metric as unknown as MetricSpec;
}

/** utils/evaluate.EvaluateResult for one measurement. */
export function measurementPhase(metric: MetricSpec, sample: Sample): AnalysisPhase {
  if (sample === "error") return "Error";
  let success = false;
  let failure = false;
  try {
    if (metric.successCondition) success = evaluateCondition(metric.successCondition, sample);
    if (metric.failureCondition) failure = evaluateCondition(metric.failureCondition, sample);
  } catch (error) {
    if (error instanceof EvaluationError) return "Error";
    throw error;
  }
  if (!metric.successCondition && !metric.failureCondition) return "Successful";
  if (metric.successCondition && !metric.failureCondition) failure = !success;
  if (!metric.successCondition && metric.failureCondition) success = !failure;
  if (failure) return "Failed";
  if (!success) return "Inconclusive";
  return "Successful";
}

export interface MetricResult {
  readonly name: string;
  readonly phase: RunPhase;
  readonly measurements: readonly AnalysisPhase[];
  readonly successful: number;
  readonly failed: number;
  readonly inconclusive: number;
  readonly error: number;
  /** Why it ended as it did, in Argo Rollouts' words (`failed (2) > failureLimit (1)`). */
  readonly message?: string;
}

interface Counters {
  name: string;
  phase: RunPhase;
  measurements: AnalysisPhase[];
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  count: number;
  consecutiveError: number;
  message?: string;
}

/** analysis.go's assessMetricFailureInconclusiveOrError: later checks win, as there. */
function failureInconclusiveOrError(m: MetricSpec, r: Counters): { phase?: AnalysisPhase; message?: string } {
  let out: { phase?: AnalysisPhase; message?: string } = {};
  const failureLimit = m.failureLimit ?? 0;
  if (failureLimit >= 0 && r.failed > failureLimit) out = { phase: "Failed", message: `failed (${r.failed}) > failureLimit (${failureLimit})` };
  const inconclusiveLimit = m.inconclusiveLimit ?? 0;
  if (r.inconclusive > inconclusiveLimit) out = { phase: "Inconclusive", message: `inconclusive (${r.inconclusive}) > inconclusiveLimit (${inconclusiveLimit})` };
  const errorLimit = m.consecutiveErrorLimit ?? 4;
  if (r.consecutiveError > errorLimit) out = { phase: "Error", message: `consecutiveErrors (${r.consecutiveError}) > consecutiveErrorLimit (${errorLimit})` };
  return out;
}

/** analysis.go's assessMetricStatus, after at least one measurement. */
function assessMetric(m: MetricSpec, r: Counters, terminating: boolean): RunPhase {
  if (r.measurements.length === 0) return terminating ? "Successful" : "Running";
  const verdict = failureInconclusiveOrError(m, r);
  if (verdict.phase) {
    r.message = verdict.message;
    return verdict.phase;
  }
  // EffectiveCount: count, or 1 when neither count nor interval is set; with only an interval, no end.
  const effective = m.count !== undefined && m.count !== 0 ? m.count : m.interval ? undefined : 1;
  if (effective !== undefined && r.count >= effective) return "Successful";
  return terminating ? "Successful" : "Running";
}

/** Best to worst, as analysisStatusOrder in utils/analysis. */
const ORDER: readonly RunPhase[] = ["Successful", "Running", "Inconclusive", "Error", "Failed"];
const worse = (a: RunPhase, b: RunPhase) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a);

export interface RunResult {
  /** Running when the samples ran out before every metric completed. */
  readonly phase: RunPhase;
  readonly metrics: readonly MetricResult[];
}

/**
 * One AnalysisRun over the given metrics, measuring them together (the templates render one interval for all),
 * each from its own list of samples in order.
 */
export function runAnalysis(metrics: readonly MetricSpec[], samples: Readonly<Record<string, readonly Sample[]>>): RunResult {
  const state: Counters[] = metrics.map((m) => ({ name: m.name, phase: "Running", measurements: [], successful: 0, failed: 0, inconclusive: 0, error: 0, count: 0, consecutiveError: 0 }));
  const done = (p: RunPhase) => p !== "Running";
  const terminating = () => state.some((r) => r.phase === "Failed" || r.phase === "Error" || r.phase === "Inconclusive");
  for (let tick = 0; !terminating() && !state.every((r) => done(r.phase)); tick++) {
    let measured = false;
    for (const [i, m] of metrics.entries()) {
      const r = state[i]!;
      if (done(r.phase)) continue;
      const sample = samples[m.name]?.[tick];
      if (sample === undefined) continue;
      measured = true;
      const phase = measurementPhase(m, sample);
      r.measurements.push(phase);
      if (phase === "Error") {
        r.error++;
        r.consecutiveError++;
      } else {
        r.count++;
        r.consecutiveError = 0;
        if (phase === "Successful") r.successful++;
        else if (phase === "Failed") r.failed++;
        else r.inconclusive++;
      }
    }
    for (const [i, m] of metrics.entries()) if (!done(state[i]!.phase)) state[i]!.phase = assessMetric(m, state[i]!, false);
    if (!measured) break;
  }
  const stopping = terminating();
  for (const [i, m] of metrics.entries()) if (!done(state[i]!.phase)) state[i]!.phase = stopping ? assessMetric(m, state[i]!, true) : state[i]!.phase;
  const phase = state.some((r) => !done(r.phase)) ? "Running" : state.reduce<RunPhase>((w, r) => worse(w, r.phase), "Successful");
  return {
    phase,
    metrics: state.map((r) => ({ name: r.name, phase: r.phase, measurements: r.measurements, successful: r.successful, failed: r.failed, inconclusive: r.inconclusive, error: r.error, ...(r.message ? { message: r.message } : {}) })),
  };
}

/** What the Rollout does with a completed run: continue, abort back to stable (the rollback), or pause. */
export function rolloutReaction(phase: RunPhase): "continue" | "abort" | "pause" | "wait" {
  switch (phase) {
    case "Successful": return "continue";
    case "Failed":
    case "Error": return "abort";
    case "Inconclusive": return "pause";
    case "Running": return "wait";
  }
}

/** An AnalysisTemplate object's metrics as MetricSpecs (refusing what this model does not implement). */
export function templateMetrics(template: Readonly<Record<string, unknown>>): MetricSpec[] {
  const spec = template.spec as { metrics?: unknown } | undefined;
  if (!spec || !Array.isArray(spec.metrics)) throw new UnsupportedCondition("the AnalysisTemplate has no spec.metrics");
  const keys = Object.keys(spec).filter((k) => k !== "metrics" && k !== "args");
  if (keys.length > 0) throw new UnsupportedCondition(`the AnalysisTemplate sets spec.${keys[0]}, which this model does not implement`);
  return spec.metrics.map((m) => metricSpec(m as Record<string, unknown>));
}

export interface CanaryOutcome {
  /** promoted: every step's analysis passed; aborted: one failed or errored (back to stable); paused: inconclusive. */
  readonly outcome: "promoted" | "aborted" | "paused" | "running";
  /** Index of the `analysis` step that decided, in spec.strategy.canary.steps, when not promoted. */
  readonly step?: number;
  /** The runs, one per analysis step reached. */
  readonly runs: readonly RunResult[];
}

/**
 * A canary Rollout's steps with the service's AnalysisTemplate: each `analysis` step runs the template on the
 * samples for that run (`samples[n]` for the n-th analysis step), and the Rollout continues, aborts or pauses as
 * Argo Rollouts does. setWeight and pause steps take no decision.
 */
export function simulateCanary(rollout: Readonly<Record<string, unknown>>, template: Readonly<Record<string, unknown>>, samples: readonly Readonly<Record<string, readonly Sample[]>>[]): CanaryOutcome {
  const canary = (rollout.spec as { strategy?: { canary?: { steps?: readonly Record<string, unknown>[] } } } | undefined)?.strategy?.canary;
  if (!canary?.steps) throw new UnsupportedCondition("the Rollout has no canary steps");
  const metrics = templateMetrics(template);
  const name = (template.metadata as { name?: string } | undefined)?.name;
  const runs: RunResult[] = [];
  for (const [step, s] of canary.steps.entries()) {
    const keys = Object.keys(s);
    if (keys.length !== 1 || !["setWeight", "pause", "analysis"].includes(keys[0]!)) throw new UnsupportedCondition(`canary step ${step} is ${keys.join(", ")}, which this model does not implement`);
    if (!s.analysis) continue;
    const refs = (s.analysis as { templates?: readonly { templateName?: string }[] }).templates ?? [];
    if (refs.length !== 1 || refs[0]!.templateName !== name) throw new UnsupportedCondition(`canary step ${step} runs ${refs.map((r) => r.templateName).join(", ")}, not the template given (${String(name)})`);
    const run = runAnalysis(metrics, samples[runs.length] ?? {});
    runs.push(run);
    const reaction = rolloutReaction(run.phase);
    if (reaction === "abort") return { outcome: "aborted", step, runs };
    if (reaction === "pause") return { outcome: "paused", step, runs };
    if (reaction === "wait") return { outcome: "running", step, runs };
  }
  return { outcome: "promoted", runs };
}
