/**
 * generated/runbooks/<service>.md: one per service, pinned as a file snapshot for the minimal fixture's `api`, read
 * from the generated objects (not the config), with secret names and store keys but never values, present after
 * `generate` and pruned when the service goes, exact through the incremental generate, linked from
 * generated/README.md, and never an ArgoCD Application.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkArgo } from "../packages/argocd/src/checking.ts";
import { build, generate, OUTPUT_DIR, readTree, type Build } from "../packages/generator/src/index.ts";
import { runbookFiles } from "../packages/generator/src/runbooks.ts";
import { estate } from "./support/estate.ts";

function ok(result: Awaited<ReturnType<typeof build>>): Build {
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join("\n"));
  return result.build;
}

let minimal: Build;
let repo: Build;
beforeAll(async () => {
  [minimal, repo] = await Promise.all([build(estate("minimal")).then(ok), build(estate("repo")).then(ok)]);
});

const runbook = (b: Build, service: string) => {
  const text = b.files.get(`runbooks/${service}.md`);
  if (text === undefined) throw new Error(`no runbook for ${service}`);
  return text;
};
const objectsIn = (b: Build, folder: string) => b.objects.filter((o) => o.file.startsWith(`${folder}/`));
type Json = Record<string, any>;

describe("runbooks", () => {
  it("renders the minimal fixture's api runbook exactly (file snapshot)", async () => {
    await expect(runbook(minimal, "api")).toMatchFileSnapshot("__snapshots__/runbooks/api.md");
  });

  it("writes one runbook per service and nothing else under runbooks/, deterministically", async () => {
    for (const b of [minimal, repo]) {
      const paths = [...b.files.keys()].filter((p) => p.startsWith("runbooks/"));
      expect(paths.sort()).toEqual(b.estate.services.map((s) => `runbooks/${s.name}.md`).sort());
    }
    const again = ok(await build(estate("repo")));
    for (const s of repo.estate.services) expect(runbook(again, s.name)).toBe(runbook(repo, s.name));
  });

  it("says where the service runs in every environment, from the generated objects and the expanded ApplicationSet", () => {
    for (const d of repo.estate.deployments) {
      const text = runbook(repo, d.service);
      const row = text.split("\n").find((l) => l.startsWith(`| ${d.environment} (wave `));
      expect(row, `${d.service} ${d.environment}`).toBeDefined();
      expect(row).toContain(`\`${d.namespace}\``);
      expect(row).toContain(`| ${d.version} |`);
      const account = repo.estate.accounts.find((a) => a.name === d.account)!;
      expect(row).toContain(`${account.cluster.name} (\`${account.cluster.server}\`)`);
      // The app name as the ApplicationSet names it, not as the runbook would guess it.
      expect(row).toContain(`\`${d.environment}-${d.service}\` (project ${d.account})`);
      const hpa = objectsIn(repo, `${d.account}/${d.environment}/${d.service}`).find((o) => o.object.kind === "HorizontalPodAutoscaler")?.object as Json | undefined;
      if (hpa) expect(row).toContain(`${hpa.spec.minReplicas}–${hpa.spec.maxReplicas} (HPA`);
      for (const ingress of objectsIn(repo, `${d.account}/${d.environment}/${d.service}`).filter((o) => o.object.kind === "Ingress"))
        for (const rule of (ingress.object as Json).spec.rules) expect(row).toContain(`https://${rule.host}`);
    }
  });

  it("lists every alert of the service's PrometheusRule with its severity and expression, and where people reach the hub's tools", () => {
    const text = runbook(repo, "payments");
    const rule = repo.objects.find((o) => o.file === "prod/prod/payments/prometheusrule.yaml")!.object as Json;
    const alerts = rule.spec.groups.flatMap((g: Json) => g.rules);
    expect(alerts.length).toBeGreaterThan(0);
    const prod = text.slice(text.indexOf("### prod"), text.indexOf("## Roll back"));
    for (const a of alerts) expect(prod).toContain(`| ${a.alert} | ${a.labels.severity} | ${a.for} |`);
    expect(prod).toContain(alerts[0].expr.replaceAll("|", "\\|"));
    // In the hub's cluster (its public hosts serve the accounts' shippers and analyses, not people): each tool's
    // Service in its release's namespace.
    const hub = repo.estate.accounts.find((a) => a.name === repo.estate.platform.hub)!;
    const ns = (component: string) => repo.estate.platform.releases.find((r) => r.account === hub.name && r.component === component)!.namespace;
    for (const [component, service] of [["kube-prometheus-stack", "kube-prometheus-stack-prometheus"], ["kube-prometheus-stack", "kube-prometheus-stack-alertmanager"], ["kube-prometheus-stack", "kube-prometheus-stack-grafana"], ["loki", "loki-gateway"]] as const)
      expect(text).toContain(`kubectl --context ${hub.cluster.name} -n ${ns(component)} port-forward svc/${service} `);
    for (const host of [...Object.values(repo.estate.platform.endpoints), ...Object.values(repo.estate.platform.queryEndpoints)]) expect(text).not.toContain(`https://${host}`);
    expect(text).toContain("[accounts](accounts.md)");
    expect(text).toContain("[public-api](public-api.md)");
  });

  it("is read from the objects: without the PrometheusRule it says nothing alerts", () => {
    const without = repo.objects.filter((o) => o.file !== "prod/prod/payments/prometheusrule.yaml");
    const text = runbookFiles(repo.estate, without).get("runbooks/payments.md")!;
    expect(text).toContain("**No alert rules** are generated for payments in prod");
    expect(runbook(repo, "payments")).not.toContain("**No alert rules**");
  });

  it("rolls back, scales and restores as the objects say: canary abort, HPA bounds, Velero schedules", () => {
    for (const d of repo.estate.deployments) {
      const text = runbook(repo, d.service);
      const folder = `${d.account}/${d.environment}/${d.service}`;
      const line = (section: string) => text.slice(text.indexOf(section)).split("\n").find((l) => l.startsWith(`- **${d.environment}**`))!;
      const rollout = objectsIn(repo, folder).find((o) => o.object.kind === "Rollout")?.object as Json | undefined;
      if (rollout?.spec.strategy.canary) expect(line("## Roll back")).toContain(`kubectl argo rollouts abort ${d.service} -n ${d.namespace}`);
      else expect(line("## Roll back")).not.toContain("kubectl argo rollouts");
      if (d.autoscaling) expect(line("## Scale")).toContain(`environments.${d.environment}.autoscaling.maxReplicas`);
      if (d.kind !== "job") expect(line("## Scale")).toContain("Never `kubectl scale`");
      const schedule = repo.objects.find((o) => o.object.kind === "Schedule" && (o.object as Json).spec.template.includedNamespaces.includes(d.namespace));
      if (schedule) expect(line("## Backups")).toContain(`Velero Schedule \`${(schedule.object as Json).metadata.name}\``);
    }
    expect(runbook(repo, "payments")).toContain("Stateless: no volume and no backup schedule");
  });

  it("follows the workload the objects hold: a blue-green Rollout, or a plain Deployment, in prod", () => {
    const prod = "prod/prod/payments/";
    const blueGreen = {
      file: `${prod}rollout.yaml`,
      sources: [],
      object: {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: { name: "payments", namespace: "prod-payments" },
        spec: { strategy: { blueGreen: { activeService: "payments", previewService: "payments-preview", prePromotionAnalysis: { templates: [{ templateName: "payments" }] } } }, template: { spec: { containers: [{ name: "payments", image: "x/payments:9" }] } } },
      },
    };
    const others = repo.objects.filter((o) => !(o.file.startsWith(prod) && (o.object.kind === "Rollout" || o.object.kind === "Deployment")));
    const text = runbookFiles(repo.estate, [...others, blueGreen]).get("runbooks/payments.md")!;
    expect(text).toContain("| prod | Rollout | Argo Rollouts blue-green, active Service `payments`, preview Service `payments-preview`; analysis: payments |");
    expect(text).toContain("- **prod**: blue-green: `kubectl argo rollouts abort payments -n prod-payments` keeps traffic on the active version");
    const deployment = { ...blueGreen, file: `${prod}deployment.yaml`, object: { ...blueGreen.object, apiVersion: "apps/v1", kind: "Deployment", spec: { replicas: 3, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } }, template: blueGreen.object.spec.template } } };
    const plain = runbookFiles(repo.estate, [...others, deployment]).get("runbooks/payments.md")!;
    expect(plain).toContain("| prod | Deployment | Deployment, rolling update (surge 25%, unavailable 0)");
    expect(plain.slice(plain.indexOf("## Roll back"))).not.toContain("kubectl argo rollouts");
  });

  it("names secrets and their store keys, never a value, even when a Secret object carries one", () => {
    const text = runbook(repo, "payments");
    expect(text).toContain("`PROCESSOR_API_KEY` ← `payments/processor-live#api-key`");
    expect(text).toContain("from ClusterSecretStore/prod-vault");
    const leak = "s3cr3t-Value-that-must-never-print";
    const secret = {
      file: "prod/prod/payments/secret-leak.yaml",
      sources: [],
      object: { apiVersion: "v1", kind: "Secret", metadata: { name: "leak", namespace: "prod-payments" }, stringData: { TOKEN: leak }, data: { TOKEN: Buffer.from(leak).toString("base64") } },
    };
    const leaked = runbookFiles(repo.estate, [...repo.objects, secret]).get("runbooks/payments.md")!;
    expect(leaked).toContain("**Secret objects in git**: leak");
    expect(leaked).not.toContain(leak);
    expect(leaked).not.toContain(Buffer.from(leak).toString("base64"));
  });

  it("is linked from generated/README.md's services table", () => {
    const readme = repo.files.get("README.md")!;
    for (const s of repo.estate.services) expect(readme).toMatch(new RegExp(`^\\| ${s.name} \\| ${s.kind} \\| ${s.team} \\| \\[runbook\\]\\(runbooks/${s.name}\\.md\\) \\|`, "m"));
  });

  it("never becomes an ArgoCD Application and adds no finding to `gitops apps`", () => {
    const input = (files: ReadonlyMap<string, string>) => ({
      objects: repo.objects,
      files,
      clusters: repo.estate.accounts.map((a) => ({ ...a.cluster, account: a.name })),
      argocdNamespace: repo.estate.argocdNamespace,
      root: OUTPUT_DIR,
    });
    const withRunbooks = checkArgo(input(repo.files));
    const withoutRunbooks = checkArgo(input(new Map([...repo.files].filter(([p]) => !p.startsWith("runbooks/")))));
    expect(withRunbooks.apps.map((a) => a.source.path).filter((p) => p.includes("runbooks"))).toEqual([]);
    expect(withRunbooks.findings.filter((f) => f.subject.includes("runbooks"))).toEqual([]);
    expect(withRunbooks.findings).toEqual(withoutRunbooks.findings);
    expect(withRunbooks.apps.map((a) => a.name)).toEqual(withoutRunbooks.apps.map((a) => a.name));
  });
});

describe("runbooks on disk", () => {
  const run = async (root: string) => {
    const result = await generate(root);
    if (result.kind !== "ok") throw new Error(`generate: ${result.kind}`);
  };
  /** The tree exactly as a full build writes it (the incremental generate must agree). */
  const expectExact = async (root: string) => {
    const b = ok(await build(root));
    const onDisk = readTree(join(root, "generated"));
    expect([...onDisk.keys()].sort()).toEqual([...b.files.keys()].sort());
    for (const [path, content] of b.files) if (path.startsWith("runbooks/") || path === "README.md") expect(onDisk.get(path), path).toBe(content);
  };

  it("are written by generate, follow a changed dependency, and are pruned with their service", async () => {
    const root = estate("minimal");
    await run(root);
    for (const s of ["api", "worker", "job"]) expect(existsSync(join(root, "generated/runbooks", `${s}.md`)), s).toBe(true);
    await expectExact(root);

    // The worker stops calling api: api's runbook (its dependents) changes though api's own objects do not.
    const file = join(root, "services/worker/service.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace('dependsOn: ["api"],', ""));
    await run(root);
    await expectExact(root);
    expect(readFileSync(join(root, "generated/runbooks/api.md"), "utf8")).not.toContain("[worker](worker.md)");
    expect(readFileSync(join(root, "generated/runbooks/api.md"), "utf8")).toContain("[job](job.md)");

    rmSync(join(root, "services/worker"), { recursive: true });
    await run(root);
    await expectExact(root);
    expect(existsSync(join(root, "generated/runbooks/worker.md"))).toBe(false);
    expect(existsSync(join(root, "generated/runbooks/api.md"))).toBe(true);
    expect(readFileSync(join(root, "generated/README.md"), "utf8")).not.toContain("runbooks/worker.md");
    expect((await generate(root, { check: true })).kind).toBe("ok");
  });
});
