import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.ts";
import { cli, commit, tempEstate } from "./helpers.ts";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());
const estate = (git = false) => {
  const t = tempEstate({ git });
  cleanup = t.cleanup;
  return t.root;
};

describe("gitops explain", () => {
  it("names the layer and file behind each value", async () => {
    const root = estate();
    const prod = await cli(root, "explain", "payments", "--env", "prod", "--json");
    expect(prod.code).toBe(EXIT.ok);
    const rows = (JSON.parse(prod.stdout) as { rows: { field: string; value: string; layer: string; file: string; note?: string }[] }).rows;
    const row = (field: string) => rows.find((r) => r.field === field);
    expect(row("config.PROCESSOR_URL")).toEqual({ field: "config.PROCESSOR_URL", value: "https://api.processor.example.com/v2", layer: "override", file: "services/payments/service.ts" });
    expect(row("replicas")).toMatchObject({ value: "3", layer: "tier", file: "packages/model/src/tiers.ts", note: "tier prod, chosen in environments/prod.ts" });
    expect(row("secrets.PROCESSOR_API_KEY")).toMatchObject({ value: "prod-vault:payments/processor-live#api-key", layer: "override" });
    expect(row("secretStore")).toMatchObject({ layer: "account", file: "environments/estate.ts" });
    expect(row("config.ACCOUNTS_URL")).toMatchObject({ value: "http://accounts.prod-accounts.svc.cluster.local", layer: "derived" });

    const dev = await cli(root, "explain", "payments", "--env", "dev", "--json");
    const devRows = (JSON.parse(dev.stdout) as { rows: { field: string; layer: string; value: string }[] }).rows;
    expect(devRows.find((r) => r.field === "config.PROCESSOR_URL")).toMatchObject({ layer: "service", value: "https://sandbox.processor.example.com/v2" });
  });

  it("prints a table for people", async () => {
    const { stdout } = await cli(estate(), "explain", "email-worker", "--env", "prod");
    expect(stdout).toMatch(/^logLevel\s+warn\s+override\s+services\/email-worker\/service\.ts$/m);
  });

  it("refuses unknown services and environments the service does not run in", async () => {
    const root = estate();
    expect(await cli(root, "explain", "nope", "--env", "dev")).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining("No service \"nope\"") });
    expect(await cli(root, "explain", "search-experiment", "--env", "prod")).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('not deployed in "prod" — use one of dev') });
    // A likely typo is named.
    expect(await cli(root, "explain", "paymnts", "--env", "prd")).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('No service "paymnts" — did you mean payments?') });
    expect(await cli(root, "explain", "payments", "--env", "prd")).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('not deployed in "prd" — did you mean prod?') });
  });
});

describe("gitops new-service", () => {
  it("scaffolds a service of each kind that resolves, generates and is deployed to every wave", async () => {
    const root = estate();
    for (const kind of ["http", "worker", "job"]) {
      const r = await cli(root, "new-service", `new-${kind}`, "--kind", kind, "--team", "growth");
      expect(r.code, r.stderr).toBe(EXIT.ok);
      expect(r.stdout).toContain(`in dev, staging, prod`);
      expect(readFileSync(join(root, "services", `new-${kind}`, "README.md"), "utf8")).toContain(`# new-${kind}`);
    }
    const gen = await cli(root, "generate");
    expect(gen.code, gen.stdout).toBe(EXIT.ok);
    // Rolling Deployments where the tier rolls, the tier's default canary (a Rollout) in prod.
    for (const [env, workload] of [["nonprod/dev", "deployment"], ["nonprod/staging", "deployment"], ["prod/prod", "rollout"]]) {
      expect(existsSync(join(root, "generated", env!, "new-http", `${workload}.yaml`)), `${env} new-http`).toBe(true);
      expect(existsSync(join(root, "generated", env!, "new-worker", `${workload}.yaml`)), `${env} new-worker`).toBe(true);
      expect(existsSync(join(root, "generated", env!, "new-job", "cronjob.yaml"))).toBe(true);
    }
  });

  it("refuses an existing name, an invalid name, an unknown kind and a missing team, all at once", async () => {
    const root = estate();
    expect(await cli(root, "new-service", "payments", "--kind", "http", "--team", "x")).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining("services/payments already exists") });
    const bad = await cli(root, "new-service", "Bad_Name", "--kind", "lambda");
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('"Bad_Name" is not a valid service name');
    expect(bad.stderr).toContain("--kind must be one of http, worker, job");
    expect(bad.stderr).toContain("--team must be a DNS label");
    expect(existsSync(join(root, "services", "Bad_Name"))).toBe(false);
  });
});

describe("gitops promote", () => {
  it("changes only the target environment's version pin, then regenerates", async () => {
    const root = estate();
    await cli(root, "generate");
    const file = join(root, "services/web-frontend/service.ts");
    const before = readFileSync(file, "utf8");
    const r = await cli(root, "promote", "web-frontend", "--from", "dev", "--to", "staging");
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(readFileSync(file, "utf8")).toBe(before.replace("staging: {},", 'staging: { version: "5.4.0-rc.1" },'));
    expect(r.stdout).toContain("nonprod/staging/web-frontend: changed Deployment/web-frontend: spec.template.spec.containers[0].image");
    expect(readFileSync(join(root, "generated/nonprod/staging/web-frontend/deployment.yaml"), "utf8")).toContain("web/web-frontend:5.4.0-rc.1");
    expect((await cli(root, "generate", "--check")).code).toBe(EXIT.ok);
  });

  it("refuses to skip a wave, and records the reason when forced", async () => {
    const root = estate();
    const file = join(root, "services/public-api/service.ts");
    const before = readFileSync(file, "utf8");
    const refused = await cli(root, "promote", "public-api", "--from", "dev", "--to", "prod");
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain("public-api: promoting dev → prod would skip staging — promote to staging first");
    expect(readFileSync(file, "utf8")).toBe(before);
    expect((await cli(root, "promote", "public-api", "--from", "dev", "--to", "prod", "--force")).stderr).toContain("--force needs --reason");
    const forced = await cli(root, "promote", "public-api", "--from", "dev", "--to", "prod", "--force", "--reason", "CVE-2026-1234 hotfix");
    expect(forced.code, forced.stderr).toBe(EXIT.ok);
    expect(readFileSync(file, "utf8")).toContain('/* forced promotion dev → prod skipping staging: CVE-2026-1234 hotfix */ version: "2.15.0-rc.2",');
  });

  it("refuses to go backwards without force", async () => {
    const r = await cli(estate(), "promote", "payments", "--from", "prod", "--to", "dev");
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("versions move forward through the waves");
  });

  it("--all promotes every service whose version differs, and says which already match", async () => {
    const root = estate();
    const r = await cli(root, "promote", "--all", "--from", "staging", "--to", "prod");
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toContain("public-api: prod now pins 2.15.0-rc.2 (from staging)");
    expect(r.stdout).toContain("payments: prod already runs 1.8.3");
    expect(r.stdout).not.toContain("web-frontend: prod now pins");
  });
});

describe("gitops diff", () => {
  it("shows object changes per environment against the committed tree, prod first", async () => {
    const root = estate(true);
    await cli(root, "generate");
    commit(root, "base");
    expect((await cli(root, "diff", "--base", "HEAD")).stdout).toContain("No change to what ArgoCD applies");
    const file = join(root, "services/payments/service.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace('version: "1.8.3"', 'version: "1.8.4"'));
    const r = await cli(root, "diff", "--base", "HEAD");
    expect(r.code).toBe(EXIT.ok);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("[prod] prod/prod/payments");
    // prod runs a canary Rollout; the preview shows the same one-field change there as in dev's Deployment.
    expect(lines).toContain("  ~ Rollout/payments: spec.template.spec.containers[0].image");
    expect(lines).toContain("  ~ Deployment/payments: spec.template.spec.containers[0].image");
    expect(r.stdout).toContain("nonprod/dev/payments");
    expect(r.stdout).toMatch(/0 added, 3 changed, 0 removed objects/);
    // generated/ is untouched by a preview.
    expect(readFileSync(join(root, "generated/prod/prod/payments/rollout.yaml"), "utf8")).toContain("payments/payments:1.8.3");
  });

  it("renders a pull-request comment that flags deletions", async () => {
    const root = estate(true);
    await cli(root, "generate");
    commit(root, "base");
    const file = join(root, "services/search-experiment/service.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace("environments: { dev: {} }", "environments: { dev: {}, staging: {} }"));
    const { stdout } = await cli(root, "diff", "--base", "HEAD", "--format", "markdown");
    expect(stdout).toContain("### gitops diff: against ");
    expect(stdout).toContain("#### nonprod / staging / search-experiment");
    expect(stdout).toContain("- added `Deployment/search-experiment`");
    expect(stdout).toContain("- changed `NetworkPolicy/public-api`: spec.ingress[0].from");

    writeFileSync(file, readFileSync(file, "utf8").replace(
      "environments: { dev: {}, staging: {} }",
      'environments: { dev: {}, staging: {} },\n  waivers: [{ rule: "images/immutable", reason: "alpha images until the experiment ends", expires: "2027-01-31" }]',
    ));
    const waived = await cli(root, "diff", "--base", "HEAD", "--format", "markdown");
    expect(waived.stdout).toContain("- search-experiment: `images/immutable` waived until 2027-01-31 (all environments): alpha images until the experiment ends");

    writeFileSync(file, readFileSync(file, "utf8").replace("environments: { dev: {}, staging: {} }", "environments: { dev: {} }").replace('kind: "http"', 'kind: "worker",\n  metrics: false').replace("port: 8080,", "").replace('dependsOn: ["public-api"],', ""));
    const removed = await cli(root, "diff", "--base", "HEAD", "--format", "markdown");
    expect(removed.stdout).toContain("**deletions**");
    expect(removed.stdout).toContain("- **removed** `Service/search-experiment`");
  });
});
