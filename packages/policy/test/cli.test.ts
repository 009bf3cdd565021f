/**
 * `gitops check` end to end, in a temporary copy of the repository's config (never the repository's own
 * generated/): exit codes 0, 2, 3 and 4, and the JSON shape CI reads.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/src/exit-codes.ts";
import { main } from "../../cli/src/main.ts";

const REPO = resolve(import.meta.dirname, "../../..");
let root = "";

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "gitops-check-"));
  for (const dir of ["environments", "services"]) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function gitops(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, root, (l) => (stdout += `${l}\n`), (l) => (stderr += `${l}\n`));
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const canary = (extra = "") => `import { defineService } from "@gitops/model";

export default defineService({
  name: "canary",
  kind: "worker",
  description: "A release candidate, straight to prod.",
  team: "qa",
  costCenter: "cc-9001",
  image: "qa/canary",
  version: "1.0.0-rc.1",
  health: { port: 9090 },
  environments: { dev: {}, prod: {} },${extra}
});
`;
const writeCanary = (extra?: string) => writeFileSync(join(root, "services/canary/service.ts"), canary(extra));

describe("gitops check", () => {
  it("exits 3 when generated/ is stale (here: missing), with the files in the JSON", async () => {
    const r = await gitops("check", "--json");
    expect(r.code).toBe(EXIT.stale);
    const out = r.json();
    expect(out).toMatchObject({ ok: false, exitCode: EXIT.stale, findings: [], waived: [], waivers: [], counts: { findings: 0 } });
    expect(out.stale.added).toContain("prod/prod/payments/rollout.yaml");
  });

  it("passes the shipped example config cleanly once generated (exit 0)", async () => {
    expect((await gitops("generate")).code).toBe(EXIT.ok);
    const r = await gitops("check", "--parity");
    expect(r.code, r.stdout).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/^policy: no findings; \d+ rules over \d+ objects\.$/m);
    expect(r.stdout).toContain("generated/ is current.");
    expect(r.stdout).toMatch(/^payments \(services\/payments\/service\.ts\): dev · staging · prod$/m);
    expect(r.stdout).toMatch(/^\s+config\.PROCESSOR_URL\s+url\s/m);
  });

  it("exits 4 on a policy violation, pointing at the typed source, with a stable JSON shape", async () => {
    mkdirSync(join(root, "services/canary"));
    writeCanary();
    expect((await gitops("generate")).code).toBe(EXIT.ok);
    const r = await gitops("check", "--json");
    expect(r.code).toBe(EXIT.policy);
    const out = r.json();
    expect(Object.keys(out)).toEqual(["ok", "exitCode", "stale", "findings", "waived", "waivers", "counts", "rules", "seconds"]);
    expect(out).toMatchObject({ ok: false, exitCode: EXIT.policy, stale: null, counts: { findings: 1, environments: { prod: 1 }, rules: { "images/immutable": 1 } } });
    expect(out.findings).toEqual([
      {
        rule: "images/immutable",
        file: "services/canary/service.ts",
        path: "version",
        message: expect.stringContaining("image registry.common.acme.dev/qa/canary:1.0.0-rc.1 is not immutable"),
        fix: expect.any(String),
        environment: "prod",
        service: "canary",
        generated: { file: "prod/prod/canary/rollout.yaml", path: "spec.template.spec.containers[0].image" },
      },
    ]);
    const text = await gitops("check");
    expect(text.code).toBe(EXIT.policy);
    expect(text.stdout).toMatch(/^prod \(account prod, tier prod\): 1 finding\n {2}services\/canary\/service\.ts: version: images\/immutable: /m);
  });

  it("exits 0 with a waiver in typed config, and lists it", async () => {
    writeCanary(`\n  waivers: [{ rule: "images/immutable", reason: "QA soaks the release candidate in prod for one week", expires: "2999-01-01", environments: ["prod"] }],`);
    // Waivers are listed in generated/README.md, so the tree is regenerated first.
    expect((await gitops("generate")).code).toBe(EXIT.ok);
    const r = await gitops("check", "--json");
    expect(r.code, r.stdout).toBe(EXIT.ok);
    expect(r.json()).toMatchObject({ ok: true, findings: [], waived: [{ rule: "images/immutable", service: "canary" }], waivers: [{ service: "canary", rule: "images/immutable", status: "active", waived: 1, path: "waivers[0]" }] });
  });

  it("exits 4, not 3, when generated/ is stale and a rule fails too", async () => {
    writeCanary();
    expect((await gitops("generate")).code).toBe(EXIT.ok);
    writeFileSync(join(root, "generated/prod/prod/canary/configmap.yaml"), "# edited by hand\n");
    const r = await gitops("check", "--json");
    expect(r.code).toBe(EXIT.policy);
    expect(r.json().stale).toEqual({ added: [], changed: ["prod/prod/canary/configmap.yaml"], removed: [] });
  });

  it("exits 2 on invalid input, with the problems", async () => {
    writeFileSync(join(root, "services/canary/service.ts"), canary().replace("health:", "helth:"));
    const r = await gitops("check", "--json");
    expect(r.code).toBe(EXIT.invalid);
    expect(r.json()).toMatchObject({ ok: false, exitCode: EXIT.invalid, problems: [{ file: "services/canary/service.ts", path: "helth", message: "is not a known field" }] });
  });
});
