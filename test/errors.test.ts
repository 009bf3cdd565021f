/**
 * Error wording: each kind of bad input, as the person who wrote it reads it. Every case is the valid
 * `minimal` fixture with one variant layered on top (test/fixtures/bad-*), so the problems listed are caused
 * by that variant alone. The wording is pinned by inline snapshots; the format by a pattern.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { build, generate } from "../packages/generator/src/index.ts";
import { formatProblem, sortProblems } from "../packages/model/src/index.ts";
import { estate, FIXTURES, gitops, outputs, overlay } from "./support/estate.ts";

/** `path/to/file.ts: field.path: what is wrong — how to fix it`, the one format every problem has. */
const FORMAT = /^(environments\/[a-z0-9-]+\.ts|services\/[a-z0-9-]+\/service\.ts): (\(file\)|[A-Za-z0-9_.[\]-]+): [^—]+ — [^—]+$/;

async function problems(...variants: string[]): Promise<string[]> {
  const result = await build(estate("minimal", ...variants));
  if (result.ok) throw new Error(`${variants.join(" + ")} built without problems`);
  const lines = sortProblems(result.problems).map(formatProblem);
  for (const line of lines) expect(line).toMatch(FORMAT);
  return lines;
}

describe("the minimal fixture", () => {
  it("is valid, and resolves @gitops/model both in the repository and in a temp copy", async () => {
    // build() only reads, so it may run on the fixture where it lives; a temp copy must give the same files.
    const inRepo = await build(join(FIXTURES, "minimal"));
    const copied = await build(estate("minimal"));
    expect(inRepo.ok && copied.ok).toBe(true);
    if (!inRepo.ok || !copied.ok) return;
    expect(inRepo.build.estate.deployments.map((d) => `${d.environment}/${d.service}`)).toEqual([
      "dev/api", "dev/job", "dev/worker", "staging/api", "staging/job", "staging/worker", "prod/api", "prod/job", "prod/worker",
    ]);
    expect([...copied.build.files]).toEqual([...inRepo.build.files]);
  });
});

describe("error wording", () => {
  it("wrong type", async () => {
    expect(await problems("bad-wrong-type")).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: port: must be a number, not the string "8080" — change its value",
      ]
    `);
  });

  it("a fraction where a whole number belongs", async () => {
    expect(await problems("bad-fraction")).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: environments.prod.replicas: must be a whole number, not the fraction 3.5 — change its value",
      ]
    `);
  });

  it("missing field", async () => {
    expect(await problems("bad-missing-field")).toMatchInlineSnapshot(`
      [
        "services/worker/service.ts: team: is required — add it (string)",
      ]
    `);
  });

  it("unknown or misspelt field", async () => {
    expect(await problems("bad-unknown-field")).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: replica: is not a known field — remove it or fix its spelling",
      ]
    `);
  });

  it("a value outside an enumeration", async () => {
    expect(await problems("bad-enum-value")).toMatchInlineSnapshot(`
      [
        "services/worker/service.ts: kind: must be one of "http", "worker", "job", not "wroker" — pick one",
      ]
    `);
  });

  it("override of a field that may not differ per environment", async () => {
    expect(await problems("bad-override-not-allowed")).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: environments.prod.port: may not differ between environments — set it once at the service level; an environment may override only version, replicas, resources, autoscaling, urls, secrets, logLevel, strategy",
      ]
    `);
  });

  it("replicas outside the tier's bounds", async () => {
    expect(await problems("bad-replicas-out-of-bounds")).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: environments.dev.replicas: is 2, outside the dev tier's 1–1 — set a value in that range or remove the override",
        "services/api/service.ts: environments.prod.replicas: is 2, outside the prod tier's 3–50 — set a value in that range or remove the override",
      ]
    `);
  });

  it("resources below the tier's floor", async () => {
    expect(await problems("bad-resources-below-floor")).toMatchInlineSnapshot(`
      [
        "services/worker/service.ts: environments.staging.resources: requests.cpu, limits.memory below the staging tier's floor (200m/256Mi requests, 1000m/512Mi limits) — raise them to at least the tier's figure",
      ]
    `);
  });

  it("requests above limits, set once for every environment, reported once", async () => {
    expect(await problems("bad-requests-over-limits")).toMatchInlineSnapshot(`
      [
        "services/worker/service.ts: resources.requests.cpu: 3 exceeds the limit 2500m — lower the request or raise the limit",
      ]
    `);
  });

  it("replicas and autoscaling on a job", async () => {
    expect(await problems("bad-job-scaling")).toMatchInlineSnapshot(`
      [
        "services/job/service.ts: environments.prod.autoscaling: jobs never autoscale — remove it",
        "services/job/service.ts: environments.prod.replicas: jobs run one pod per scheduled run, not replicas — remove it",
      ]
    `);
  });

  it("a privileged health port and a public path that is not a path", async () => {
    expect(await problems("bad-port-and-path")).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: health.port: is a privileged port — use 1024 or above (containers run as non-root)",
        "services/api/service.ts: public.path: is not a path — start it with /",
      ]
    `);
  });

  it("a URL that is not https, and one with a misspelt {domain} placeholder", async () => {
    expect(await problems("bad-url-placeholder")).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: urls.DOCS_URL: is not an https URL — write it as https://host[:port][/path]",
        "services/api/service.ts: urls.PUBLIC_URL: has a placeholder other than {domain} — use {domain} (the environment's domain) or write the value out",
      ]
    `);
  });

  it("unknown environment", async () => {
    expect(await problems("bad-unknown-environment")).toMatchInlineSnapshot(`
      [
        "services/job/service.ts: environments.qa: is not an environment — use one of dev, prod, staging, or add environments/qa.ts",
      ]
    `);
  });

  it("dependsOn an unknown service", async () => {
    expect(await problems("bad-depends-on-unknown")).toMatchInlineSnapshot(`
      [
        "services/worker/service.ts: dependsOn[1]: names "billing", which is not a service — use one of api, job, worker",
      ]
    `);
  });

  it("dependsOn a service that is not deployed where the caller runs", async () => {
    expect(await problems("bad-depends-on-undeployed")).toMatchInlineSnapshot(`
      [
        "services/job/service.ts: dependsOn[0]: "api" is not deployed in prod, where this service runs — add prod to services/api/service.ts's environments, or remove prod here",
        "services/worker/service.ts: dependsOn[0]: "api" is not deployed in prod, where this service runs — add prod to services/api/service.ts's environments, or remove prod here",
      ]
    `);
  });

  it("dependsOn the same service twice", async () => {
    expect(await problems("bad-duplicate-depends-on")).toMatchInlineSnapshot(`
      [
        "services/worker/service.ts: dependsOn[1]: "api" is already listed — remove it",
      ]
    `);
  });

  it("dependsOn a service that serves nothing", async () => {
    expect(await problems("bad-depends-on-worker")).toMatchInlineSnapshot(`
      [
        "services/job/service.ts: dependsOn[0]: names "worker", a worker that serves nothing — depend only on http services",
      ]
    `);
  });

  it("duplicate public host", async () => {
    expect(await problems("bad-duplicate-host")).toMatchInlineSnapshot(`
      [
        "services/www/service.ts: public.host: api.dev.nonprod.example.test is already served by api — pick another host",
        "services/www/service.ts: public.host: api.example.test is already served by api — pick another host",
      ]
    `);
  });

  it("a reserved service name (once an internal error)", async () => {
    expect(await problems("bad-reserved-name")).toMatchInlineSnapshot(`
      [
        "services/default-deny/service.ts: name: is reserved (the default-deny network policy) — pick another name",
      ]
    `);
  });

  it("name that does not match the file", async () => {
    expect(await problems("bad-name-mismatch")).toMatchInlineSnapshot(`
      [
        "services/worker/service.ts: name: is "workers" but its folder is services/worker — make them match",
      ]
    `);
  });

  it("environment naming an unknown account", async () => {
    expect(await problems("bad-unknown-account")).toMatchInlineSnapshot(`
      [
        "environments/staging.ts: account: names account "nonprd", which environments/estate.ts does not define — did you mean nonprod? (one of: nonprod, prod)",
      ]
    `);
  });

  it("a file that throws on import", async () => {
    expect(await problems("bad-throws-on-import")).toMatchInlineSnapshot(`
      [
        "services/job/service.ts: (file): could not be loaded: SCHEDULE is not set — fix the file so that it runs (pnpm typecheck shows type errors)",
      ]
    `);
  });

  it("a file that does not parse", async () => {
    const root = estate("minimal");
    writeFileSync(join(root, "services/job/service.ts"), 'import { defineService } from "@gitops/model";\n\nexport default defineService({ name: "job"\n');
    const result = await build(root);
    expect(result.ok).toBe(false);
    const lines = result.ok ? [] : result.problems.map(formatProblem);
    for (const line of lines) expect(line).toMatch(FORMAT);
    // The location and the parser's reason, relative to the repository: never a temp path, never "[object Object]".
    expect(lines).toMatchInlineSnapshot(`
      [
        "services/job/service.ts: (file): could not be loaded: Transform failed with 1 error: services/job/service.ts:4:0: ERROR: Expected "}" but found end of file — fix the file so that it runs (pnpm typecheck shows type errors)",
      ]
    `);
  });

  it("a broken file is reported once, not again by every file that refers to it", async () => {
    expect(await problems("bad-broken-files")).toMatchInlineSnapshot(`
      [
        "environments/staging.ts: (file): could not be loaded: no wave for staging — fix the file so that it runs (pnpm typecheck shows type errors)",
        "services/api/service.ts: (file): has no default export — export the definition with \`export default define…({ … })\`",
      ]
    `);
  });

  it("missing default export", async () => {
    expect(await problems("bad-no-default-export")).toMatchInlineSnapshot(`
      [
        "services/job/service.ts: (file): has no default export — export the definition with \`export default define…({ … })\`",
      ]
    `);
  });

  it("config key that is not SCREAMING_SNAKE_CASE", async () => {
    expect(await problems("bad-config-key")).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: config.feature-flag: is not an environment variable name — use SCREAMING_SNAKE_CASE, e.g. PAYMENTS_URL",
      ]
    `);
  });

  it("config value that is not a string, number or boolean", async () => {
    expect(await problems("bad-config-value")).toMatchInlineSnapshot(`
      [
        "services/api/service.ts: config.HOSTS: must be a string, a number or a boolean, not an array — change its value",
        "services/api/service.ts: config.TIMEOUT_MS: must be a string, a number or a boolean, not null — change its value",
      ]
    `);
  });
});

describe("invalid input across several files", () => {
  /** Problems in an environment and in three services at once: each file fails in its own way. */
  const VARIANTS = ["bad-unknown-account", "bad-override-not-allowed", "bad-depends-on-unknown", "bad-throws-on-import"];

  it("reports every problem in every file in one run, exits 2 and leaves generated/ untouched", async () => {
    const root = estate("minimal");
    expect((await generate(root)).kind).toBe("ok");
    const before = outputs(root);
    expect(before.size).toBeGreaterThan(50);

    overlay(root, ...VARIANTS);
    const [run, check] = await Promise.all([gitops(root, ["generate"]), gitops(root, ["generate", "--check"])]);
    expect(run.code).toBe(2);
    expect(check.code).toBe(2);
    expect(check.stdout).toBe(run.stdout);
    expect(run.stdout).toMatchInlineSnapshot(`
      "environments/staging.ts: account: names account "nonprd", which environments/estate.ts does not define — did you mean nonprod? (one of: nonprod, prod)
      services/api/service.ts: environments.prod.port: may not differ between environments — set it once at the service level; an environment may override only version, replicas, resources, autoscaling, urls, secrets, logLevel, strategy
      services/job/service.ts: (file): could not be loaded: SCHEDULE is not set — fix the file so that it runs (pnpm typecheck shows type errors)
      services/worker/service.ts: dependsOn[1]: names "billing", which is not a service — use one of api, job, worker

      4 problems in the config; nothing was written.
      "
    `);
    const lines = run.stdout.split("\n").filter((l) => l.includes(": "));
    for (const line of lines) expect(line).toMatch(FORMAT);
    expect(new Set(lines.map((l) => l.slice(0, l.indexOf(":"))))).toEqual(
      new Set(["environments/staging.ts", "services/api/service.ts", "services/worker/service.ts", "services/job/service.ts"]),
    );

    // Byte for byte: nothing written, nothing removed, no scratch folder left behind.
    const after = outputs(root);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [path, bytes] of before) expect(after.get(path)!.equals(bytes), path).toBe(true);
  });
});
