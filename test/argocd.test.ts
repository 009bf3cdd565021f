/**
 * The reference's no-cluster checklist (shared/reference/argocd.md, last section), asserted on what the
 * generator builds for the repository's own config.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ENVIRONMENT_LABEL, directoriesOf, expandApplicationSet, isDestinationMatched, type ExpandedApp } from "@gitops/argocd";
import { build, type Build } from "@gitops/generator";

const ROOT = resolve(import.meta.dirname, "..");
const ARGO = "common/shared/argocd";
/** Sync options and the level they may appear at (argocd.md §5). */
const APP_LEVEL_OPTIONS = new Set(["CreateNamespace=true", "ApplyOutOfSyncOnly=true", "RespectIgnoreDifferences=true", "PrunePropagationPolicy=foreground", "PrunePropagationPolicy=background", "PrunePropagationPolicy=orphan", "FailOnSharedResource=true", "ClientSideApplyMigration=false", "PruneLast=true", "ServerSideApply=true", "Validate=false", "Replace=true", "SkipDryRunOnMissingResource=true"]);

let b: Build;
let apps: ExpandedApp[];
type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; finalizers?: string[] }; spec: Record<string, any> };
const argo = (kind: string) => b.objects.filter((o) => o.object.kind === kind && o.file.startsWith(`${ARGO}/`)).map((o) => o.object as unknown as Obj);

beforeAll(async () => {
  const r = await build(ROOT);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  b = r.build;
  const dirs = directoriesOf([...b.files.keys()].map((f) => `generated/${f}`));
  apps = argo("ApplicationSet").flatMap((s) => expandApplicationSet(s as never, dirs));
});

describe("ArgoCD objects", () => {
  it("are argoproj.io/v1alpha1 in the ArgoCD namespace, in the ArgoCD folder with a kustomization", () => {
    const objs = b.objects.filter((o) => String(o.object.apiVersion).startsWith("argoproj.io/"));
    expect(objs.map((o) => o.object.kind).sort()).toEqual(["AppProject", "AppProject", "AppProject", "Application", "ApplicationSet"]);
    for (const o of objs) {
      expect(o.object.apiVersion).toBe("argoproj.io/v1alpha1");
      expect((o.object as unknown as Obj).metadata.namespace).toBe("argocd");
      expect(o.file.startsWith(`${ARGO}/`)).toBe(true);
    }
    const k = parse(b.files.get(`${ARGO}/kustomization.yaml`)!) as { resources: string[] };
    expect(k.resources).toHaveLength(6);
  });

  it("enable progressive syncs, or the strategy would be silently ignored", () => {
    const cm = b.objects.find((o) => o.file === `${ARGO}/configmap-argocd-cmd-params-cm.yaml`)!.object as { data: Record<string, string> };
    expect(cm.data["applicationsetcontroller.enable.progressive.syncs"]).toBe("true");
    expect(argo("ApplicationSet")[0]!.spec.strategy.type).toBe("RollingSync");
  });

  it("template hygiene: goTemplate, missingkey=error, quoted templated strings only in string fields", () => {
    for (const set of argo("ApplicationSet")) {
      expect(set.spec.goTemplate).toBe(true);
      expect(set.spec.goTemplateOptions).toEqual(["missingkey=error"]);
      expect(JSON.stringify(set.spec.template)).not.toMatch(/\{\{\s*[a-z]/); // no fasttemplate tags
    }
    const text = b.files.get(`${ARGO}/applicationset-estate.yaml`)!;
    for (const line of text.split("\n").filter((l) => l.includes("{{") && !l.startsWith(" ".repeat(4) + "  "))) {
      if (/^\s+(allowEmpty|syncOptions):/.test(line) || /^\s*(spec|syncPolicy|automated):/.test(line)) continue; // inside the templatePatch block string
      expect(line, line).toMatch(/: "[^"]*\{\{[^"]*"$|path: generated\/\{\{/);
    }
  });
});

describe("expanded Applications", () => {
  const serviceFolders = () => [...new Set([...b.files.keys()].filter((f) => f.split("/").length === 4 && !f.startsWith(`${ARGO}/`) && f.endsWith("/kustomization.yaml")).map((f) => f.slice(0, f.lastIndexOf("/"))))].sort();

  it("each points at a generated folder, and each service folder gets exactly one app", () => {
    expect(apps.length).toBe(b.estate.deployments.length);
    expect(apps.map((a) => a.path.replace(/^generated\//, "")).sort()).toEqual(serviceFolders());
    for (const a of apps) expect(b.files.has(`${a.path.replace(/^generated\//, "")}/kustomization.yaml`)).toBe(true);
  });

  it("have unique RFC 1123 names of at most 63 characters, and no leftovers", () => {
    expect(new Set(apps.map((a) => a.name)).size).toBe(apps.length);
    for (const a of apps) {
      expect(a.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(a.name.length).toBeLessThanOrEqual(63);
      expect(JSON.stringify(a.application)).not.toMatch(/\{\{|<no value>/);
      expect([a.server, a.clusterName].filter(Boolean)).toHaveLength(1);
    }
  });

  it("land in their environment's project and namespace, which the project permits; nonprod never reaches prod", () => {
    const projects = new Map(argo("AppProject").map((p) => [p.metadata.name, p]));
    const clusters = new Map(b.estate.accounts.map((a) => [a.cluster.server, a.cluster.name]));
    for (const a of apps) {
      const d = b.estate.deployments.find((x) => `${x.environment}-${x.service}` === a.name)!;
      expect(a.project).toBe(d.account);
      expect(a.namespace).toBe(d.namespace);
      const project = projects.get(a.project)!;
      expect(project.spec.sourceRepos).toEqual([b.estate.repository.url]);
      expect(isDestinationMatched(project.spec.destinations, { server: a.server!, name: clusters.get(a.server!)!, namespace: a.namespace })).toBe(true);
    }
    const prod = b.estate.accounts.find((x) => x.name === "prod")!.cluster;
    const nonprod = projects.get("nonprod")!;
    for (const ns of ["prod-payments", "dev-payments", "kube-system", "argocd"])
      expect(isDestinationMatched(nonprod.spec.destinations, { server: prod.server, name: prod.name, namespace: ns })).toBe(false);
    for (const p of projects.values())
      for (const d of p.spec.destinations as { server?: string; name?: string }[]) {
        expect(`${d.server ?? ""}${d.name ?? ""}`).not.toMatch(/[*!]/);
      }
  });

  it("every kind an app renders is whitelisted by its project, and no whitelist is empty", () => {
    const projects = new Map(argo("AppProject").map((p) => [p.metadata.name, p]));
    for (const p of projects.values()) {
      expect(p.spec.namespaceResourceWhitelist.length).toBeGreaterThan(0);
      expect(p.spec.clusterResourceWhitelist.length).toBeGreaterThan(0);
    }
    for (const o of b.objects.filter((x) => !x.file.startsWith(`${ARGO}/`))) {
      const project = projects.get(o.file.split("/")[0]!)!;
      const api = String(o.object.apiVersion);
      const group = api.includes("/") ? api.slice(0, api.indexOf("/")) : "";
      const lists = [...project.spec.clusterResourceWhitelist, ...project.spec.namespaceResourceWhitelist] as { group: string; kind: string }[];
      expect(lists.some((l) => l.group === group && l.kind === o.object.kind), `${o.file}`).toBe(true);
    }
  });

  it("sync exactly as the seeds give it per tier, with app-level options from the allowed list", () => {
    for (const a of apps) {
      const policy = (a.application.spec as { syncPolicy: { automated: Record<string, boolean>; syncOptions: string[]; retry: { limit: number } } }).syncPolicy;
      expect(policy.automated).toMatchObject({ prune: true, selfHeal: true });
      expect(policy.retry.limit).toBeGreaterThan(0);
      for (const o of policy.syncOptions) expect(APP_LEVEL_OPTIONS.has(o), o).toBe(true);
      const env = a.labels[ENVIRONMENT_LABEL];
      if (env === "dev") {
        expect(policy.syncOptions).toEqual(["CreateNamespace=true", "ApplyOutOfSyncOnly=true"]);
        expect(policy.automated.allowEmpty).toBe(true);
      } else {
        expect(policy.syncOptions).toEqual(["CreateNamespace=true", "ApplyOutOfSyncOnly=true", "RespectIgnoreDifferences=true", "PruneLast=true"]);
        expect(policy.automated.allowEmpty).toBe(false);
      }
    }
  });

  it("RollingSync steps cover every app exactly once, in wave order; prod's step limits maxUpdate", () => {
    const set = argo("ApplicationSet")[0]!;
    const steps = set.spec.strategy.rollingSync.steps as { matchExpressions: { key: string; operator: string; values: string[] }[]; maxUpdate?: string }[];
    expect(steps.map((s) => s.matchExpressions[0]!.values[0])).toEqual(["shared", "dev", "staging", "prod"]);
    for (const s of steps) for (const m of s.matchExpressions) expect(["In", "NotIn"]).toContain(m.operator);
    for (const a of apps) expect(a.step, a.name).toBeDefined();
    const waves = apps.map((a) => Number(a.annotations["gitops.dev/wave"]));
    for (let i = 1; i < apps.length; i++) if (apps[i]!.step! > apps[i - 1]!.step!) expect(waves[i]).toBeGreaterThan(waves[i - 1]!);
    expect(steps[3]!.maxUpdate).toBe("25%");
  });
});

describe("deletion safety and waves", () => {
  it("the ApplicationSet preserves resources on deletion and its template lists no finalizer", () => {
    const set = argo("ApplicationSet")[0]!;
    expect(set.spec.syncPolicy.preserveResourcesOnDeletion).toBe(true);
    expect(set.spec.template.metadata.finalizers).toBeUndefined();
  });

  it("the root app carries no finalizer (deleting it must not cascade) and syncs the ArgoCD folder; projects guard deletion", () => {
    const root = argo("Application")[0]!;
    expect(root.metadata.finalizers).toBeUndefined();
    expect(root.spec.source.path).toBe(`generated/${ARGO}`);
    expect(root.spec.project).toBe("default");
    for (const p of argo("AppProject")) expect(p.metadata.finalizers).toEqual(["resources-finalizer.argocd.argoproj.io"]);
  });

  it("every sync-wave annotation in generated/ is a quoted integer", () => {
    for (const [file, text] of b.files) {
      if (!file.endsWith(".yaml")) continue;
      for (const m of text.matchAll(/argocd\.argoproj\.io\/sync-wave: (.*)/g)) expect(m[1], file).toMatch(/^"-?\d+"$/);
    }
  });

  it("the committed generated/ holds the same ArgoCD folder (the README's bootstrap applies it)", () => {
    expect(readFileSync(join(ROOT, "generated", ARGO, "applicationset-estate.yaml"), "utf8")).toBe(b.files.get(`${ARGO}/applicationset-estate.yaml`));
  });
});
