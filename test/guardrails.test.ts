/**
 * Namespace guard rails and backups (issue #9), on the bytes that would be written, read back as YAML 1.1: every
 * service namespace has a ResourceQuota and a LimitRange sized from its tier and its own figures and enforces the
 * tier's Pod Security level; services that declare state get a volume that pruning never deletes and, where the tier
 * keeps backups, a Velero Schedule in their own account; the restore drill restores the latest of those backups.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { build, type Build } from "../packages/generator/src/index.ts";
import { formatProblem, tiers, type ResolvedDeployment } from "../packages/model/src/index.ts";
import { restoreObject } from "../packages/platform/src/index.ts";
import { validateLocal, veleroSchema } from "../packages/policy/src/index.ts";
import { estate, gitops } from "./support/estate.ts";

type K8s = Record<string, any>;
const folderOf = (d: ResolvedDeployment) => `${d.account}/${d.environment}/${d.service}`;
const millicores = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
const mebibytes = (q: string) => Number(q.slice(0, -2)) * ({ Mi: 1, Gi: 1024 }[q.slice(-2)] ?? NaN);

let repo: Build;
beforeAll(async () => {
  const r = await build(estate("repo"));
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join("\n"));
  repo = r.build;
});
const object = (path: string): K8s | undefined => {
  const text = repo.files.get(path);
  return text === undefined ? undefined : (parse(text, { version: "1.1" }) as K8s);
};
const tierOf = (d: ResolvedDeployment) => tiers[repo.estate.environments.find((e) => e.name === d.environment)!.tierName];
const podSpecs = (folder: string): K8s[] =>
  [...repo.files.keys()]
    .filter((p) => p.startsWith(`${folder}/`))
    .map((p) => object(p)!)
    .flatMap((o) => (o.kind === "CronJob" ? [o.spec.jobTemplate.spec.template.spec] : o.spec?.template?.spec ? [o.spec.template.spec] : []));

describe("namespace guard rails", () => {
  it("gives every service namespace a quota of its largest size plus the tier's headroom, at its own per-pod figures", () => {
    expect(repo.estate.deployments.length).toBeGreaterThan(10);
    for (const d of repo.estate.deployments) {
      const folder = folderOf(d);
      const quota = object(`${folder}/resourcequota.yaml`);
      expect(quota, folder).toBeDefined();
      const largest = d.kind === "job" ? 1 : (d.autoscaling?.maxReplicas ?? d.replicas);
      const pods = Math.ceil(largest * (1 + tierOf(d).quota.headroomPercent / 100));
      const hard = quota!.spec.hard;
      expect(Number(hard.pods), folder).toBe(pods);
      expect(millicores(hard["requests.cpu"]), folder).toBe(pods * millicores(d.resources.requests.cpu));
      expect(mebibytes(hard["limits.memory"]), folder).toBe(pods * mebibytes(d.resources.limits.memory));
      expect(hard.persistentvolumeclaims, folder).toBe(d.state ? "1" : "0");
      // Everything the namespace runs at full size, rollout included, fits: the largest size at least twice over
      // where the tier allows a full-size second copy (blue-green).
      expect(Number(hard.pods)).toBeGreaterThanOrEqual(largest);
    }
  });

  it("gives every namespace a LimitRange at the workload's figures, which no container exceeds", () => {
    for (const d of repo.estate.deployments) {
      const folder = folderOf(d);
      const [limits] = object(`${folder}/limitrange.yaml`)!.spec.limits;
      expect(limits).toEqual({ type: "Container", default: d.resources.limits, defaultRequest: d.resources.requests, max: d.resources.limits });
      for (const spec of podSpecs(folder))
        for (const c of spec.containers) {
          expect(millicores(c.resources.limits.cpu), `${folder}: ${c.name}`).toBeLessThanOrEqual(millicores(limits.max.cpu));
          expect(mebibytes(c.resources.limits.memory), `${folder}: ${c.name}`).toBeLessThanOrEqual(mebibytes(limits.max.memory));
        }
    }
  });

  it("labels every namespace with the tier's Pod Security level: restricted in staging and prod", () => {
    for (const d of repo.estate.deployments) {
      const ns = object(`${folderOf(d)}/namespace.yaml`)!;
      expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"], d.namespace).toBe(tierOf(d).podSecurity);
      if (d.environment !== "dev") expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    }
  });
});

describe("state and backups", () => {
  const stateful = () => repo.estate.deployments.filter((d) => d.state);

  it("mounts the declared volume from a claim that pruning and app deletion never remove", () => {
    expect(stateful().length).toBeGreaterThan(0);
    for (const d of stateful()) {
      const folder = folderOf(d);
      const claim = object(`${folder}/persistentvolumeclaim-data.yaml`)!;
      expect(claim.spec).toMatchObject({ accessModes: [d.state!.accessMode], resources: { requests: { storage: d.state!.size } } });
      expect(claim.metadata.annotations["argocd.argoproj.io/sync-options"]).toBe("Prune=false,Delete=false");
      for (const spec of podSpecs(folder)) {
        expect(spec.volumes).toContainEqual({ name: "data", persistentVolumeClaim: { claimName: claim.metadata.name } });
        expect(spec.containers[0].volumeMounts).toContainEqual({ name: "data", mountPath: d.state!.mountPath });
      }
    }
    for (const d of repo.estate.deployments.filter((x) => !x.state)) expect(repo.files.has(`${folderOf(d)}/persistentvolumeclaim-data.yaml`)).toBe(false);
  });

  it("schedules a Velero backup of each stateful namespace on its tier's schedule, in the account that holds the data", () => {
    const schedules = [...repo.files.keys()].filter((p) => /\/platform\/velero\/schedule-/.test(p));
    const expected = stateful().filter((d) => tierOf(d).backup !== null);
    expect(schedules.sort()).toEqual(expected.map((d) => `${d.account}/platform/velero/schedule-${d.namespace}.yaml`).sort());
    for (const d of expected) {
      const s = object(`${d.account}/platform/velero/schedule-${d.namespace}.yaml`)!;
      expect(s.spec.schedule).toBe(tierOf(d).backup!.schedule);
      expect(s.spec.template).toMatchObject({ includedNamespaces: [d.namespace], ttl: tierOf(d).backup!.ttl, defaultVolumesToFsBackup: true });
      expect(s.metadata.labels).toMatchObject({ team: d.team, "cost-center": d.costCenter, environment: d.environment, account: d.account });
      expect(validateLocal(veleroSchema("velero.io/v1", "Schedule")!, s)).toEqual({ errors: [], unknown: [] });
    }
    // Prod daily for 30 days, as the seeds ask; dev's state is disposable.
    expect(tiers.prod.backup).toEqual({ schedule: "0 2 * * *", ttl: "720h" });
    expect(tiers.dev.backup).toBeNull();
    // Each account's Velero writes to its own bucket: prod's backups never leave prod.
    for (const account of ["nonprod", "prod"]) {
      const app = object(`common/shared/argocd/application-platform-${account}-velero.yaml`)!;
      expect(app.spec.sources[0].helm.valuesObject.configuration.backupStorageLocation[0].bucket).toBe(`${account}-backups`);
    }
  });

  it("rejects what Velero would reject in a Schedule: an unknown field, a bad duration, no cron", () => {
    const schedule = veleroSchema("velero.io/v1", "Schedule")!;
    const bad = { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "x" }, spec: { schedule: "daily", template: { ttl: "30d", includedNamespacez: ["x"] } } };
    const r = validateLocal(schedule, bad);
    expect(r.unknown).toEqual([["spec", "template", "includedNamespacez"]]);
    expect(r.errors.map((e) => e.path.join("."))).toEqual(["spec.schedule", "spec.template.ttl"]);
  });
});

describe("the restore drill", () => {
  it("restores the latest backup of the service's own schedule into a scratch namespace, as Velero accepts it", () => {
    const d = repo.estate.deployments.find((x) => x.state && x.backup && x.environment === "prod")!;
    const restore = restoreObject(d);
    expect(validateLocal(veleroSchema("velero.io/v1", "Restore")!, restore)).toEqual({ errors: [], unknown: [] });
    const schedule = object(`${d.account}/platform/velero/schedule-${d.namespace}.yaml`)!;
    expect((restore.spec as K8s).scheduleName).toBe(schedule.metadata.name);
    expect((restore.metadata as K8s).namespace).toBe(schedule.metadata.namespace);
    expect((restore.spec as K8s).namespaceMapping).toEqual({ [d.namespace]: `${d.namespace}-restore` });
    expect((restoreObject(d, d.namespace).spec as K8s).namespaceMapping).toBeUndefined();
    expect(() => restoreObject(repo.estate.deployments.find((x) => !x.state)!)).toThrow(/no backups/);
  });

  it("prints it with the steps, and refuses what has nothing to restore", async () => {
    const root = estate("repo");
    const ok = await gitops(root, ["restore", "nightly-reports", "--env", "prod"]);
    expect(ok.code, ok.stderr).toBe(0);
    const [doc] = parseAllDocuments(ok.stdout).map((x) => x.toJS() as K8s);
    expect(doc).toMatchObject({ kind: "Restore", spec: { scheduleName: "prod-nightly-reports", namespaceMapping: { "prod-nightly-reports": "prod-nightly-reports-restore" } } });
    expect(ok.stdout).toContain("kubectl --context prod create -f restore.yaml");
    const dev = await gitops(root, ["restore", "nightly-reports", "--env", "dev"]);
    expect([dev.code, dev.stderr.trim()]).toEqual([64, "nightly-reports keeps no backups in dev: its tier treats state there as disposable — recreate it, or restore from another environment's data by hand"]);
    const stateless = await gitops(root, ["restore", "payments", "--env", "prod"]);
    expect(stateless.code).toBe(64);
    expect(stateless.stderr).toContain("payments declares no state");
  });
});

describe("state in the model", () => {
  it("refuses a ReadWriteOnce volume where several pods would have to mount it", async () => {
    const root = estate("repo");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const file = join(root, "services/payments/service.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace('  port: 8080,', '  port: 8080,\n  state: { size: "1Gi", mountPath: "/var/lib/payments", accessMode: "ReadWriteOnce" },'));
    const r = await build(root);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems.map(formatProblem)).toEqual([
        "services/payments/service.ts: state.accessMode: is ReadWriteOnce, but prod runs up to 10 pods, which land on different nodes and cannot all mount it — use ReadWriteMany, or run one replica",
        "services/payments/service.ts: state.accessMode: is ReadWriteOnce, but staging runs up to 4 pods, which land on different nodes and cannot all mount it — use ReadWriteMany, or run one replica",
      ]);
  });
});
