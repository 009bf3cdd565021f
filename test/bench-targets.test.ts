/**
 * The bench's verdict on issue #6's targets (scripts/lib/targets.ts): each target met or not from one run's
 * figures, at S=2000 when measured, with linearity judged across sizes.
 */
import { describe, expect, it } from "vitest";
import { judge, targetLines, type SizeFigures } from "../scripts/lib/targets.ts";

// The Intel host's figures of the 2026-12-03 run (README, Performance).
const intel: SizeFigures[] = [
  { services: 100, generate: 0.86, noop: 0.12, oneService: 0.37, floor: 0.05, peer: 38.1, rssMb: 127 },
  { services: 500, generate: 2.3, noop: 0.16, oneService: 0.51, floor: 0.23, peer: 192.0, rssMb: 254 },
  { services: 2000, generate: 6.81, noop: 0.37, oneService: 1.17, floor: 0.85, peer: 796.3, rssMb: 554 },
];

describe("bench targets", () => {
  it("judges each target at S=2000 from the same run's figures", () => {
    const { size, targets } = judge(intel);
    expect(size).toBe(2000);
    expect(targets.map((t) => [t.name, t.value, t.met])).toEqual([
      ["full generate ≤ 5× the write floor", "8.0×", false],
      ["full generate ≥ 100× faster than the kustomize peer", "116.9×", true],
      ["no-op regenerate < 1 s", "0.37 s", true],
      ["one-service change < 1.5 s", "1.17 s", true],
      ["peak RSS < 1 GiB", "554 MiB", true],
      ["linear in S (100 → 2000: 20× the services)", "7.9× the time", true],
    ]);
  });

  it("says how many times the services grew, to a tenth when not whole", () => {
    const two = (services: number, generate: number): SizeFigures => ({ services, generate, noop: 0.1, oneService: 0.3, floor: 0.05, peer: 100 });
    expect(judge([two(40, 0.6), two(100, 0.84)]).targets.at(-1)).toEqual({ name: "linear in S (40 → 100: 2.5× the services)", value: "1.4× the time", met: true });
  });

  it("fails a one-service change at the limit, a peer under 100×, and time growing faster than the services", () => {
    const slow: SizeFigures[] = [
      { services: 100, generate: 0.5, noop: 0.1, oneService: 0.3, floor: 0.05, peer: 30 },
      { services: 2000, generate: 12, noop: 0.5, oneService: 1.5, floor: 3, peer: 1100 },
    ];
    const verdict = Object.fromEntries(judge(slow).targets.map((t) => [t.name.split(" (")[0], t.met]));
    expect(verdict).toEqual({
      "full generate ≤ 5× the write floor": true,
      "full generate ≥ 100× faster than the kustomize peer": false,
      "no-op regenerate < 1 s": true,
      "one-service change < 1.5 s": false,
      "linear in S": false,
    });
  });

  it("names the largest size when S=2000 was not measured, and leaves out what it cannot judge", () => {
    const lines = targetLines([{ services: 300, generate: 1, noop: 0.1, oneService: 0.4, floor: 0.1, peer: 120 }]);
    // One size: no linearity to judge; no RSS measured: none to judge either.
    expect(lines[0]).toBe("targets (stated for S=2000; the largest size measured is S=300):");
    expect(lines.slice(1).map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ["NOT MET", "full generate ≤ 5× the write floor", "10.0×"],
      ["met", "full generate ≥ 100× faster than the kustomize peer", "120.0×"],
      ["met", "no-op regenerate < 1 s", "0.10 s"],
      ["met", "one-service change < 1.5 s", "0.40 s"],
    ]);
  });
});
