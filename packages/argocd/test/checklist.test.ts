/**
 * The reference's no-cluster checklist (shared/reference/argocd.md, last section), asserted on what the generator
 * builds in memory for three estates: the repository's own config, test/fixtures/minimal (no common account, so
 * ArgoCD runs in nonprod's dev folder) and minimal plus a common account with a shared service.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Build } from "@gitops/generator";
import {
  argocdFolder,
  ENVIRONMENT_LABEL,
  isClusterScoped,
  isDestinationMatched,
  isGroupKindPermitted,
  platformProjectName,
  PREVIEW_APPLICATIONSET_NAME,
  previewProjectName,
  rolloutEnvironments,
  ROOT_APP_NAME,
  WAVE_ANNOTATION,
  type ExpandedApp,
} from "../src/index.ts";
import { ALLOWED_SYNC_OPTIONS, validateArgoObject, type ArgoFinding, type StandaloneApp } from "../src/checking.ts";
import { buildEstate, check } from "./support.ts";

/** The seeds' sync figures per tier, written out here rather than read from tiers.ts, so a wrong edit there fails. */
const SEED_SYNC = {
  dev: { allowEmpty: true, syncOptions: ["CreateNamespace=true", "ApplyOutOfSyncOnly=true"], maxUpdate: undefined },
  staging: { allowEmpty: false, syncOptions: ["CreateNamespace=true", "ApplyOutOfSyncOnly=true", "RespectIgnoreDifferences=true", "PruneLast=true"], maxUpdate: undefined },
  prod: { allowEmpty: false, syncOptions: ["CreateNamespace=true", "ApplyOutOfSyncOnly=true", "RespectIgnoreDifferences=true", "PruneLast=true"], maxUpdate: "25%" },
} as const;

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string>; finalizers?: string[] }; spec: Record<string, any>; data?: Record<string, string> };

describe.each(["repo", "three-accounts", "minimal"] as const)("the %s estate", (name) => {
  let b: Build;
  let apps: ExpandedApp[];
  /** The preview set's Applications for the checks' sample pull request (test/preview.test.ts covers them). */
  let previews: ExpandedApp[];
  let standalone: StandaloneApp[];
  let findings: ArgoFinding[];
  let folder: string;
  const argo = (kind: string) => b.objects.filter((o) => o.object.kind === kind && o.file.startsWith(`${folder}/`)).map((o) => o.object as unknown as Obj);
  const appSet = () => argo("ApplicationSet")[0]!;
  const serviceFolders = () => [...new Set(b.estate.deployments.map((d) => `generated/${d.account}/${d.environment}/${d.service}`))].sort();
  const envOf = (a: ExpandedApp) => b.estate.environments.find((e) => e.name === a.labels[ENVIRONMENT_LABEL])!;
  const rootApp = () => argo("Application").find((a) => a.metadata.name === ROOT_APP_NAME)!;
  /** The account a project belongs to: its own (`<account>`), or its platform's (`<account>-platform`). */
  const ownerOf = (project: string) => b.estate.accounts.find((a) => project === a.name || project === platformProjectName(a.name) || project === previewProjectName(a.name))!;
  /** Every git path a standalone Application syncs (a chart source has none). */
  const gitPaths = (a: StandaloneApp) => a.sources.flatMap((s) => (s.path === undefined ? [] : [s.path]));

  // ArgoCD's own kinds; Argo Rollouts' (Rollout, AnalysisTemplate) share the group and live with the services.
  const ARGOCD_KINDS = new Set(["Application", "ApplicationSet", "AppProject"]);
  beforeAll(async () => {
    b = await buildEstate(name);
    folder = argocdFolder(b.estate);
    ({ apps, standalone, findings } = check(b));
    previews = apps.filter((a) => a.applicationSet === PREVIEW_APPLICATIONSET_NAME);
    apps = apps.filter((a) => a.applicationSet !== PREVIEW_APPLICATIONSET_NAME);
  });

  it("passes every reference check", () => {
    expect(findings).toEqual([]);
  });

  it("1 schemas: every ArgoCD object and every expanded Application validates with @kubernetes-models/argo-cd, unknown fields included", () => {
    const objects = b.objects.filter((o) => String(o.object.apiVersion).startsWith("argoproj.io/") && ARGOCD_KINDS.has(String(o.object.kind)));
    expect(objects.length).toBeGreaterThan(3);
    for (const o of [...objects.map((x) => x.object), ...apps.map((a) => a.application)]) expect(validateArgoObject(o), JSON.stringify(o).slice(0, 120)).toEqual([]);
  });

  it("2 identity: argoproj.io/v1alpha1 in ArgoCD's namespace, all in ArgoCD's folder with a kustomization listing them", () => {
    const objects = b.objects.filter((o) => String(o.object.apiVersion).startsWith("argoproj.io/") && ARGOCD_KINDS.has(String(o.object.kind)));
    for (const o of objects) {
      expect(o.object.apiVersion).toBe("argoproj.io/v1alpha1");
      expect((o.object as unknown as Obj).metadata.namespace).toBe(b.estate.argocdNamespace);
      expect(o.file.startsWith(`${folder}/`)).toBe(true);
    }
    for (const a of apps) expect((a.application as unknown as Obj).metadata.namespace).toBe(b.estate.argocdNamespace);
    const kustomization = parse(b.files.get(`${folder}/kustomization.yaml`)!) as { resources: string[] };
    expect(kustomization.resources).toEqual(b.objects.filter((o) => o.file.startsWith(`${folder}/`)).map((o) => o.file.slice(folder.length + 1)).sort());
  });

  it("expansion: every expanded app points at a generated folder, and every generated service folder gets exactly one app", () => {
    expect(apps.map((a) => a.source.path).sort()).toEqual(serviceFolders());
    for (const a of apps) expect(b.files.has(`${a.source.path.slice("generated/".length)}/kustomization.yaml`), a.name).toBe(true);
    const folders = [...b.files.keys()].filter((f) => f.endsWith("/kustomization.yaml")).map((f) => `generated/${f.slice(0, -"/kustomization.yaml".length)}`);
    // The rest are the root app's folder and the platform's companion folders, each a git source of one Application.
    expect([...apps.map((a) => a.source.path), ...previews.map((a) => a.source.path), ...standalone.flatMap(gitPaths)].sort()).toEqual(folders.sort());
    for (const a of apps) expect(JSON.stringify(a.application)).not.toMatch(/\{\{|<no value>/);
  });

  it("3 names: unique RFC 1123 labels of at most 63 characters, <env>-<service>, across the set, the root app and the platform's", () => {
    const names = [...apps.map((a) => a.name), ...argo("Application").map((a) => a.metadata.name)];
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    for (const a of apps) expect(a.name).toBe(`${a.labels[ENVIRONMENT_LABEL]}-${a.source.path.split("/").at(-1)}`);
  });

  it("8 projects: each app lands in its account's project and namespace <env>-<service>, which the project permits", () => {
    const projects = new Map(argo("AppProject").map((p) => [p.metadata.name, p]));
    for (const a of apps) {
      const d = b.estate.deployments.find((x) => `${x.environment}-${x.service}` === a.name)!;
      expect(a.project).toBe(d.account);
      expect(a.destination).toEqual({ server: b.estate.accounts.find((x) => x.name === d.account)!.cluster.server, namespace: d.namespace });
      const spec = projects.get(a.project)!.spec;
      expect(spec.sourceRepos).toEqual([b.estate.repository.url]);
      const cluster = b.estate.accounts.find((x) => x.name === d.account)!.cluster;
      for (const rules of ["v2.13", "v2.14+"] as const) expect(isDestinationMatched(spec.destinations, { ...cluster, namespace: a.destination.namespace }, rules)).toBe(true);
    }
  });

  it("8 projects: a project reaches only its own account's cluster, the nonprod project never prod, and no destination is a pattern", () => {
    const probe = ["prod-api", "dev-api", "staging-api", "shared-x", "kube-system", "default", b.estate.argocdNamespace, ...apps.map((a) => a.destination.namespace), ...b.estate.platform.releases.map((r) => r.namespace)];
    for (const p of argo("AppProject")) {
      for (const d of p.spec.destinations as { server?: string; name?: string }[]) expect(`${d.server ?? ""}${d.name ?? ""}`).not.toMatch(/[*!?[{]/);
      for (const other of b.estate.accounts.filter((x) => x.name !== ownerOf(p.metadata.name).name))
        for (const namespace of probe) for (const rules of ["v2.13", "v2.14+"] as const) expect(isDestinationMatched(p.spec.destinations, { ...other.cluster, namespace }, rules), `${p.metadata.name} → ${other.name}/${namespace}`).toBe(false);
    }
    const nonprod = argo("AppProject").find((p) => p.metadata.name === "nonprod")!;
    const prod = b.estate.accounts.find((x) => x.name === "prod")!.cluster;
    expect(isDestinationMatched(nonprod.spec.destinations, { ...prod, namespace: "prod-api" })).toBe(false);
    expect(isDestinationMatched(nonprod.spec.destinations, { server: prod.server, namespace: "dev-api" })).toBe(false);
    expect(isDestinationMatched(nonprod.spec.destinations, { name: prod.name, namespace: "dev-api" })).toBe(false);
  });

  it("8 projects: every kind an app renders is whitelisted, with the right scope; no namespaced whitelist is empty or absent", () => {
    const projects = new Map(argo("AppProject").map((p) => [p.metadata.name, p]));
    for (const p of projects.values()) expect(p.spec.namespaceResourceWhitelist.length).toBeGreaterThan(0);
    // Each folder's project is the project of the Application that syncs it.
    const projectOf = new Map([...[...apps, ...previews].map((a) => [a.source.path, a.project] as const), ...standalone.flatMap((a) => gitPaths(a).map((p) => [p, a.project] as const))]);
    for (const o of b.objects) {
      const project = projects.get(projectOf.get(`generated/${o.file.slice(0, o.file.lastIndexOf("/"))}`)!)!;
      const api = String(o.object.apiVersion);
      const gk = { group: api.includes("/") ? api.split("/")[0]! : "", kind: String(o.object.kind) };
      const namespaced = (o.object as unknown as Obj).metadata.namespace !== undefined;
      expect(isClusterScoped(gk), `${o.file}: CLUSTER_SCOPED_KINDS`).toBe(!namespaced);
      expect(isGroupKindPermitted(project.spec, gk, namespaced), o.file).toBe(true);
      // The platform's projects permit any kind in either scope, on purpose (their charts install CRDs and webhooks).
      if (project.metadata.name !== platformProjectName(ownerOf(project.metadata.name).name)) expect(isGroupKindPermitted(project.spec, gk, !namespaced), `${o.file} in the other scope`).toBe(false);
    }
  });

  it("8 projects: every account's platform project reaches exactly its own cluster, only its releases' namespaces, only their charts and this repository", () => {
    const projects = new Map(argo("AppProject").map((p) => [p.metadata.name, p]));
    const probe = [...new Set([...b.estate.platform.releases.map((r) => r.namespace), "kube-system", "default", b.estate.argocdNamespace, ...apps.map((a) => a.destination.namespace)])];
    for (const account of b.estate.accounts) {
      const releases = b.estate.platform.releases.filter((r) => r.account === account.name);
      const project = projects.get(platformProjectName(account.name));
      expect(project === undefined, account.name).toBe(releases.length === 0);
      if (!project) continue;
      const namespaces = [...new Set(releases.map((r) => r.namespace))].sort();
      expect(project.spec.destinations).toEqual(namespaces.map((namespace) => ({ server: account.cluster.server, namespace })));
      for (const other of b.estate.accounts)
        for (const namespace of probe)
          for (const rules of ["v2.13", "v2.14+"] as const)
            expect(isDestinationMatched(project.spec.destinations, { ...other.cluster, namespace }, rules), `${project.metadata.name} → ${other.name}/${namespace}`).toBe(other.name === account.name && namespaces.includes(namespace));
      expect(project.spec.sourceRepos).toEqual([...[...new Set(releases.map((r) => r.chart.repoURL))].sort(), b.estate.repository.url]);
      expect(project.spec.clusterResourceWhitelist).toEqual([{ group: "*", kind: "*" }]);
      expect(project.spec.namespaceResourceWhitelist).toEqual([{ group: "*", kind: "*" }]);
    }
  });

  it("platform: one standalone Application per release, its pinned chart then its companion folder, on its account's cluster, never cascading", () => {
    const releases = b.estate.platform.releases;
    expect(standalone.map((a) => a.name).sort()).toEqual([ROOT_APP_NAME, ...releases.map((r) => r.name)].sort());
    const folders = [...b.files.keys()].filter((f) => f.endsWith("/kustomization.yaml")).map((f) => f.slice(0, -"/kustomization.yaml".length));
    for (const r of releases) {
      const a = standalone.find((x) => x.name === r.name)!;
      const companion = `${r.account}/platform/${r.component}`;
      expect(a.project).toBe(platformProjectName(r.account));
      expect(a.destination).toEqual({ server: b.estate.accounts.find((x) => x.name === r.account)!.cluster.server, namespace: r.namespace });
      expect(a.sources).toEqual([
        { repoURL: r.chart.repoURL, chart: r.chart.chart, targetRevision: r.chart.version },
        ...(folders.includes(companion) ? [{ repoURL: b.estate.repository.url, targetRevision: b.estate.repository.revision, path: `generated/${companion}` }] : []),
      ]);
      expect((a.application as unknown as Obj).metadata.finalizers, r.name).toBeUndefined();
      expect(a.annotations["argocd.argoproj.io/sync-wave"]).toBe(String(r.wave));
    }
    // Waves on Application CRs order the root app's sync only with argocd-cm's Application health check.
    const cm = b.objects.find((o) => o.file === `${folder}/configmap-argocd-cm.yaml`)!.object as unknown as Obj;
    // Annotation tracking, so ArgoCD leaves the charts' app.kubernetes.io/instance labels (their selectors) alone.
    expect(cm.data).toMatchObject({ "application.resourceTrackingMethod": "annotation" });
    expect(Object.keys(cm.data!)).toEqual(["application.resourceTrackingMethod", "resource.customizations.health.argoproj.io_Application"]);
  });

  it("8 projects: previews have their own project, which reaches pr-* on their account's cluster and nothing else", () => {
    const projects = argo("AppProject").filter((p) => p.metadata.name.endsWith("-preview"));
    expect(previews.length).toBeGreaterThan(0);
    expect(projects.map((p) => p.metadata.name)).toEqual([...new Set(previews.map((a) => a.project))]);
    for (const p of projects) {
      const account = ownerOf(p.metadata.name);
      expect(p.spec.destinations).toEqual([{ server: account.cluster.server, namespace: "pr-*" }]);
      // What a pull request's own kustomization could aim at instead: dev, staging, ArgoCD, the platform.
      for (const namespace of ["dev-api", "staging-api", "prod-api", b.estate.argocdNamespace, "kube-system", ...b.estate.platform.releases.map((r) => r.namespace)])
        for (const rules of ["v2.13", "v2.14+"] as const) expect(isDestinationMatched(p.spec.destinations, { ...account.cluster, namespace }, rules), `${p.metadata.name} → ${namespace}`).toBe(false);
      expect(isDestinationMatched(p.spec.destinations, { ...account.cluster, namespace: "pr-12-api" })).toBe(true);
      // The previewed (dev) tier's rights: people may sync and debug their previews.
      expect(p.spec.roles[0].policies).toEqual([
        `p, proj:${p.metadata.name}:team, applications, get, ${p.metadata.name}/*, allow`,
        `p, proj:${p.metadata.name}:team, applications, sync, ${p.metadata.name}/*, allow`,
        `p, proj:${p.metadata.name}:team, exec, create, ${p.metadata.name}/*, allow`,
      ]);
    }
    // And the account's own project no longer reaches pr-*.
    for (const p of argo("AppProject").filter((x) => b.estate.accounts.some((a) => a.name === x.metadata.name)))
      expect(isDestinationMatched(p.spec.destinations, { ...ownerOf(p.metadata.name).cluster, namespace: "pr-12-api" }), p.metadata.name).toBe(false);
  });

  it("8 projects: roles follow the tiers — view everywhere, sync where not paged, exec only where debugging is allowed", () => {
    for (const p of argo("AppProject").filter((x) => !x.metadata.name.endsWith("-preview"))) {
      const envs = rolloutEnvironments(b.estate).filter((e) => e.account === p.metadata.name);
      const policies: string[] = p.spec.roles?.[0]?.policies ?? [];
      for (const e of envs) {
        expect(policies.some((x) => x.includes(" applications, sync, ") && x.includes(`/${e.name}-*`)), `${e.name} sync`).toBe(!e.tier.pager);
        expect(policies.some((x) => x.includes(" exec, ") && x.includes(`/${e.name}-*`)), `${e.name} exec`).toBe(e.tier.debug);
      }
      for (const x of policies) expect(["applications get", "applications sync", "exec create"]).toContain(x.split(",").slice(2, 4).map((s) => s.trim()).join(" "));
      if (envs.every((e) => e.tier.pager)) expect(policies.filter((x) => !x.includes(" applications, get, "))).toEqual([]);
    }
  });

  it("9 sync options: automated prune and self-heal, retry with backoff, and exactly the tier's options at app level", () => {
    for (const a of apps) {
      const policy = (a.application as any).spec.syncPolicy;
      const tier = envOf(a).tierName;
      expect(policy.automated).toEqual({ prune: true, selfHeal: true, allowEmpty: SEED_SYNC[tier].allowEmpty });
      expect(policy.syncOptions).toEqual(SEED_SYNC[tier].syncOptions);
      for (const o of policy.syncOptions) expect(ALLOWED_SYNC_OPTIONS.application.has(o)).toBe(true);
      expect(policy.retry.limit).toBeGreaterThan(0);
      expect(policy.retry.backoff).toMatchObject({ duration: expect.stringMatching(/^\d+s$/), factor: 2, maxDuration: expect.stringMatching(/^\d+m$/) });
    }
  });

  it("10 waves: every sync-wave in generated/ is a quoted integer, and apps carry their environment's wave", () => {
    for (const [file, text] of b.files) for (const m of text.matchAll(/argocd\.argoproj\.io\/sync-wave: (.*)/g)) expect(m[1], file).toMatch(/^"-?\d+"$/);
    for (const a of apps) expect(a.annotations[WAVE_ANNOTATION]).toBe(String(envOf(a).wave));
  });

  it("12 progressive sync: enabled in argocd-cmd-params-cm; one step per environment in wave order, prod's limited by its tier", () => {
    const cm = b.objects.find((o) => o.file === `${folder}/configmap-argocd-cmd-params-cm.yaml`)!.object as unknown as Obj;
    expect(cm.data!["applicationsetcontroller.enable.progressive.syncs"]).toBe("true");
    const set = appSet();
    expect(set.spec.strategy.type).toBe("RollingSync");
    const steps = set.spec.strategy.rollingSync.steps as { matchExpressions: { key: string; operator: string; values: string[] }[]; maxUpdate?: string }[];
    const envs = [...b.estate.environments].sort((x, y) => x.wave - y.wave);
    expect(steps.map((s) => s.matchExpressions)).toEqual(envs.map((e) => [{ key: ENVIRONMENT_LABEL, operator: "In", values: [e.name] }]));
    expect(steps.map((s) => s.maxUpdate)).toEqual(envs.map((e) => SEED_SYNC[e.tierName].maxUpdate));
    expect(set.spec.template.metadata.labels[ENVIRONMENT_LABEL]).toBe("{{.env}}");
  });

  it("12 progressive sync: the steps cover every app exactly once, in wave order", () => {
    const envs = [...b.estate.environments].sort((x, y) => x.wave - y.wave);
    for (const a of apps) expect(a.step, a.name).toBe(envs.indexOf(envOf(a)));
    const order = [...apps].sort((x, y) => x.step! - y.step!);
    for (let i = 1; i < order.length; i++) expect(envOf(order[i]!).wave).toBeGreaterThanOrEqual(envOf(order[i - 1]!).wave);
  });

  it("4 template hygiene: goTemplate with missingkey=error, quoted templates, the project only from the list elements", () => {
    const set = appSet();
    expect(set.spec.goTemplate).toBe(true);
    expect(set.spec.goTemplateOptions).toEqual(["missingkey=error"]);
    expect(set.spec.template.spec.project).toBe("{{.project}}");
    expect(set.spec.templatePatch).not.toMatch(/project/);
    const text = b.files.get(`${folder}/applicationset-estate.yaml`)!;
    const patch = text.slice(text.indexOf("templatePatch:"));
    for (const line of text.slice(0, text.indexOf("templatePatch:")).split("\n").filter((l) => l.includes("{{"))) expect(line, line).toMatch(/: "[^"]*\{\{[^"]*"$|path: generated\/\{\{[^"]*\}\}\/\*$/);
    expect(patch).toMatch(/allowEmpty: \{\{ \.allowEmpty \}\}/);
    const elements = set.spec.generators[0].matrix.generators[0].list.elements as Record<string, unknown>[];
    for (const e of elements) expect(Object.keys(e).sort()).toEqual(["account", "allowEmpty", "env", "project", "server", "syncOptions", "wave"]);
  });

  it("6 git patterns: one segment per service, no leading slash or **, ArgoCD's own folder excluded", () => {
    const dirs = appSet().spec.generators[0].matrix.generators[1].git.directories as { path: string; exclude?: boolean }[];
    expect(dirs).toEqual([{ path: "generated/{{.account}}/{{.env}}/*" }, { path: `generated/${folder}`, exclude: true }]);
  });

  it("11 deletion safety: no finalizer on generated or root apps, resources preserved, Applications never deleted by the controller", () => {
    const set = appSet();
    expect(set.spec.syncPolicy).toEqual({ applicationsSync: "create-update", preserveResourcesOnDeletion: true });
    expect(set.spec.template.metadata.finalizers).toBeUndefined();
    for (const a of apps) expect((a.application as unknown as Obj).metadata.finalizers).toBeUndefined();
    const root = rootApp();
    expect(root.metadata.finalizers).toBeUndefined();
    expect(root.spec.syncPolicy.automated.allowEmpty).toBeUndefined();
    for (const p of argo("AppProject")) expect(p.metadata.finalizers).toEqual(["resources-finalizer.argocd.argoproj.io"]);
    const cm = b.objects.find((o) => o.file === `${folder}/configmap-argocd-cmd-params-cm.yaml`)!.object as unknown as Obj;
    expect(cm.data).toMatchObject({ "applicationsetcontroller.policy": "create-update", "applicationsetcontroller.enable.policy.override": "true" });
  });

  it("bootstrap: the root app syncs ArgoCD's folder into ArgoCD's namespace, in the project of the account that runs ArgoCD", () => {
    const root = rootApp();
    const host = b.estate.environments.find((e) => e.name === b.estate.argocdEnvironment)!.account;
    const cluster = b.estate.accounts.find((a) => a.name === host)!.cluster;
    expect(root.spec).toMatchObject({ project: host, source: { repoURL: b.estate.repository.url, path: `generated/${folder}` }, destination: { server: cluster.server, namespace: b.estate.argocdNamespace } });
    const project = argo("AppProject").find((p) => p.metadata.name === host)!;
    expect(isDestinationMatched(project.spec.destinations, { ...cluster, namespace: b.estate.argocdNamespace })).toBe(true);
  });
});
