/**
 * Issue #6's targets, judged on one bench run's figures: each with what it compares, the measured value and
 * whether it is met, so the bench says which targets this machine meets instead of leaving the arithmetic to the
 * reader. Ratios are of figures from the same run (the only comparisons that mean anything across hosts).
 */

/** One size's medians from a bench run (seconds, MiB). */
export interface SizeFigures {
  readonly services: number;
  readonly generate: number;
  readonly noop: number;
  readonly oneService: number;
  readonly floor: number;
  /** The kustomize peer, one folder after another (scaled from the sample). */
  readonly peer: number;
  /** Peak RSS of a full generate; undefined when it could not be measured. */
  readonly rssMb?: number;
}

export interface Target {
  readonly name: string;
  /** The measured value as printed, e.g. "8.0×" or "0.37 s". */
  readonly value: string;
  readonly met: boolean;
}

/** The size the targets are stated for (S=2000), or the largest measured, which `judge` then names. */
export const TARGET_SIZE = 2000;

/**
 * The targets at `TARGET_SIZE` (else the largest size measured): full generate ≤ 5× the floor and ≥ 100× faster
 * than the peer, no-op < 1 s, one service < 1.5 s, peak RSS < 1 GiB; and linear growth: from the smallest to the
 * largest size, time per service does not grow (within 10 %: a fixed start-up cost makes small sizes dearer per
 * service, never cheaper). Linearity needs two sizes at least a factor of 2 apart, else it is left out.
 */
export function judge(sizes: readonly SizeFigures[]): { size: number; targets: Target[] } {
  if (sizes.length === 0) throw new Error("no sizes measured");
  const sorted = [...sizes].sort((a, b) => a.services - b.services);
  const at = sorted.find((s) => s.services === TARGET_SIZE) ?? sorted.at(-1)!;
  const ratio = (x: number) => `${x.toFixed(1)}×`;
  const seconds = (x: number) => `${x.toFixed(2)} s`;
  const targets: Target[] = [
    { name: "full generate ≤ 5× the write floor", value: ratio(at.generate / at.floor), met: at.generate <= 5 * at.floor },
    { name: "full generate ≥ 100× faster than the kustomize peer", value: ratio(at.peer / at.generate), met: at.peer >= 100 * at.generate },
    { name: "no-op regenerate < 1 s", value: seconds(at.noop), met: at.noop < 1 },
    { name: "one-service change < 1.5 s", value: seconds(at.oneService), met: at.oneService < 1.5 },
  ];
  if (at.rssMb !== undefined) targets.push({ name: "peak RSS < 1 GiB", value: `${at.rssMb.toFixed(0)} MiB`, met: at.rssMb < 1024 });
  const small = sorted[0]!;
  const large = sorted.at(-1)!;
  if (large.services >= 2 * small.services) {
    const growth = large.generate / small.generate;
    const scale = large.services / small.services;
    const times = Number.isInteger(scale) ? String(scale) : scale.toFixed(1);
    targets.push({ name: `linear in S (${small.services} → ${large.services}: ${times}× the services)`, value: `${growth.toFixed(1)}× the time`, met: growth <= 1.1 * scale });
  }
  return { size: at.services, targets };
}

/** The targets as lines for the bench's output. */
export function targetLines(sizes: readonly SizeFigures[]): string[] {
  const { size, targets } = judge(sizes);
  const width = Math.max(...targets.map((t) => t.name.length));
  const head = size === TARGET_SIZE ? `targets at S=${size}:` : `targets (stated for S=${TARGET_SIZE}; the largest size measured is S=${size}):`;
  return [head, ...targets.map((t) => `  ${t.met ? "met    " : "NOT MET"}  ${t.name.padEnd(width)}  ${t.value}`)];
}
