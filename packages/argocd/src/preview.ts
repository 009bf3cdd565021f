/**
 * Preview environments: for each open pull request labelled `preview`, the whole dev-tier environment at the pull
 * request's head commit, each service in its own namespace `pr-<number>-<service>` of the same account's cluster,
 * removed with everything in it when the pull request closes or loses the label (packages/argocd/README.md,
 * "Preview environments").
 *
 * What is committed is one folder per previewable service, `generated/<account>/preview/<service>/`: the service as
 * its dev-tier environment renders it, for the pseudo pull request 0 (GitHub numbers start at 1). Every namespace
 * it names — its own, what it calls, who calls it, its alert rules' selectors — is `pr-0-<service>`. ArgoCD turns
 * that into pull request N with one override on the Application, `spec.source.kustomize.namespace:
 * pr-N-<service>`: kustomize's namespace transformer moves every object (and renames the Namespace object itself),
 * and the folder's own `replacements` copy N from that namespace into every other place `pr-0-` occurs. So the
 * folder renders on its own (as pull request 0, for kustomize and the checks), and ArgoCD renders it for any N.
 *
 * Nothing here branches on an environment's name: the previewed environment is the first in rollout order whose
 * tier is the dev tier, and the cluster, project, sync options and who may sync come from its account and tier.
 */
import type { Peer, ResolvedAccount, ResolvedDeployment, ResolvedEnvironment, ResolvedEstate, TierName } from "@gitops/model";
import { ACCOUNT_LABEL, ENVIRONMENT_LABEL, RESOURCES_FINALIZER, RETRY, applicationSetObject, argocdFolder, rolloutEnvironments, type ArgoObject } from "./objects.ts";

/** The folder under `generated/<account>/` that holds the preview folders; no environment may take the name. */
export const PREVIEW_FOLDER = "preview";
/** Whether a folder of generated/ is a pull-request preview's, `<account>/preview/<service>`. */
export const isPreviewFolder = (folder: string): boolean => {
  const parts = folder.split("/");
  return parts.length === 3 && parts[1] === PREVIEW_FOLDER;
};
/** The pull-request label that opts a pull request in: a maintainer's decision to run its head in the cluster. */
export const PREVIEW_LABEL = "preview";
/** The tier whose environment is previewed (and whose sync options, sizes and permissions previews get). */
export const PREVIEW_TIER: TierName = "dev";
export const PREVIEW_APPLICATIONSET_NAME = "previews";
/** The Application label carrying the pull request's number, for people and `gitops apps --pr`. */
export const PULL_REQUEST_LABEL = "gitops.dev/pull-request";
export const BRANCH_ANNOTATION = "gitops.dev/branch";
/** The number that stands for "this pull request" in the committed folders. */
export const PLACEHOLDER_PULL_REQUEST = "0";
/**
 * How often the controller asks GitHub for open pull requests (the generator's default is 30 min). One API call per
 * poll (100 pull requests a page): 12 an hour. A GitHub webhook to the ApplicationSet controller makes it immediate.
 */
export const PREVIEW_REQUEUE_SECONDS = 300;
/** The namespaces previews use, in the account's AppProject. */
export const PREVIEW_NAMESPACES = "pr-*";
/** Pull-request numbers up to this many digits keep every preview namespace within 63 characters (checked). */
export const MAX_PULL_REQUEST_DIGITS = 10;

/**
 * The GitHub token the pull-request generator reads: a Secret in ArgoCD's namespace, created by an ExternalSecret
 * (ArgoCD's folder) from the store of the account that runs ArgoCD. Store the token at `remoteKey`, property
 * `property`; it needs read access to the repository's pull requests only. The Secret carries the label ArgoCD's
 * tokenRef strict mode requires (`argocd.argoproj.io/secret-type: scm-creds`, v2.14+).
 */
export const PREVIEW_TOKEN = { secretName: "github-pull-requests", key: "token", remoteKey: "argocd/github-pull-requests", property: "token" } as const;

const SYNC_WAVE = "argocd.argoproj.io/sync-wave";
const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `pr-<number>-<service>`: the Application, its destination namespace and the namespace of everything in it. */
export const previewNamespace = (pullRequest: string | number, service: string): string => `pr-${pullRequest}-${service}`;

/** Owner and name of a GitHub repository URL (https or ssh), or undefined when the URL is not GitHub's. */
export function githubRepository(url: string): { owner: string; repo: string } | undefined {
  const m = /^(?:https:\/\/github\.com\/|git@github\.com:|ssh:\/\/git@github\.com\/)([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?\/?$/.exec(url);
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}

/**
 * The environment previews copy: the first in rollout order whose tier is the dev tier and that runs a service.
 * None when there is no such environment, or when the repository is not on GitHub (the only pull-request provider
 * the set is written for).
 */
export function previewEnvironment(estate: ResolvedEstate): ResolvedEnvironment | undefined {
  if (!githubRepository(estate.repository.url)) return undefined;
  return rolloutEnvironments(estate).find((e) => e.tierName === PREVIEW_TIER && estate.deployments.some((d) => d.environment === e.name));
}

const accountOf = (estate: ResolvedEstate, name: string): ResolvedAccount => {
  const account = estate.accounts.find((a) => a.name === name);
  if (!account) throw new Error(`no account ${name}`);
  return account;
};

/**
 * One preview deployment per service of the previewed environment: the same resolved service (dev tier, dev's
 * overrides, the account's secret store), in folder `<account>/preview/<service>` and namespace `pr-0-<service>`.
 * What it calls is previewed alongside, in the same pull request: its dependencies' URLs and network policies name
 * their `pr-0-` namespaces, and it admits its callers' previews. It has no public host: per-pull-request hosts would
 * need a certificate each (ACME rate limits) and a name only ArgoCD knows; reach it with `kubectl port-forward`,
 * which the tier's debug role allows the owning team.
 */
export function previewDeployments(estate: ResolvedEstate): ResolvedDeployment[] {
  // Asked for by the projects, the ApplicationSets and the generator alike: made once per (immutable) estate.
  let made = previews.get(estate);
  if (!made) previews.set(estate, (made = makePreviewDeployments(estate)));
  return made;
}
const previews = new WeakMap<ResolvedEstate, ResolvedDeployment[]>();

function makePreviewDeployments(estate: ResolvedEstate): ResolvedDeployment[] {
  const env = previewEnvironment(estate);
  if (!env) return [];
  const taken = estate.environments.find((e) => e.name === PREVIEW_FOLDER);
  if (taken) throw new Error(`${taken.file}: name: "${PREVIEW_FOLDER}" is reserved for pull-request previews (generated/<account>/${PREVIEW_FOLDER}/) — rename the environment`);
  const own = estate.deployments.filter((d) => d.environment === env.name);
  const previewed = new Set(own.map((d) => d.service));
  return own.map((d) => {
    const longest = previewNamespace("9".repeat(MAX_PULL_REQUEST_DIGITS), d.service);
    if (longest.length > 63 || !RFC1123_LABEL.test(longest))
      throw new Error(`${d.sources[0] ?? estate.file}: name: "${d.service}" makes preview namespaces such as ${longest}, longer than 63 characters — shorten the service name`);
    const peer = (p: Peer): Peer => ({ ...p, namespace: previewNamespace(PLACEHOLDER_PULL_REQUEST, p.service) });
    // Dependencies are deployed in the same environment (the resolver requires it), so each is previewed too.
    const moved = d.dependsOn.map((p) => [`.${p.namespace}.svc`, `.${peer(p).namespace}.svc`] as const);
    const config = Object.fromEntries(Object.entries(d.config).map(([k, v]) => [k, moved.reduce((s, [from, to]) => s.replaceAll(from, to), v)]));
    const { ingress: _public, ...rest } = d;
    return {
      ...rest,
      environment: PREVIEW_FOLDER,
      namespace: previewNamespace(PLACEHOLDER_PULL_REQUEST, d.service),
      config,
      dependsOn: d.dependsOn.map(peer),
      dependents: d.dependents.filter((p) => previewed.has(p.service)).map(peer),
      labels: { ...d.labels, environment: PREVIEW_FOLDER },
    };
  });
}

/** A kustomize replacement target (a field of one object, and which `-`-separated part of it holds the number). */
export interface ReplacementTarget {
  readonly select: { readonly group?: string; readonly version: string; readonly kind: string; readonly name: string };
  readonly fieldPaths: readonly string[];
  readonly options: { readonly delimiter: "-"; readonly index: number };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** `pr-0-` where a namespace starts: at the start of a string or after a character no namespace name contains. */
/** What every match of PLACEHOLDER contains: a string without it needs no regular expression. */
const MARK = `pr-${PLACEHOLDER_PULL_REQUEST}-`;
const PLACEHOLDER = new RegExp(`(?<![a-z0-9-])pr-${PLACEHOLDER_PULL_REQUEST}-(?=[a-z0-9])`, "g");

/** A kustomize field path: map keys joined by dots (`[key]` when a key holds `.` or `/`), list items by index. */
function fieldPath(path: readonly (string | number)[]): string {
  return path
    .map((k) => {
      if (typeof k === "number") return String(k);
      if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k)) return k;
      if (/[[\]=]/.test(k)) throw new Error(`the key ${JSON.stringify(k)} cannot be addressed by a kustomize field path`);
      return `[${k}]`;
    })
    .join(".");
}

/**
 * The `replacements` of a preview folder's kustomization: every `pr-0-` in every string of its objects, except the
 * namespaces kustomize's namespace transformer sets itself (`metadata.namespace`, the Namespace object's name),
 * becomes the number in the folder's Namespace name. Replacements run after the namespace transformer, so with
 * ArgoCD's `kustomize.namespace: pr-N-<service>` that number is N; without it, 0 (the folder as committed).
 */
export function previewReplacements(objects: readonly { readonly file: string; readonly object: Readonly<Record<string, unknown>> }[]): Record<string, unknown>[] {
  const namespaces = objects.filter((o) => o.object.kind === "Namespace");
  if (namespaces.length !== 1) throw new Error(`${objects[0]?.file ?? "a preview folder"}: a preview folder needs exactly one Namespace object, not ${namespaces.length}`);
  // One target per object and part, listing every field where that part holds the number.
  const targets = new Map<string, { select: ReplacementTarget["select"]; fieldPaths: string[]; options: ReplacementTarget["options"] }>();
  for (const { object } of objects) {
    const [group, version] = String(object.apiVersion).includes("/") ? String(object.apiVersion).split("/") : ["", String(object.apiVersion)];
    const select = { ...(group ? { group } : {}), version: version!, kind: String(object.kind), name: String((object.metadata as { name?: unknown } | undefined)?.name ?? "") };
    // One path, pushed and popped as the walk goes: only a string holding the placeholder is looked at closely.
    const path: (string | number)[] = [];
    const walk = (value: unknown) => {
      if (typeof value === "string") {
        if (!value.includes(MARK)) return;
        const dotted = path.join(".");
        if (dotted === "metadata.namespace" || (object.kind === "Namespace" && dotted === "metadata.name")) return;
        for (const m of value.matchAll(PLACEHOLDER)) {
          // The number is the part after the dashes before it, the one in `pr-` included.
          const index = value.slice(0, m.index + 3).split("-").length - 1;
          const key = JSON.stringify([select, index]);
          const target = targets.get(key) ?? targets.set(key, { select, fieldPaths: [], options: { delimiter: "-", index } }).get(key)!;
          const at = fieldPath(path);
          if (!target.fieldPaths.includes(at)) target.fieldPaths.push(at);
        }
      } else if (Array.isArray(value))
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          walk(value[i]);
          path.pop();
        }
      else if (isObject(value))
        for (const k of Object.keys(value)) {
          path.push(k);
          walk(value[k]);
          path.pop();
        }
    };
    walk(object);
  }
  if (targets.size === 0) return [];
  return [{ source: { kind: "Namespace", fieldPath: "metadata.name", options: { delimiter: "-", index: 1 } }, targets: [...targets.values()] }];
}

/**
 * The ApplicationSet for previews, and the ExternalSecret that gives its pull-request generator a GitHub token.
 * None when nothing is previewed. The set is a matrix: the pull-request generator (open pull requests labelled
 * `preview`) × the preview folders git finds at each pull request's head commit, so a pull request that adds or
 * removes a service previews exactly the services it has. Project, cluster, sync options and finalizer are
 * literals from estate and tier data: nothing a pull request controls decides where an app may deploy.
 */
export function previewObjects(estate: ResolvedEstate): ArgoObject[] {
  const env = previewEnvironment(estate);
  const github = githubRepository(estate.repository.url);
  if (!env || !github || previewDeployments(estate).length === 0) return [];
  const folder = argocdFolder(estate);
  const account = accountOf(estate, env.account);
  const argocdAccount = accountOf(estate, estate.environments.find((e) => e.name === estate.argocdEnvironment)!.account);
  const name = `pr-{{.number}}-{{.path.basename}}`;
  const applicationSet: ArgoObject = {
    file: `${folder}/applicationset-${PREVIEW_APPLICATIONSET_NAME}.yaml`,
    sources: [estate.file, env.file],
    object: applicationSetObject(estate, PREVIEW_APPLICATIONSET_NAME, {
        generators: [
          {
            matrix: {
              generators: [
                {
                  pullRequest: {
                    github: { owner: github.owner, repo: github.repo, tokenRef: { secretName: PREVIEW_TOKEN.secretName, key: PREVIEW_TOKEN.key }, labels: [PREVIEW_LABEL] },
                    requeueAfterSeconds: PREVIEW_REQUEUE_SECONDS,
                  },
                },
                {
                  git: {
                    repoURL: estate.repository.url,
                    // The pull request's own tree: its preview folders, not main's.
                    revision: "{{.head_sha}}",
                    directories: [{ path: `generated/${env.account}/${PREVIEW_FOLDER}/*` }],
                  },
                },
              ],
            },
          },
        ],
        syncPolicy: {
          // Unlike the estate's set, this one deletes: a pull request that closes or loses the label takes its
          // Applications with it, and a new head commit updates them. A failed GitHub call fails the whole
          // reconcile before anything is deleted (argocd.md §1); a successful empty answer means no previews.
          applicationsSync: "sync",
        },
        template: {
          metadata: {
            name,
            labels: { [ENVIRONMENT_LABEL]: PREVIEW_FOLDER, [ACCOUNT_LABEL]: env.account, [PULL_REQUEST_LABEL]: "{{.number}}" },
            annotations: { [BRANCH_ANNOTATION]: "{{.branch}}" },
            // Deleting a preview Application deletes what it deployed, its Namespace (so everything in it) included.
            finalizers: [RESOURCES_FINALIZER],
          },
          spec: {
            // Their own project, which reaches pr-* only: the pull request's head decides what its folders render
            // (kustomize replacements included), so the project is what keeps it out of dev's and staging's namespaces.
            project: previewProjectName(env.account),
            source: { repoURL: estate.repository.url, targetRevision: "{{.head_sha}}", path: "{{.path.path}}", kustomize: { namespace: name } },
            destination: { server: account.cluster.server, namespace: name },
            syncPolicy: {
              // No RollingSync here: each preview syncs on its own as soon as it exists or its head moves.
              automated: { prune: true, selfHeal: true, allowEmpty: env.tier.sync.allowEmpty },
              syncOptions: [...env.tier.sync.syncOptions],
              retry: RETRY,
            },
          },
        },
    }),
  };
  const token: ArgoObject = {
    file: `${folder}/externalsecret-${PREVIEW_TOKEN.secretName}.yaml`,
    sources: [estate.file],
    object: {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: {
        name: PREVIEW_TOKEN.secretName,
        namespace: estate.argocdNamespace,
        // After the account's ClusterSecretStore (the external-secrets release, wave -5), before the set (0).
        annotations: { [SYNC_WAVE]: "-1" },
      },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: argocdAccount.secretStore.kind, name: argocdAccount.secretStore.name },
        target: {
          name: PREVIEW_TOKEN.secretName,
          creationPolicy: "Owner",
          deletionPolicy: "Retain",
          template: { metadata: { labels: { "argocd.argoproj.io/secret-type": "scm-creds" } } },
        },
        data: [{ secretKey: PREVIEW_TOKEN.key, remoteRef: { key: PREVIEW_TOKEN.remoteKey, property: PREVIEW_TOKEN.property } }],
      },
    },
  };
  return [applicationSet, token];
}

/** The previews' own project in their account: `<account>-preview`. */
export const previewProjectName = (account: string) => `${account}-${PREVIEW_FOLDER}`;

/**
 * Where previews run and who may act on them, for their own AppProject: the account's cluster, `pr-*` only, the
 * previewed tier's rights. Undefined when nothing is previewed.
 */
export function previewProjectAccess(estate: ResolvedEstate): { account: string; namespace: string; tier: ResolvedEnvironment["tier"]; file: string } | undefined {
  const env = previewEnvironment(estate);
  if (!env || !githubRepository(estate.repository.url) || previewDeployments(estate).length === 0) return undefined;
  return { account: env.account, namespace: PREVIEW_NAMESPACES, tier: env.tier, file: env.file };
}
