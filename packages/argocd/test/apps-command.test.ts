/** `pnpm gitops apps` through the real CLI, in a temp copy of the repository's config with no generated/ at all. */
import { describe, expect, it } from "vitest";
import { estate, gitops } from "../../../test/support/estate.ts";

describe("gitops apps", () => {
  it("--json lists every Application with project, destination, path, wave and step, and no findings", async () => {
    const root = estate("repo");
    const run = await gitops(root, ["apps", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const { applications, findings } = JSON.parse(run.stdout) as { applications: { name: string; project: string; cluster: string; destination: { server: string; namespace: string }; path: string; wave: number; step: number; application: { kind: string } }[]; findings: unknown[] };
    expect(findings).toEqual([]);
    expect(applications.length).toBeGreaterThan(10);
    const payments = applications.filter((a) => a.name.endsWith("-payments"));
    expect(payments.map((a) => [a.name, a.project, a.cluster, a.destination.namespace, a.path, a.wave, a.step])).toEqual([
      ["dev-payments", "nonprod", "nonprod", "dev-payments", "generated/nonprod/dev/payments", 0, 2],
      ["staging-payments", "nonprod", "nonprod", "staging-payments", "generated/nonprod/staging/payments", 1, 3],
      ["prod-payments", "prod", "prod", "prod-payments", "generated/prod/prod/payments", 2, 4],
    ]);
    expect(applications.map((a) => a.step)).toEqual([...applications.map((a) => a.step)].sort((x, y) => x - y));
    expect(applications[0]!.application.kind).toBe("Application");
    // The platform's Applications, synced by the root app: every component in every account, in wave order.
    const { standalone } = JSON.parse(run.stdout) as { standalone: { name: string; project: string; cluster: string; sources: { chart?: string; path?: string }[]; wave: number | null }[] };
    const collector = standalone.find((a) => a.name === "platform-prod-opentelemetry-collector")!;
    expect([collector.project, collector.cluster, collector.wave]).toEqual(["prod-platform", "prod", -3]);
    expect(collector.sources.map((x) => x.chart ?? x.path)).toEqual(["opentelemetry-collector", "generated/prod/platform/opentelemetry-collector"]);
    const waves = standalone.filter((a) => a.wave !== null).map((a) => a.wave!);
    expect(waves).toEqual([...waves].sort((x, y) => x - y));
    expect(new Set(standalone.filter((a) => a.name.startsWith("platform-")).map((a) => a.cluster))).toEqual(new Set(["common", "nonprod", "prod"]));
  });

  it("prints a table for people, in rollout order", async () => {
    const run = await gitops(estate("repo"), ["apps"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+PROJECT\s+CLUSTER\s+SERVER\s+NAMESPACE\s+PATH\s+WAVE\s+STEP$/);
    expect(run.stdout).toMatch(/^prod-payments\s+prod\s+prod\s+https:\/\/prod\.k8s\.acme\.dev\s+prod-payments\s+generated\/prod\/prod\/payments\s+2\s+4$/m);
    expect(lines.findIndex((l) => l.startsWith("dev-"))).toBeLessThan(lines.findIndex((l) => l.startsWith("staging-")));
    expect(lines.at(-1)).toMatch(/^\d+ applications in 3 of 4 RollingSync steps/);
  });
});
