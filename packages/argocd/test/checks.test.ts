/**
 * Each reference check catches what it is for: the three-accounts estate passes them all (checklist.test.ts),
 * and here one object at a time is broken the way argocd.md says people break them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Build } from "@gitops/generator";
import { checkArgo, policyProblem } from "../src/checks.ts";
import { buildEstate, check, clustersOf, messages, objectAt, withEdited } from "./support.ts";

let b: Build;
const SET = "common/shared/argocd/applicationset-estate.yaml";
const ROOT = "common/shared/argocd/application-estate-root.yaml";
const CM = "common/shared/argocd/configmap-argocd-cmd-params-cm.yaml";
const NONPROD = "common/shared/argocd/appproject-nonprod.yaml";
const ARGOCD_CM = "common/shared/argocd/configmap-argocd-cm.yaml";
/** nonprod's platform: its project, cert-manager (a chart plus the companion folder with the ClusterIssuer), ingress-nginx (a chart only). */
const PLATFORM = "common/shared/argocd/appproject-nonprod-platform.yaml";
const CERT_MANAGER = "common/shared/argocd/application-platform-nonprod-cert-manager.yaml";
const INGRESS_NGINX = "common/shared/argocd/application-platform-nonprod-ingress-nginx.yaml";
const ISSUER = "nonprod/platform/cert-manager/clusterissuer-letsencrypt.yaml";
const broken = (file: string, edit: (o: Record<string, any>) => void) => check(b, withEdited(b, file, edit));
const listOf = (o: Record<string, any>) => o.spec.generators[0].matrix.generators[0].list;
const gitOf = (o: Record<string, any>) => o.spec.generators[0].matrix.generators[1].git;

beforeAll(async () => {
  b = await buildEstate("three-accounts");
});

describe("checkArgo on broken objects", () => {
  it("passes the unbroken estate", () => {
    expect(check(b).findings).toEqual([]);
  });

  it("schema: a misspelled field in the template, on the set and on every app it renders", () => {
    const r = broken(SET, (o) => (o.spec.template.spec.syncPolicy.syncOption = ["PruneLast=true"]));
    expect(messages(r, "schema")).toContain(`${SET}: spec.template.spec.syncPolicy.syncOption is not a field of the schema (a typo is dropped silently by the API server)`);
    expect(messages(r, "schema").filter((m) => m.startsWith("dev-api: spec.syncPolicy.syncOption"))).toHaveLength(1);
  });

  it("identity: an ArgoCD object outside ArgoCD's namespace", () => {
    expect(messages(broken(NONPROD, (o) => (o.metadata.namespace = "default")), "identity")).toEqual([`${NONPROD}: lives in namespace default, not ArgoCD's gitops`]);
  });

  it("names: an app name taken twice, and one too long for label tracking", () => {
    expect(messages(broken(ROOT, (o) => (o.metadata.name = "dev-api")), "names")).toEqual([`${ROOT}: dev-api is also the name of dev-api: the two apps would fight over resources`]);
    const long = broken(SET, (o) => (o.spec.template.metadata.name = `${"x".repeat(60)}-{{.env}}-{{.path.basename}}`));
    expect(messages(long, "names").length).toBeGreaterThan(0);
  });

  it("template hygiene: missingkey, fasttemplate tags, unapproved functions, a patch that sets the project, unquoted templates", () => {
    expect(messages(broken(SET, (o) => (o.spec.goTemplateOptions = [])), "template-hygiene")).toEqual([`${SET}: goTemplateOptions must be ["missingkey=error"]`]);
    const fast = broken(SET, (o) => (o.spec.template.metadata.annotations["x"] = "{{env}}"));
    expect(messages(fast, "template-hygiene")).toEqual([`${SET}: template.metadata.annotations.x: {{env}} is fasttemplate syntax; under goTemplate write {{.env}}`]);
    expect(messages(broken(SET, (o) => (o.spec.template.metadata.annotations["x"] = "{{ upper .env }}")), "template-hygiene")).toEqual([
      `${SET}: template.metadata.annotations.x: function upper is not in the approved subset (index, toJson)`,
    ]);
    expect(messages(broken(SET, (o) => (o.spec.templatePatch += "  project: '{{ .env }}'\n")), "template-hygiene")).toContain(`${SET}: templatePatch sets spec.project, which ArgoCD ignores`);
    const files = new Map(b.files);
    files.set(SET, files.get(SET)!.replace('name: "{{.env}}-{{.path.basename}}"', "name: {{.env}}"));
    const unquoted = checkArgo({ objects: b.objects, files, clusters: clustersOf(b), argocdNamespace: b.estate.argocdNamespace });
    expect(messages(unquoted, "template-hygiene")).toEqual([`${SET}: the YAML file does not read back as the object (quote templated strings)`]);
  });

  it("expansion and git patterns: a pattern that misses leaves folders without apps; a leading slash and ** are named", () => {
    const miss = broken(SET, (o) => (gitOf(o).directories[0].path = "generated/x-{{.env}}/*"));
    expect(messages(miss, "expansion")).toContain("generated/nonprod/dev/api: no Application syncs this folder");
    expect(messages(miss, "git-patterns")).toEqual([`${SET}: generated/x-{{.env}}/* matches no generated folder`]);
    const slash = broken(SET, (o) => (gitOf(o).directories[0].path = "/generated/{{.account}}/{{.env}}/*"));
    expect(messages(slash, "git-patterns")[0]).toBe(`${SET}: /generated/{{.account}}/{{.env}}/*: a leading / never matches`);
    const stars = broken(SET, (o) => (gitOf(o).directories[0].path = "generated/**"));
    expect(messages(stars, "git-patterns")[0]).toBe(`${SET}: generated/**: ** is not recursive under path.Match`);
    const excludeGone = broken(SET, (o) => gitOf(o).directories.pop());
    expect(messages(excludeGone, "expansion")).toContain("generated/common/shared/argocd: 2 Applications sync this folder: shared-argocd, estate-root");
  });

  it("combinators: a matrix child's template, and a third child", () => {
    expect(messages(broken(SET, (o) => (o.spec.generators[0].matrix.generators[0].template = { metadata: {}, spec: {} })), "combinators")).toEqual([`${SET}: a combinator child's template is ignored`]);
    expect(messages(broken(SET, (o) => o.spec.generators[0].matrix.generators.push({ list: { elements: [] } })), "combinators")).toEqual([`${SET}: a matrix takes exactly 2 generators, not 3`]);
  });

  it("projects: a pattern or negated destination widens the nonprod project to prod", () => {
    const star = messages(broken(NONPROD, (o) => (o.spec.destinations[0].server = "*")), "projects");
    expect(star).toContain(`${NONPROD}: destination * is a pattern; list exact servers or names only`);
    expect(star).toContain(`${NONPROD}: reaches 3 clusters (common, nonprod, prod); a project must reach only its account's`);
    const negated = messages(broken(NONPROD, (o) => o.spec.destinations.push({ server: "!https://prod.k8s.example.test", namespace: "*" })), "projects");
    expect(negated).toContain(`${NONPROD}: reaches 2 clusters (common, nonprod); a project must reach only its account's`);
  });

  it("projects: a kind missing from the whitelist, another repository, an invalid role policy, a project that does not exist", () => {
    const kinds = messages(broken(NONPROD, (o) => (o.spec.namespaceResourceWhitelist = o.spec.namespaceResourceWhitelist.filter((k: { kind: string }) => k.kind !== "Deployment"))), "projects");
    expect(kinds).toContain("nonprod/dev/api/deployment.yaml: apps/Deployment is not permitted by project nonprod");
    expect(messages(broken(NONPROD, (o) => (o.spec.sourceRepos = ["https://github.com/other/repo.git"])), "projects")[0]).toMatch(/^dev-api: repoURL .* is not in project nonprod's sourceRepos$/);
    expect(messages(broken(NONPROD, (o) => o.spec.roles[0].policies.push("p, proj:nonprod:team, applications, sync, prod/*, allow")), "projects")).toEqual([
      `${NONPROD}: policy "p, proj:nonprod:team, applications, sync, prod/*, allow": object must be nonprod/<app>, not prod/*`,
    ]);
    expect(messages(broken(SET, (o) => (listOf(o).elements[1].project = "nope")), "projects")).toContain("dev-api: project nope is not an emitted AppProject");
    expect(messages(broken(SET, (o) => (o.spec.template.spec.project = "{{.path.basename}}")), "projects")[0]).toBe(`${SET}: spec.project may come only from the generator's own list elements ({{.project}})`);
  });

  it("projects: a destination no registered cluster answers to, and CreateNamespace without Namespace whitelisted", () => {
    expect(messages(broken(SET, (o) => (listOf(o).elements[1].server = "https://unknown")), "projects")).toContain("dev-api: destination https://unknown resolves to 0 registered clusters, not one");
    const ns = messages(broken(NONPROD, (o) => (o.spec.clusterResourceWhitelist = o.spec.clusterResourceWhitelist.filter((k: { kind: string }) => k.kind !== "Namespace"))), "projects");
    expect(ns).toContain("dev-api: CreateNamespace=true needs Namespace in the project's clusterResourceWhitelist");
  });

  it("sync options: a typo at app level, an app-level option as a resource annotation", () => {
    expect(messages(broken(SET, (o) => (listOf(o).elements[1].syncOptions = ["CreateNamespace=True"])), "sync-options")).toContain('dev-api: syncOptions "CreateNamespace=True" is not an app-level option ArgoCD knows (a typo does nothing)');
    const annotated = check(b, withEdited(b, "nonprod/dev/api/deployment.yaml", (o) => (o.metadata.annotations = { ...o.metadata.annotations, "argocd.argoproj.io/sync-options": "PruneLast=true, CreateNamespace=true" })));
    expect(messages(annotated, "sync-options")).toEqual(["nonprod/dev/api/deployment.yaml: sync-options annotation CreateNamespace=true is not a resource-level option"]);
  });

  it("waves and hooks: an unquoted wave, an unknown hook, a fixed-name hook that would run once", () => {
    const wave = check(b, withEdited(b, "nonprod/dev/api/deployment.yaml", (o) => (o.metadata.annotations = { ...o.metadata.annotations, "argocd.argoproj.io/sync-wave": 5 })));
    expect(messages(wave, "waves")).toEqual(["nonprod/dev/api/deployment.yaml: sync-wave 5 is not a quoted integer"]);
    const hook = check(b, withEdited(b, "nonprod/dev/api/deployment.yaml", (o) => (o.metadata.annotations = { ...o.metadata.annotations, "argocd.argoproj.io/hook": "PreSync,Later", "argocd.argoproj.io/hook-delete-policy": "HookSucceeded" })));
    expect(messages(hook, "waves")).toEqual(["nonprod/dev/api/deployment.yaml: hook Later is not one ArgoCD knows", "nonprod/dev/api/deployment.yaml: a hook with a fixed name runs once unless it uses BeforeHookCreation or generateName"]);
    // argocd-cm carries the Application health check, so waves on Application CRs (the platform's, here the root's too) order.
    const waved = withEdited(b, ROOT, (o) => (o.metadata.annotations = { "argocd.argoproj.io/sync-wave": "1" }));
    expect(messages(check(b, waved), "waves")).toEqual([]);
    const blind = waved.map((o) => (o.file === ARGOCD_CM ? { ...o, object: { ...o.object, data: {} } } : o));
    const orderless = ": a sync-wave on an Application orders nothing without resource.customizations.health.argoproj.io_Application in argocd-cm";
    expect(messages(check(b, blind), "waves")).toEqual(expect.arrayContaining([`${ROOT}${orderless}`, `${CERT_MANAGER}${orderless}`]));
  });

  it("deletion safety: without preserveResourcesOnDeletion, or with applicationsSync sync", () => {
    expect(messages(broken(SET, (o) => delete o.spec.syncPolicy.preserveResourcesOnDeletion), "deletion-safety")).toEqual([
      `${SET}: without preserveResourcesOnDeletion the controller adds resources-finalizer to every app: deleting the set deletes every workload`,
    ]);
    expect(messages(broken(SET, (o) => (o.spec.syncPolicy.applicationsSync = "sync")), "deletion-safety")).toEqual([`${SET}: applicationsSync sync lets a transiently empty generator delete Applications`]);
  });

  it("progressive sync: disabled in cmd-params, an invalid operator, a step on a label the template does not set", () => {
    expect(messages(broken(CM, (o) => (o.data["applicationsetcontroller.enable.progressive.syncs"] = "false")), "progressive-sync")).toEqual([
      `${SET}: RollingSync is ignored unless argocd-cmd-params-cm sets applicationsetcontroller.enable.progressive.syncs: "true"`,
    ]);
    const exists = messages(broken(SET, (o) => (o.spec.strategy.rollingSync.steps[0].matchExpressions[0].operator = "Exists")), "expansion");
    expect(exists).toContain(`${SET}: RollingSync step 1 uses operator Exists; only In and NotIn are valid`);
    const label = messages(broken(SET, (o) => (o.spec.strategy.rollingSync.steps[3].matchExpressions[0].key = "env")), "progressive-sync");
    expect(label).toContain(`${SET}: step 4 selects on env, which the template does not label`);
    expect(label).toContain("prod-api: no RollingSync step selects it, so the controller never syncs it");
  });

  it("source type: a stray *Chart.yaml, and two tool blocks", () => {
    const files = new Map(b.files).set("nonprod/dev/api/Chart.yaml", "name: x\n");
    const chart = checkArgo({ objects: b.objects, files, clusters: clustersOf(b), argocdNamespace: b.estate.argocdNamespace });
    expect(messages(chart, "source-type")).toEqual(["dev-api: a *Chart.yaml file makes ArgoCD treat the folder as Helm"]);
    expect(messages(broken(ROOT, (o) => Object.assign(o.spec.source, { kustomize: {}, directory: {} })), "source-type")).toEqual([`${ROOT}: sets kustomize and directory: multiple application sources defined`]);
  });
});

describe("checkArgo on broken platform Applications (a chart source and a companion folder each)", () => {
  const serverOf = (account: string) => b.estate.accounts.find((a) => a.name === account)!.cluster.server;
  const editedProject = (objects: Build["objects"], edit: (o: Record<string, any>) => void) =>
    objects.map((o) => {
      if (o.file !== PLATFORM) return o;
      const clone = structuredClone(o.object) as Record<string, any>;
      edit(clone);
      return { ...o, object: clone };
    });

  it("a chart repository missing from the project's sourceRepos, and a chart moved to another repository", () => {
    const repo = objectAt(b, CERT_MANAGER).spec.sources[0].repoURL as string;
    expect(messages(broken(PLATFORM, (o) => (o.spec.sourceRepos = o.spec.sourceRepos.filter((r: string) => r !== repo))), "projects")).toEqual([
      `${CERT_MANAGER}: sources[0] repoURL ${repo} is not in project nonprod-platform's sourceRepos`,
    ]);
    expect(messages(broken(CERT_MANAGER, (o) => (o.spec.sources[0].repoURL = "https://charts.example.invalid")), "projects")).toEqual([
      `${CERT_MANAGER}: sources[0] repoURL https://charts.example.invalid is not in project nonprod-platform's sourceRepos`,
    ]);
  });

  it("a nonprod platform app pointed at the prod cluster, by the app alone or with its project widened to match", () => {
    const prod = serverOf("prod");
    const moved = withEdited(b, CERT_MANAGER, (o) => (o.spec.destination.server = prod));
    const accountRules = [
      `${CERT_MANAGER}: is labelled gitops.dev/account: nonprod but targets cluster prod, not nonprod`,
      `${CERT_MANAGER}: syncs generated/nonprod/platform/cert-manager, account nonprod's folder, into cluster prod`,
    ];
    expect(messages(check(b, moved), "projects")).toEqual([
      `${CERT_MANAGER}: project nonprod-platform does not permit ${prod} namespace cert-manager (ArgoCD v2.13)`,
      `${CERT_MANAGER}: project nonprod-platform does not permit ${prod} namespace cert-manager (ArgoCD v2.14+)`,
      ...accountRules,
    ]);
    // The project now permits prod (and only prod), so only the account rules still stand between nonprod and prod.
    const widened = editedProject(moved, (o) => (o.spec.destinations = o.spec.destinations.map((d: { namespace: string }) => ({ ...d, server: prod }))));
    expect(messages(check(b, widened), "projects")).toEqual(expect.arrayContaining(accountRules));
    // And prod's own cert-manager now fights the intruder over the namespace's labels.
    expect(messages(check(b, moved), "sync-options")).toEqual([
      `common/shared/argocd/application-platform-prod-cert-manager.yaml: its managedNamespaceMetadata for namespace cert-manager differs from ${CERT_MANAGER}'s: each app's sync undoes the other's labels and annotations`,
    ]);
  });

  it("a companion folder no Application syncs, or two do", () => {
    const chartOnly = broken(CERT_MANAGER, (o) => (o.spec.sources = o.spec.sources.filter((s: { chart?: string }) => s.chart)));
    expect(messages(chartOnly, "expansion")).toEqual(["generated/nonprod/platform/cert-manager: no Application syncs this folder"]);
    const twice = broken(INGRESS_NGINX, (o) => o.spec.sources.push({ ...objectAt(b, CERT_MANAGER).spec.sources[1] }));
    expect(messages(twice, "expansion")).toEqual(["generated/nonprod/platform/cert-manager: 2 Applications sync this folder: platform-nonprod-cert-manager, platform-nonprod-ingress-nginx"]);
  });

  it("the companion objects are checked as ArgoCD would: cluster-scoped kinds against the cluster whitelist, namespaces against destinations", () => {
    // The namespaced whitelist stays {group: '*', kind: '*'}: it has no say over cluster-scoped kinds.
    const noIssuers = broken(PLATFORM, (o) => (o.spec.clusterResourceWhitelist = [{ group: "", kind: "Namespace" }]));
    expect(messages(noIssuers, "projects")).toEqual([
      `${ISSUER}: cert-manager.io/ClusterIssuer is not permitted by project nonprod-platform`,
      "nonprod/platform/external-secrets/clustersecretstore-nonprod-vault.yaml: external-secrets.io/ClusterSecretStore is not permitted by project nonprod-platform",
    ]);
    const namespaced = b.objects.find((o) => o.file.startsWith("nonprod/platform/") && (o.object.metadata as { namespace?: string }).namespace !== undefined)!.file;
    expect(messages(check(b, withEdited(b, namespaced, (o) => (o.metadata.namespace = "kube-system"))), "projects")).toEqual([`${namespaced}: namespace kube-system is not a destination of project nonprod-platform`]);
  });

  it("an object whose metadata.namespace disagrees with CLUSTER_SCOPED_KINDS", () => {
    expect(messages(check(b, withEdited(b, ISSUER, (o) => (o.metadata.namespace = "cert-manager"))), "projects")).toEqual([`${ISSUER}: cert-manager.io/ClusterIssuer is cluster-scoped but sets metadata.namespace`]);
    expect(messages(check(b, withEdited(b, ISSUER, (o) => (o.kind = "ClusterWidget"))), "projects")).toEqual([
      `${ISSUER}: cert-manager.io/ClusterWidget sets no metadata.namespace and is not in CLUSTER_SCOPED_KINDS: list it there if it is cluster-scoped, else give it its namespace`,
    ]);
  });

  it("sources: none at all, source beside sources, two tool blocks on one source, only a ref, a stray Chart.yaml in the companion folder", () => {
    expect(messages(broken(CERT_MANAGER, (o) => delete o.spec.sources), "source-type")).toEqual([`${CERT_MANAGER}: has neither source nor sources: ArgoCD has nothing to render`]);
    const both = broken(CERT_MANAGER, (o) => (o.spec.source = { ...o.spec.sources[1] }));
    expect(messages(both, "source-type")).toEqual([`${CERT_MANAGER}: sets both source and sources: ArgoCD ignores source`]);
    expect(messages(broken(CERT_MANAGER, (o) => Object.assign(o.spec.sources[1], { kustomize: {}, directory: {} })), "source-type")).toEqual([
      `${CERT_MANAGER}: sources[1] sets kustomize and directory: multiple application sources defined`,
    ]);
    const refOnly = broken(CERT_MANAGER, (o) => (o.spec.sources = [{ repoURL: o.spec.sources[1].repoURL, targetRevision: "main", ref: "values" }]));
    expect(messages(refOnly, "source-type")).toEqual([`${CERT_MANAGER}: every source is only a ref: nothing renders manifests`]);
    const files = new Map(b.files).set("nonprod/platform/cert-manager/Chart.yaml", "name: x\n");
    const chart = checkArgo({ objects: b.objects, files, clusters: clustersOf(b), argocdNamespace: b.estate.argocdNamespace });
    expect(messages(chart, "source-type")).toEqual([`${CERT_MANAGER}: sources[1] a *Chart.yaml file makes ArgoCD treat the folder as Helm`]);
  });

  it("two Applications creating one namespace with different managedNamespaceMetadata", () => {
    expect(messages(broken(INGRESS_NGINX, (o) => (o.spec.destination.namespace = "cert-manager")), "sync-options")).toEqual([
      `${INGRESS_NGINX}: its managedNamespaceMetadata for namespace cert-manager differs from ${CERT_MANAGER}'s: each app's sync undoes the other's labels and annotations`,
    ]);
  });

  it("a project that reaches no registered cluster", () => {
    expect(messages(broken(PLATFORM, (o) => (o.spec.destinations = [{ server: "https://gone.example.test", namespace: "cert-manager" }])), "projects")).toContain(`${PLATFORM}: reaches no registered cluster, so its Applications can deploy nowhere`);
  });
});

describe("policyProblem: ArgoCD's validatePolicy for project roles", () => {
  it.each([
    ["p, proj:nonprod:team, applications, get, nonprod/*, allow", undefined],
    ["p, proj:nonprod:team, exec, create, nonprod/dev-*, allow", undefined],
    ["p, proj:nonprod:team, applications, action/apps/Deployment/restart, nonprod/dev-api, allow", undefined],
    ["p, proj:nonprod:team, applications, get, nonprod/ns/app, deny", undefined],
    ["p, proj:nonprod:team, applications, get, nonprod/*", "must be of the form 'p, sub, res, act, obj, eft'"],
    ["p, proj:prod:team, applications, get, nonprod/*, allow", "subject must be proj:nonprod:team"],
    ["p, proj:nonprod:team, certificates, get, nonprod/*, allow", "resource certificates is not a project resource"],
    ["p, proj:nonprod:team, applications, fly, nonprod/*, allow", "invalid action fly"],
    ["p, proj:nonprod:team, applications, get, nonprod/*, maybe", "effect must be allow or deny"],
  ])("%s", (policy, problem) => {
    expect(policyProblem("nonprod", "team", policy)).toBe(problem);
  });
});
