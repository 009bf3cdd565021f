/**
 * Pull-request previews (src/preview.ts): the preview ApplicationSet expanded offline for sample pull requests, the
 * GitHub token by reference only, the committed preview folders as kustomize renders them once ArgoCD has set a
 * pull request's namespace, the checks catching a broken preview set, and previews chosen by tier, not by name.
 */
import { execFile } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { build, writeTree, type Build } from "@gitops/generator";
import { formatProblem, type ResolvedEstate } from "@gitops/model";
import {
  argocdFolder,
  branchSlug,
  directoriesOf,
  expandApplicationSet,
  PREVIEW_APPLICATIONSET_NAME,
  PREVIEW_TOKEN,
  previewDeployments,
  previewEnvironment,
  previewObjects,
  pullRequestParams,
  type PullRequest,
} from "../src/index.ts";
import { estate } from "../../../test/support/estate.ts";
import { buildEstate, check, messages, objectAt, withEdited } from "./support.ts";

/** The dev tier's sync figures, written out here (not read from tiers.ts), so a wrong edit there fails. */
const DEV_SYNC = { allowEmpty: true, syncOptions: ["CreateNamespace=true", "ApplyOutOfSyncOnly=true"] };
const SHA = "3f786850e387550fdab836ed7e6dc881de23001b";
const pr = (number: number, labels: string[], branch = "feature/Faster_Checkout", headSha = SHA): PullRequest => ({ number, branch, headSha, labels });

type Obj = Record<string, any>;
let repo: Build;
let three: Build;
let minimal: Build;
beforeAll(async () => {
  [repo, three, minimal] = await Promise.all([buildEstate("repo"), buildEstate("three-accounts"), buildEstate("minimal")]);
});

const setOf = (b: Build) => objectAt(b, `${argocdFolder(b.estate)}/applicationset-${PREVIEW_APPLICATIONSET_NAME}.yaml`);
const dirsOf = (b: Build) => directoriesOf([...b.files.keys()].map((f) => `generated/${f}`));
const expand = (b: Build, pulls: readonly PullRequest[]) => expandApplicationSet(setOf(b), dirsOf(b), { pullRequests: pulls });
/** The environment previews copy, found the way a person would: the dev-tier one. */
const devEnv = (b: Build) => b.estate.environments.find((e) => e.tierName === "dev")!;

describe("the preview ApplicationSet, expanded for a sample pull request", () => {
  it("creates pr-<number>-<service> for every service of the dev-tier environment, at the head commit, in the nonprod account's preview project on the nonprod cluster", () => {
    const apps = expand(repo, [pr(123, ["preview", "needs-review"])]);
    const env = devEnv(repo);
    const services = repo.estate.deployments.filter((d) => d.environment === env.name).map((d) => d.service).sort();
    expect(services.length).toBeGreaterThan(3);
    const nonprod = repo.estate.accounts.find((a) => a.name === env.account)!;
    expect(env.account).toBe("nonprod");
    expect(apps.map((a) => a.name)).toEqual(services.map((s) => `pr-123-${s}`));
    for (const a of apps) {
      const service = a.name.slice("pr-123-".length);
      expect(a.applicationSet).toBe(PREVIEW_APPLICATIONSET_NAME);
      expect(a.project).toBe("nonprod-preview");
      expect(a.destination).toEqual({ server: nonprod.cluster.server, namespace: `pr-123-${service}` });
      expect(a.source).toEqual({ repoURL: repo.estate.repository.url, targetRevision: SHA, path: `generated/nonprod/preview/${service}` });
      const app = a.application as Obj;
      // The one override that turns the committed pull request 0 into this one.
      expect(app.spec.source.kustomize).toEqual({ namespace: `pr-123-${service}` });
      expect(app.metadata.namespace).toBe(repo.estate.argocdNamespace);
      expect(app.metadata.labels).toEqual({ "gitops.dev/environment": "preview", "gitops.dev/account": "nonprod", "gitops.dev/pull-request": "123" });
      expect(app.metadata.annotations).toEqual({ "gitops.dev/branch": "feature/Faster_Checkout" });
      // Deleting it (the pull request closed) deletes what it deployed.
      expect(app.metadata.finalizers).toEqual(["resources-finalizer.argocd.argoproj.io"]);
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true, allowEmpty: DEV_SYNC.allowEmpty });
      expect(app.spec.syncPolicy.syncOptions).toEqual(DEV_SYNC.syncOptions);
      // No RollingSync step: each preview syncs on its own.
      expect(a.step).toBeUndefined();
      expect(JSON.stringify(app)).not.toMatch(/\{\{|<no value>/);
    }
    // The set reads the pull request's own tree, and deletes what it no longer lists.
    const set = setOf(repo);
    expect(set.spec.generators[0].matrix.generators[1].git.revision).toBe("{{.head_sha}}");
    expect(set.spec.syncPolicy).toEqual({ applicationsSync: "sync" });
    expect(set.spec.strategy).toBeUndefined();
  });

  it("gives a pull request without the label nothing, and each labelled one its own apps and namespaces", () => {
    expect(expand(repo, [pr(7, [])])).toEqual([]);
    expect(expand(repo, [pr(7, ["needs-review", "Preview"])])).toEqual([]);
    const apps = expand(repo, [pr(7, ["needs-review"]), pr(8, ["preview"]), pr(9, ["preview"], "fix/x", "b".repeat(40))]);
    expect(new Set(apps.map((a) => a.labels["gitops.dev/pull-request"]))).toEqual(new Set(["8", "9"]));
    expect(new Set(apps.map((a) => a.destination.namespace)).size).toBe(apps.length);
    expect(apps.filter((a) => a.name.startsWith("pr-9-")).every((a) => a.source.targetRevision === "b".repeat(40))).toBe(true);
  });

  it("never collides with dev's Applications or namespaces, and keeps every name and namespace within 63 characters", () => {
    const estateSet = objectAt(repo, `${argocdFolder(repo.estate)}/applicationset-estate.yaml`);
    const main = expandApplicationSet(estateSet, dirsOf(repo));
    const previews = expand(repo, [pr(9_999_999, ["preview"])]);
    const taken = new Set([...main.map((a) => a.name), ...main.map((a) => a.destination.namespace)]);
    for (const a of previews) {
      expect(taken.has(a.name) || taken.has(a.destination.namespace), a.name).toBe(false);
      expect(a.destination.namespace).toMatch(/^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    // Nothing in the committed tree is a public host of a preview: previews have no Ingress.
    expect(repo.objects.filter((o) => o.file.includes("/preview/") && o.object.kind === "Ingress")).toEqual([]);
  });
});

describe("the pull-request generator's parameters", () => {
  it("are number, branch, branch_slug, target_branch(_slug), head_sha, head_short_sha(_7), author, title and labels", () => {
    expect(pullRequestParams({ number: 42, branch: "feature/New_Thing", headSha: SHA, labels: ["preview"], title: "Faster", author: "ada", targetBranch: "main" })).toEqual({
      number: "42",
      title: "Faster",
      branch: "feature/New_Thing",
      branch_slug: "feature-new-thing",
      target_branch: "main",
      target_branch_slug: "main",
      head_sha: SHA,
      head_short_sha: SHA.slice(0, 8),
      head_short_sha_7: SHA.slice(0, 7),
      author: "ada",
      labels: ["preview"],
    });
  });

  it("slug like gosimple/slug with MaxLength 50: cut after the last whole word, or at 50 for one long word; refuse what versions disagree on", () => {
    expect(branchSlug(`release/${"x".repeat(30)}-${"y".repeat(30)}`)).toBe(`release-${"x".repeat(30)}`);
    expect(branchSlug("z".repeat(60))).toBe("z".repeat(50));
    expect(branchSlug("  --Fix__Login..Bug--  ")).toBe("fix-login-bug");
    expect(() => branchSlug("fix/café")).toThrow(/gosimple\/slug/);
    expect(() => branchSlug("tom&jerry")).toThrow(/gosimple\/slug/);
    expect(() => pullRequestParams({ number: 0, branch: "x", headSha: SHA })).toThrow(/positive integer/);
    expect(() => pullRequestParams({ number: 1, branch: "x", headSha: "HEAD" })).toThrow(/commit id/);
  });

  it("are refused without sample pull requests, for another provider, or with filters", () => {
    expect(() => expandApplicationSet(setOf(repo), dirsOf(repo))).toThrow(/sample pull requests/);
    const gitlab = structuredClone(setOf(repo));
    const gen = gitlab.spec.generators[0].matrix.generators[0].pullRequest;
    gen.gitlab = { project: "1" };
    delete gen.github;
    expect(() => expandApplicationSet(gitlab, dirsOf(repo), { pullRequests: [pr(1, ["preview"])] })).toThrow(/gitlab provider is not supported/);
    const filtered = structuredClone(setOf(repo));
    filtered.spec.generators[0].matrix.generators[0].pullRequest.filters = [{ branchMatch: ".*" }];
    expect(() => expandApplicationSet(filtered, dirsOf(repo), { pullRequests: [pr(1, ["preview"])] })).toThrow(/filters are not supported/);
  });
});

describe("the GitHub token", () => {
  it.each([
    ["repo", () => repo, "acme/platform-gitops", "common-vault", "argocd"],
    ["three-accounts", () => three, "example/fixture-gitops", "common-vault", "gitops"],
    ["minimal (ArgoCD in nonprod)", () => minimal, "example/fixture-gitops", "nonprod-vault", "argocd"],
  ])("%s: is only referenced — a Secret in ArgoCD's namespace created from the ArgoCD account's store", (_, b, github, store, namespace) => {
    const build = b();
    const generator = setOf(build).spec.generators[0].matrix.generators[0].pullRequest;
    // Owner and repository from estate.repository.url.
    const [owner, name] = github.split("/");
    expect(generator.github).toEqual({ owner, repo: name, tokenRef: { secretName: PREVIEW_TOKEN.secretName, key: PREVIEW_TOKEN.key }, labels: ["preview"] });
    expect(generator.requeueAfterSeconds).toBe(300);
    const external = objectAt(build, `${argocdFolder(build.estate)}/externalsecret-${PREVIEW_TOKEN.secretName}.yaml`);
    expect(external.metadata.namespace).toBe(namespace);
    expect(external.spec).toEqual({
      refreshInterval: "1h",
      secretStoreRef: { kind: "ClusterSecretStore", name: store },
      target: { name: PREVIEW_TOKEN.secretName, creationPolicy: "Owner", deletionPolicy: "Retain", template: { metadata: { labels: { "argocd.argoproj.io/secret-type": "scm-creds" } } } },
      data: [{ secretKey: "token", remoteRef: { key: PREVIEW_TOKEN.remoteKey, property: PREVIEW_TOKEN.property } }],
    });
    // tokenRef may read only Secrets labelled scm-creds (v2.14+), so no set can read another of ArgoCD's Secrets.
    expect(objectAt(build, `${argocdFolder(build.estate)}/configmap-argocd-cmd-params-cm.yaml`).data["applicationsetcontroller.enable.tokenref.strict.mode"]).toBe("true");
    // No Secret object anywhere, and nothing token-shaped in any file.
    expect(build.objects.filter((o) => o.object.kind === "Secret")).toEqual([]);
    for (const [file, text] of build.files) expect(text, file).not.toMatch(/gh[pousr]_[A-Za-z0-9]{20,}|github_pat_/);
  });
});

describe("preview folders", () => {
  let root: string;
  afterAll(() => root && rmSync(root, { recursive: true, force: true }));
  const kustomize = (dir: string) =>
    new Promise<Obj[]>((done, fail) =>
      execFile("kubectl", ["kustomize", dir], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => (error ? fail(new Error(stderr || error.message)) : done(parseAllDocuments(stdout, { version: "1.1" }).map((d) => d.toJS() as Obj)))),
    );

  it("are the dev-tier environment's services for pull request 0, calling each other's previews, with no public host", () => {
    const previews = previewDeployments(repo.estate);
    const env = devEnv(repo);
    expect(previews.map((d) => d.service)).toEqual(repo.estate.deployments.filter((d) => d.environment === env.name).map((d) => d.service));
    for (const d of previews) {
      expect([d.environment, d.account, d.namespace, d.ingress]).toEqual(["preview", "nonprod", `pr-0-${d.service}`, undefined]);
      for (const p of [...d.dependsOn, ...d.dependents]) expect(p.namespace).toBe(`pr-0-${p.service}`);
      // Every in-cluster URL of a dependency is its preview's.
      for (const v of Object.values(d.config)) expect(v).not.toMatch(/\.dev-[a-z0-9-]+\.svc/);
      const dev = repo.estate.deployments.find((x) => x.environment === env.name && x.service === d.service)!;
      expect([d.replicas, d.resources, d.podSecurity, d.debug, d.image, d.secrets]).toEqual([dev.replicas, dev.resources, dev.podSecurity, dev.debug, dev.image, dev.secrets]);
    }
    for (const o of repo.objects.filter((x) => x.file.startsWith("nonprod/preview/"))) {
      const service = o.file.split("/")[2]!;
      const m = o.object.metadata as Obj;
      expect(o.object.kind === "Namespace" ? m.name : m.namespace, o.file).toBe(`pr-0-${service}`);
      expect(JSON.stringify(o.object), o.file).not.toMatch(/"dev-[a-z]/);
    }
  });

  it("render, once ArgoCD sets pull request 123's namespace, entirely in pr-123-*, with network policies that match across the previews", async () => {
    root = mkdtempSync(join(tmpdir(), "gitops-preview-"));
    writeTree(root, repo.files);
    const base = join(root, "generated/nonprod/preview");
    const services = readdirSync(base).sort();
    const rendered = new Map<string, Obj[]>();
    for (const s of services) {
      // What `kustomize edit set namespace pr-123-<service>` (ArgoCD's kustomize.namespace) writes.
      appendFileSync(join(base, s, "kustomization.yaml"), `namespace: pr-123-${s}\n`);
      rendered.set(s, await kustomize(join(base, s)));
    }
    for (const [s, objects] of rendered) {
      expect(objects.length, s).toBe(repo.objects.filter((o) => o.file.startsWith(`nonprod/preview/${s}/`)).length);
      expect(JSON.stringify(objects), s).not.toMatch(/pr-0-/);
      for (const o of objects) expect(o.kind === "Namespace" ? o.metadata.name : o.metadata.namespace, `${s} ${o.kind}`).toBe(`pr-123-${s}`);
      const d = previewDeployments(repo.estate).find((x) => x.service === s)!;
      const config = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === s)!.data as Record<string, string>;
      for (const p of d.dependsOn) expect(Object.values(config).some((v) => v.includes(`${p.service}.pr-123-${p.service}.svc`)), `${s} → ${p.service}`).toBe(true);
    }
    // Whoever a preview calls admits it, in the same pull request, and only there.
    const peers = (objects: Obj[], direction: "ingress" | "egress") =>
      objects
        .filter((o) => o.kind === "NetworkPolicy")
        .flatMap((o) => (o.spec[direction] ?? []).flatMap((r: Obj) => r[direction === "ingress" ? "from" : "to"] ?? []))
        .filter((p: Obj) => p.namespaceSelector && p.podSelector)
        .map((p: Obj) => `${p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]}/${p.podSelector.matchLabels["app.kubernetes.io/name"]}`);
    let pairs = 0;
    for (const d of previewDeployments(repo.estate))
      for (const p of d.dependsOn) {
        expect(peers(rendered.get(d.service)!, "egress")).toContain(`pr-123-${p.service}/${p.service}`);
        expect(peers(rendered.get(p.service)!, "ingress")).toContain(`pr-123-${d.service}/${d.service}`);
        pairs++;
      }
    expect(pairs).toBeGreaterThan(2);
    for (const objects of rendered.values()) for (const peer of [...peers(objects, "ingress"), ...peers(objects, "egress")]) expect(peer).not.toMatch(/^(dev|staging|prod)-/);
  });
});

describe("who reviews a preview folder", () => {
  it("is the service's team, as for its dev folder: CODEOWNERS' last matching line", () => {
    const lines = repo.rootFiles.get(".github/CODEOWNERS")!.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
    /** GitHub's CODEOWNERS patterns as used here: `*`, and anchored folders whose `*` is one path segment. */
    const owner = (path: string) =>
      lines
        .map((l) => l.trim().split(/\s+/))
        .filter(([pattern]) => pattern === "*" || new RegExp(`^${pattern!.slice(1).replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]+")}`).test(path))
        .at(-1)![1];
    const folders = [...new Set(repo.objects.filter((o) => o.file.startsWith("nonprod/preview/")).map((o) => o.file.split("/")[2]!))];
    expect(folders.length).toBeGreaterThan(3);
    for (const service of folders) {
      const team = repo.estate.services.find((x) => x.name === service)!.team;
      expect(owner(`generated/nonprod/preview/${service}/deployment.yaml`), service).toBe(`@acme/${team}`);
      expect(owner(`generated/nonprod/preview/${service}/deployment.yaml`)).toBe(owner(`generated/nonprod/dev/${service}/deployment.yaml`));
    }
  });
});

describe("checks catch a broken preview set", () => {
  const SET = "common/shared/argocd/applicationset-previews.yaml";
  const TOKEN = "common/shared/argocd/externalsecret-github-pull-requests.yaml";
  const NONPROD = "common/shared/argocd/appproject-nonprod-preview.yaml";
  const broken = (file: string, edit: (o: Obj) => void) => check(three, withEdited(three, file, edit));
  const prOf = (o: Obj) => o.spec.generators[0].matrix.generators[0].pullRequest;

  it("passes the unbroken set, expanded for the default sample pull request", () => {
    const r = check(three);
    expect(r.findings).toEqual([]);
    expect(r.apps.filter((a) => a.applicationSet === PREVIEW_APPLICATIONSET_NAME).map((a) => a.name)).toEqual(["pr-1-api", "pr-1-job", "pr-1-worker"]);
  });

  it("a generator that previews every open pull request, forks included", () => {
    expect(messages(broken(SET, (o) => delete prOf(o).github.labels), "pull-requests")).toEqual([
      `${SET}: the pull-request generator lists every open pull request, forks included: filter it by a label only maintainers can set (labels)`,
    ]);
  });

  it("deletion: apps that outlive their pull request, or leave its resources behind", () => {
    expect(messages(broken(SET, (o) => (o.spec.syncPolicy.applicationsSync = "create-update")), "deletion-safety")).toEqual([
      `${SET}: applicationsSync create-update: a pull-request set must be "sync", to update Applications to a new head and delete those of closed pull requests`,
    ]);
    const orphaning = `${SET}: a closed pull request's Application must take its resources with it: list resources-finalizer.argocd.argoproj.io in template.metadata.finalizers and do not preserveResourcesOnDeletion`;
    expect(messages(broken(SET, (o) => delete o.spec.template.metadata.finalizers), "deletion-safety")).toEqual([orphaning]);
    expect(messages(broken(SET, (o) => (o.spec.syncPolicy.preserveResourcesOnDeletion = true)), "deletion-safety")).toEqual([orphaning]);
  });

  it("a project or cluster chosen by pull-request data, a namespace outside the project, an override that disagrees with the destination", () => {
    expect(messages(broken(SET, (o) => (o.spec.template.spec.project = "{{.branch_slug}}")), "projects")).toContain(
      `${SET}: a pull-request set's spec.project must be a literal: a templated project lets pull-request data choose what the apps may deploy`,
    );
    expect(messages(broken(SET, (o) => (o.spec.template.spec.destination.server = "{{.title}}")), "projects")).toContain(`${SET}: a pull-request set's destination cluster must be a literal`);
    const prod = broken(SET, (o) => {
      o.spec.template.spec.destination.namespace = "prod-{{.path.basename}}";
      o.spec.template.spec.source.kustomize.namespace = "prod-{{.path.basename}}";
    });
    expect(messages(prod, "projects")).toContain("pr-1-api: project nonprod-preview does not permit https://nonprod.k8s.example.test namespace prod-api (ArgoCD v2.13)");
    expect(messages(prod, "projects")).toContain("nonprod/preview/api/configmap.yaml: namespace prod-api is not a destination of project nonprod-preview");
    expect(messages(broken(SET, (o) => (o.spec.template.spec.source.kustomize.namespace = "pr-{{.number}}")), "projects")).toContain(
      "pr-1-api: kustomize.namespace pr-1 differs from destination.namespace pr-1-api: its objects land outside the app's destination",
    );
    const closed = broken(NONPROD, (o) => (o.spec.destinations = o.spec.destinations.filter((d: Obj) => d.namespace !== "pr-*")));
    expect(messages(closed, "projects")).toContain("pr-1-api: project nonprod-preview does not permit https://nonprod.k8s.example.test namespace pr-1-api (ArgoCD v2.14+)");
  });

  it("apps that would not show the pull request's code", () => {
    expect(messages(broken(SET, (o) => (o.spec.template.spec.source.targetRevision = "main")), "pull-requests")).toEqual([
      `${SET}: its Applications sync main, not the pull request's head ({{.head_sha}}): a preview would show code that is not the pull request's`,
    ]);
    const unrendered = messages(broken(SET, (o) => (o.spec.generators[0].matrix.generators[1].git.revision = "{{.head}}")), "expansion");
    expect(unrendered.slice(0, 2)).toEqual([`${SET}: map has no entry for key "head" (in .head)`, `${SET}: creates no Application`]);
    expect(unrendered.slice(2)).toEqual(["api", "job", "worker"].map((s) => `generated/nonprod/preview/${s}: no Application syncs this folder`));
  });

  it("a token that is not the ExternalSecret's, a missing or unlabelled ExternalSecret, a token in git", () => {
    expect(messages(broken(SET, (o) => (prOf(o).github.tokenRef.secretName = "github-token")), "pull-requests")).toEqual([
      `${SET}: tokenRef names Secret github-token, which no emitted ExternalSecret in gitops creates: the token must come from the secret store, never from git`,
    ]);
    expect(messages(check(three, three.objects.filter((o) => o.file !== TOKEN)), "pull-requests")).toEqual([
      `${SET}: tokenRef names Secret github-pull-requests, which no emitted ExternalSecret in gitops creates: the token must come from the secret store, never from git`,
    ]);
    expect(messages(broken(TOKEN, (o) => delete o.spec.target.template), "pull-requests")).toEqual([
      `${SET}: the Secret github-pull-requests lacks the label argocd.argoproj.io/secret-type: scm-creds, without which tokenRef strict mode (v2.14+) refuses it`,
    ]);
    const leaked = [...three.objects, { file: "common/shared/argocd/secret-github.yaml", sources: [], object: { apiVersion: "v1", kind: "Secret", metadata: { name: "github-pull-requests", namespace: "gitops" }, stringData: { token: "x" } } }];
    expect(messages(check(three, leaked), "pull-requests")).toContain(
      "common/shared/argocd/secret-github.yaml: holds the pull-request generator's token in git — let an ExternalSecret create Secret github-pull-requests from the store",
    );
  });

  it("schema and template hygiene, as for any set: a misspelled generator field, goTemplate options", () => {
    expect(messages(broken(SET, (o) => (prOf(o).github.lables = ["preview"])), "schema")).toContain(
      `${SET}: spec.generators[0].matrix.generators[0].pullRequest.github.lables is not a field of the schema (a typo is dropped silently by the API server)`,
    );
    expect(messages(broken(SET, (o) => (o.spec.goTemplateOptions = [])), "template-hygiene")).toEqual([`${SET}: goTemplateOptions must be ["missingkey=error"]`]);
  });

  it("with the caller's pull requests: none labelled is no finding, and the apps are theirs", () => {
    const none = check(three, undefined, [pr(5, ["wip"])]);
    expect(none.findings).toEqual([]);
    expect(none.apps.filter((a) => a.applicationSet === PREVIEW_APPLICATIONSET_NAME)).toEqual([]);
    const two = check(three, undefined, [pr(5, ["preview"]), pr(6, ["preview"], "other")]);
    expect(two.findings).toEqual([]);
    expect(two.apps.filter((a) => a.applicationSet === PREVIEW_APPLICATIONSET_NAME).map((a) => a.name)).toEqual(["pr-5-api", "pr-5-job", "pr-5-worker", "pr-6-api", "pr-6-job", "pr-6-worker"]);
  });
});

describe("previews follow the tier, not names", () => {
  /** The estate with dev's and staging's tiers swapped (and nothing renamed). */
  const swapped = (e: ResolvedEstate): ResolvedEstate => {
    const tier = (name: string) => e.environments.find((x) => x.tierName === name)!;
    const [dev, staging] = [tier("dev"), tier("staging")];
    return { ...e, environments: e.environments.map((x) => (x === dev ? { ...x, tierName: staging.tierName, tier: staging.tier } : x === staging ? { ...x, tierName: dev.tierName, tier: dev.tier } : x)) };
  };

  it("previews the first environment whose tier is dev, whatever it is called", () => {
    const e = swapped(repo.estate);
    const env = previewEnvironment(e)!;
    expect(env.name).toBe("staging");
    expect(previewDeployments(e).map((d) => d.service)).toEqual(e.deployments.filter((d) => d.environment === "staging").map((d) => d.service));
    expect(previewDeployments(e).every((d) => d.replicas === e.deployments.find((x) => x.environment === "staging" && x.service === d.service)!.replicas)).toBe(true);
  });

  it("previews nothing without a dev-tier environment, or for a repository that is not on GitHub", () => {
    const noDev: ResolvedEstate = { ...repo.estate, environments: repo.estate.environments.map((x) => (x.tierName === "dev" ? { ...x, tierName: "staging" as const } : x)) };
    expect([previewEnvironment(noDev), previewDeployments(noDev), previewObjects(noDev)]).toEqual([undefined, [], []]);
    const gitlab: ResolvedEstate = { ...repo.estate, repository: { ...repo.estate.repository, url: "https://gitlab.com/acme/platform-gitops.git" } };
    expect([previewDeployments(gitlab), previewObjects(gitlab)]).toEqual([[], []]);
  });

  it("refuses an environment named preview, naming the file and field", async () => {
    const root = estate("minimal");
    writeFileSync(join(root, "environments/preview.ts"), `import { defineEnvironment } from "@gitops/model";\nexport default defineEnvironment({ name: "preview", account: "nonprod", tier: "staging", wave: 1 });\n`);
    const result = await build(root);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map(formatProblem)).toContain("environments/preview.ts: name: is reserved (the pull-request previews' folder in each account) — pick another name");
  });
});
