/**
 * `gitops readiness` end to end on a broken estate: the real CLI over a build whose prod PrometheusRule for
 * payments is removed (objects and file), as if a base stopped rendering it. The generator is wrapped, not
 * replaced: everything else is the repository's real output.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXIT } from "../src/exit-codes.ts";
import { cli, tempEstate } from "./helpers.ts";

const REMOVED = "prod/prod/payments/prometheusrule.yaml";

vi.mock("@gitops/generator", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@gitops/generator")>();
  return {
    ...actual,
    build: async (root: string) => {
      const result = await actual.build(root);
      if (!result.ok) return result;
      const files = new Map(result.build.files);
      files.delete(REMOVED);
      return { ok: true, build: { ...result.build, objects: result.build.objects.filter((o) => o.file !== REMOVED), files } };
    },
  };
});

let root: string;
let cleanup: () => void;
beforeAll(() => ({ root, cleanup } = tempEstate()));
afterAll(() => cleanup());

describe("gitops readiness on a broken estate", () => {
  it("shows the missing alert rules in prod and exits 4", async () => {
    const r = await cli(root, "readiness", "payments");
    expect(r.code, r.stderr).toBe(EXIT.policy);
    expect(r.stdout).toMatch(/^ {2}prod \[prod\] · account prod · namespace prod-payments · 1 missing$/m);
    expect(r.stdout).toMatch(/^ {4}missing {2}Monitoring and alerting set up +no PrometheusRule with alerts in prod-payments: nothing alerts on payments$/m);
    expect(r.stdout).toMatch(/^readiness: .*1 missing in prod \(payments\/prod\/monitoring\): exit 4$/m);
    // The other environments still have their rules.
    expect(r.stdout).toMatch(/^ {2}staging · account nonprod · namespace staging-payments · ready$/m);

    const json = await cli(root, "readiness", "payments", "--json");
    expect(json.code).toBe(EXIT.policy);
    const report = JSON.parse(json.stdout) as { ok: boolean; blocking: string[]; services: { environments: { environment: string; items: { id: string; status: string }[] }[] }[] };
    expect(report.ok).toBe(false);
    expect(report.blocking).toEqual(["payments/prod/monitoring"]);
    const prod = report.services[0]!.environments.find((e) => e.environment === "prod")!;
    expect(prod.items.filter((i) => i.status === "missing").map((i) => i.id)).toEqual(["monitoring"]);
  });

  it("still exits 0 for a service the breakage does not touch", async () => {
    const r = await cli(root, "readiness", "accounts", "--json");
    const report = JSON.parse(r.stdout) as { blocking: string[] };
    expect(r.code).toBe(report.blocking.length === 0 ? EXIT.ok : EXIT.policy);
    expect(report.blocking.filter((b) => b.startsWith("payments/"))).toEqual([]);
  });
});
