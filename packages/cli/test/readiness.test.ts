/**
 * `gitops readiness`: the seeds' checklist per service and environment, checked against the generated objects.
 * On the repository's estate through the real CLI (JSON shape, every item, exit code agreeing with what is missing
 * in prod), then on broken builds, each with one object taken away or changed, which must show exactly that item
 * `missing` with a reason, and exit 4 when the breakage is in prod (0 when it is only in dev).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, type Build } from "@gitops/generator";
import { CHECKLIST, printReadiness, readiness, type ReadinessReport } from "../src/commands/readiness.ts";
import { EXIT } from "../src/exit-codes.ts";
import { cli, tempEstate } from "./helpers.ts";

let root: string;
let cleanup: () => void;
let repo: Build;
beforeAll(async () => {
  ({ root, cleanup } = tempEstate());
  const result = await build(root);
  if (!result.ok) throw new Error(JSON.stringify(result.problems.slice(0, 3)));
  repo = result.build;
});
afterAll(() => cleanup());

type Json = Record<string, any>;
const IDS = Object.keys(CHECKLIST);
const item = (r: ReadinessReport, service: string, env: string, id: string) => {
  const e = r.services.find((s) => s.service === service)?.environments.find((x) => x.environment === env);
  const found = e?.items.find((i) => i.id === id);
  if (!found) throw new Error(`no ${id} for ${service} in ${env}`);
  return found;
};
/** The repository's build with the objects `drop` selects removed and `change` applied to the rest (copies). */
const broken = (drop: (o: { file: string; object: Json }) => boolean, change?: (o: { file: string; object: Json }) => void) => ({
  estate: repo.estate,
  files: repo.files,
  objects: repo.objects
    .filter((o) => !drop(o as never))
    .map((o) => {
      const copy = { ...o, object: structuredClone(o.object) as Json };
      change?.(copy);
      return copy;
    }),
});
const print = (report: ReadinessReport, json = false) => {
  const lines: string[] = [];
  const code = printReadiness(report, { json, stale: false }, (l) => lines.push(l));
  return { code, text: lines.join("\n") };
};

describe("gitops readiness on the repository's estate", () => {
  it("prints every checklist item for every service and environment, as JSON with a stable shape", async () => {
    const r = await cli(root, "readiness", "--json");
    const report = JSON.parse(r.stdout) as Json;
    expect(Object.keys(report)).toEqual(["ok", "exitCode", "stale", "counts", "blocking", "notChecked", "services"]);
    expect(report.services.map((s: Json) => s.service)).toEqual(repo.estate.services.map((s) => s.name));
    let items = 0;
    for (const s of report.services) {
      expect(Object.keys(s)).toEqual(["service", "team", "environments"]);
      const deployed = repo.estate.deployments.filter((d) => d.service === s.service);
      expect(s.environments.map((e: Json) => e.environment)).toEqual(deployed.map((d) => d.environment));
      for (const e of s.environments) {
        expect(Object.keys(e)).toEqual(["environment", "account", "namespace", "folder", "production", "items"]);
        expect(e.production).toBe(repo.estate.environments.find((x) => x.name === e.environment)!.tier.pager);
        expect(e.items.map((i: Json) => i.id)).toEqual(IDS);
        for (const i of e.items) {
          expect(Object.keys(i)).toEqual(["id", "item", "status", "reason"]);
          expect(["ok", "missing", "n/a"]).toContain(i.status);
          expect(i.item).toBe(CHECKLIST[i.id as keyof typeof CHECKLIST]);
          expect(i.reason.length, `${s.service}/${e.environment}/${i.id}`).toBeGreaterThan(10);
          expect(i.reason).not.toContain("\n");
          items++;
        }
      }
    }
    expect(report.counts.ok + report.counts.missing + report.counts["n/a"]).toBe(items);
    const prodMissing = report.services.flatMap((s: Json) =>
      s.environments.filter((e: Json) => e.production).flatMap((e: Json) => e.items.filter((i: Json) => i.status === "missing").map((i: Json) => `${s.service}/${e.environment}/${i.id}`)),
    );
    expect(report.blocking).toEqual(prodMissing);
    expect(r.code).toBe(prodMissing.length > 0 ? EXIT.policy : EXIT.ok);
    expect(report.exitCode).toBe(r.code);
    expect(report.notChecked).toEqual(["Security review completed (network, access, encryption)", "Team trained on deployment and incident response"]);
  });

  it("answers each item from the generated objects", () => {
    const r = readiness(repo);
    // Every deployment's own facts, read back from its objects.
    for (const d of repo.estate.deployments) {
      const folder = `${d.account}/${d.environment}/${d.service}`;
      const kinds = new Set(repo.objects.filter((o) => o.file.startsWith(`${folder}/`)).map((o) => String(o.object.kind)));
      const tier = repo.estate.environments.find((e) => e.name === d.environment)!.tier;
      const at = (id: string) => item(r, d.service, d.environment, id);
      expect(at("runbook").status).toBe("ok");
      expect(at("runbook").reason).toContain(`generated/runbooks/${d.service}.md`);
      expect(at("iac").reason).toContain(`applied by ArgoCD app ${d.environment}-${d.service}`);
      if (d.kind === "job") {
        for (const id of ["health-checks", "deployment-strategy", "rollback", "autoscaling"]) expect(at(id).status, `${folder} ${id}`).toBe("n/a");
      } else {
        expect(at("health-checks").status).toBe("ok");
        expect(at("autoscaling").status).toBe(tier.autoscaling ? (kinds.has("HorizontalPodAutoscaler") ? "ok" : "missing") : "n/a");
      }
      expect(at("monitoring").status).toBe(kinds.has("PrometheusRule") ? "ok" : "missing");
      expect(at("resource-limits").status).toBe(kinds.has("ResourceQuota") && kinds.has("LimitRange") ? "ok" : "missing");
      if (d.state === undefined && !kinds.has("PersistentVolumeClaim")) expect(at("backups")).toMatchObject({ status: "n/a", reason: "declares no state and generates no volume" });
      expect(at("secrets").status).toBe(kinds.has("Secret") ? "missing" : "ok");
      expect(at("logs").reason).toContain(`platform-${d.account}-fluent-bit`);
    }
    // search-experiment runs in dev only: no prod row, so it cannot block.
    expect(r.services.find((s) => s.service === "search-experiment")!.environments.map((e) => e.environment)).toEqual(["dev"]);
  });

  it("limits the report to one service, and refuses an unknown one or a second argument", async () => {
    const one = JSON.parse((await cli(root, "readiness", "payments", "--json")).stdout) as Json;
    expect(one.services.map((s: Json) => s.service)).toEqual(["payments"]);
    expect(await cli(root, "readiness", "nope")).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('No service "nope"') });
    expect(await cli(root, "readiness", "payments", "accounts")).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining("at most one SERVICE") });
  });

  it("prints a table for people: each item with its status and reason, and a summary line", async () => {
    const r = await cli(root, "readiness", "payments");
    expect(r.stdout).toMatch(/^payments · team payments · generated\/runbooks\/payments\.md$/m);
    expect(r.stdout).toMatch(/^ {2}prod \[prod\] · account prod · namespace prod-payments · /m);
    expect(r.stdout).toMatch(/^ {4}ok {7}Health check endpoints implemented +readiness \/ready and liveness \/healthz/m);
    expect(r.stdout).toMatch(/^ {4}n\/a {6}Auto-scaling configured \(if needed\) +the dev tier runs a fixed count \(1\)$/m);
    expect(r.stdout).toMatch(/^readiness: \d+ ok, \d+ missing, \d+ n\/a; /m);
    expect(r.stdout).toContain("Not checked (people's work, not in the generated output): Security review completed");
  });
});

describe("gitops readiness on broken builds", () => {
  it("a prod PrometheusRule removed: monitoring is missing in prod only, and the report exits 4", () => {
    const r = readiness(broken((o) => o.file === "prod/prod/payments/prometheusrule.yaml"));
    expect(item(r, "payments", "prod", "monitoring")).toMatchObject({ status: "missing", reason: expect.stringContaining("no PrometheusRule with alerts in prod-payments") });
    expect(item(r, "payments", "staging", "monitoring").status).toBe("ok");
    expect(r.blocking).toContain("payments/prod/monitoring");
    const text = print(r);
    expect(text.code).toBe(EXIT.policy);
    expect(text.text).toMatch(/^ {4}missing {2}Monitoring and alerting set up +no PrometheusRule with alerts in prod-payments/m);
    expect(text.text).toMatch(/missing in prod \(.*payments\/prod\/monitoring.*\): exit 4$/m);
    const json = print(r, true);
    expect(json.code).toBe(EXIT.policy);
    expect(JSON.parse(json.text)).toMatchObject({ ok: false, exitCode: EXIT.policy, blocking: expect.arrayContaining(["payments/prod/monitoring"]) });
  });

  it("the same breakage in dev alone is reported but does not block", () => {
    const r = readiness(broken((o) => o.file === "nonprod/dev/payments/prometheusrule.yaml"));
    expect(item(r, "payments", "dev", "monitoring").status).toBe("missing");
    expect(r.blocking.filter((b) => b.startsWith("payments/"))).toEqual([]);
    expect(print(r).code).toBe(readiness(repo).blocking.length > 0 ? EXIT.policy : EXIT.ok);
  });

  it("each item turns missing when the object it reads is gone or wrong", () => {
    const prod = "prod/prod/payments/";
    const workload = (o: { file: string; object: Json }) => o.file.startsWith(prod) && (o.object.kind === "Deployment" || o.object.kind === "Rollout");
    const cases: [string, ReturnType<typeof broken>, string][] = [
      ["autoscaling", broken((o) => o.file.startsWith(prod) && o.object.kind === "HorizontalPodAutoscaler"), "no HorizontalPodAutoscaler targets"],
      ["resource-limits", broken((o) => o.file.startsWith(prod) && o.object.kind === "ResourceQuota"), "no ResourceQuota in prod-payments"],
      ["health-checks", broken(() => false, (o) => workload(o) && delete o.object.spec.template.spec.containers[0].readinessProbe), "has no readinessProbe"],
      ["resource-limits", broken(() => false, (o) => workload(o) && delete o.object.spec.template.spec.containers[0].resources.limits), "sets no limits.cpu, limits.memory"],
      ["cost-tracking", broken(() => false, (o) => o.file === `${prod}configmap.yaml` && delete o.object.metadata.labels["cost-center"]), "ConfigMap/payments has no cost-center"],
      ["logs", broken((o) => o.object.kind === "Application" && o.object.metadata.name === "platform-prod-fluent-bit"), "account prod runs no fluent-bit release"],
      [
        "logs",
        broken(() => false, (o) => {
          if (o.object.kind === "Application" && o.object.metadata.name === "platform-prod-fluent-bit")
            o.object.spec.sources[0].helm.valuesObject.config.inputs = "[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    Exclude_Path /var/log/containers/*_prod-payments_*.log\n";
        }),
        "excludes prod-payments: Exclude_Path /var/log/containers/*_prod-payments_*.log",
      ],
      ["iac", broken((o) => o.object.kind === "ApplicationSet"), "no ArgoCD Application syncs generated/prod/prod/payments/"],
    ];
    for (const [id, input, reason] of cases) {
      const r = readiness(input);
      expect(item(r, "payments", "prod", id), `${id}: ${reason}`).toMatchObject({ status: "missing", reason: expect.stringContaining(reason) });
      expect(r.blocking).toContain(`payments/prod/${id}`);
      expect(print(r).code).toBe(EXIT.policy);
    }
  });

  it("secrets: a Secret object in git, or an ExternalSecret reading another account's store", () => {
    const withSecret = { ...repo, objects: [...repo.objects, { file: "prod/prod/payments/secret-token.yaml", sources: [], object: { apiVersion: "v1", kind: "Secret", metadata: { name: "token", namespace: "prod-payments", labels: {} }, stringData: { TOKEN: "x" } } }] };
    expect(item(readiness(withSecret), "payments", "prod", "secrets")).toMatchObject({ status: "missing", reason: expect.stringContaining("Secret object in git: token") });
    const foreign = broken(() => false, (o) => {
      if (o.file === "prod/prod/payments/externalsecret.yaml") o.object.spec.secretStoreRef.name = "nonprod-vault";
    });
    expect(item(readiness(foreign), "payments", "prod", "secrets")).toMatchObject({ status: "missing", reason: expect.stringContaining("another store than the account's ClusterSecretStore/prod-vault") });
  });

  it("rollout: a zero-unavailable tier with a rollout that may take pods out, and a Rollout without its AnalysisTemplate", () => {
    const prod = "prod/prod/payments/";
    const r = readiness(
      broken(
        (o) => o.file.startsWith(prod) && o.object.kind === "AnalysisTemplate",
        (o) => {
          if (!o.file.startsWith(prod)) return;
          if (o.object.kind === "Deployment") o.object.spec.strategy.rollingUpdate.maxUnavailable = 1;
          if (o.object.kind === "Rollout") o.object.spec.strategy.canary.maxUnavailable = 1;
        },
      ),
    );
    expect(item(r, "payments", "prod", "deployment-strategy")).toMatchObject({ status: "missing", reason: expect.stringContaining("the prod tier says 0") });
    const kind = repo.objects.some((o) => o.file.startsWith(prod) && o.object.kind === "Rollout") ? "Rollout" : "Deployment";
    if (kind === "Rollout") expect(item(r, "payments", "prod", "rollback")).toMatchObject({ status: "missing", reason: expect.stringContaining("which is not generated in prod-payments") });
    const noHistory = readiness(broken(() => false, (o) => {
      if (o.file === "nonprod/staging/payments/deployment.yaml") o.object.spec.revisionHistoryLimit = 0;
    }));
    expect(item(noHistory, "payments", "staging", "rollback")).toMatchObject({ status: "missing", reason: expect.stringContaining("revisionHistoryLimit 0") });
  });

  it("backups and the runbook: a declared state without its Velero Schedule, and no runbook", () => {
    const stateful = repo.estate.deployments.find((d) => d.backup !== undefined && repo.estate.environments.find((e) => e.name === d.environment)!.tier.pager);
    if (stateful) {
      const r = readiness(broken((o) => o.object.kind === "Schedule"));
      expect(item(r, stateful.service, stateful.environment, "backups")).toMatchObject({ status: "missing", reason: expect.stringContaining("no Velero Schedule names") });
      expect(item(readiness(repo), stateful.service, stateful.environment, "backups").status).toBe("ok");
    }
    const files = new Map(repo.files);
    files.delete("runbooks/payments.md");
    const r = readiness({ ...repo, files });
    expect(item(r, "payments", "prod", "runbook")).toMatchObject({ status: "missing", reason: "generated/runbooks/payments.md is not generated" });
    expect(item(r, "payments", "prod", "env-vars")).toMatchObject({ status: "missing", reason: expect.stringContaining("no runbook lists them") });
  });
});

describe("gitops readiness in the CLI's help", () => {
  it("is listed in --help and has its own usage", async () => {
    const help = await cli(root, "--help");
    expect(help.stdout).toMatch(/^ {2}readiness {4}The seeds' infrastructure-readiness checklist/m);
    const usage = await cli(root, "readiness", "--help");
    expect(usage.code).toBe(EXIT.ok);
    expect(usage.stdout).toContain("Usage: gitops readiness [SERVICE] [--json]");
    expect(usage.stdout).toContain("4 when one is; n/a items never fail");
    expect((await cli(root, "readiness", "--bogus")).code).toBe(EXIT.usage);
  });
});
