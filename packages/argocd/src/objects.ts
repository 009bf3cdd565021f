/**
 * ArgoCD's own objects for the estate, built as plain data: one AppProject per account, one ApplicationSet that
 * rolls every environment out in health-gated RollingSync steps, the setting that enables those steps, and the
 * root Application a person applies once. Every choice below is driven by estate and tier data.
 */
import type { ResolvedEnvironment, ResolvedEstate } from "@gitops/model";

/** One object bound for generated/: path relative to generated/, body, and the sources it came from. */
export interface ArgoObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
  readonly sources: readonly string[];
}

/** The workload objects the generator rendered, which decide what each project may deploy. */
export interface EmittedObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
}

/** The label RollingSync steps select on; put on Applications through the template. */
export const ENVIRONMENT_LABEL = "gitops.dev/environment";
export const ACCOUNT_LABEL = "gitops.dev/account";
export const WAVE_ANNOTATION = "gitops.dev/wave";
export const APPLICATIONSET_NAME = "estate";
export const ROOT_APP_NAME = "estate-root";
const API = "argoproj.io/v1alpha1";
const SYNC_WAVE = "argocd.argoproj.io/sync-wave";

/** Kinds that are cluster-scoped, so they go in clusterResourceWhitelist rather than the namespaced list. */
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "ClusterSecretStore", "ClusterIssuer", "PriorityClass", "StorageClass", "IngressClass"]);

/** Where ArgoCD's objects live: generated/<account>/<env>/argocd/. */
export function argocdFolder(estate: ResolvedEstate): string {
  const env = estate.environments.find((e) => e.name === estate.argocdEnvironment)!;
  return `${env.account}/${env.name}/argocd`;
}

/** The API server of the cluster ArgoCD runs in, as registered in the estate. */
function argocdServer(estate: ResolvedEstate): string {
  const env = estate.environments.find((e) => e.name === estate.argocdEnvironment)!;
  return estate.accounts.find((a) => a.name === env.account)!.cluster.server;
}

/** Environments in rollout order: the order of RollingSync steps. */
const inWaveOrder = (estate: ResolvedEstate): ResolvedEnvironment[] => [...estate.environments].sort((a, b) => a.wave - b.wave || (a.name < b.name ? -1 : 1));

interface GroupKind {
  group: string;
  kind: string;
}

function kindsOf(objects: readonly EmittedObject[]): { cluster: GroupKind[]; namespaced: GroupKind[] } {
  const seen = new Map<string, GroupKind & { cluster: boolean }>();
  for (const { object } of objects) {
    const apiVersion = String(object.apiVersion);
    const kind = String(object.kind);
    const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
    seen.set(`${group}/${kind}`, { group, kind, cluster: CLUSTER_SCOPED.has(kind) });
  }
  const sorted = [...seen.values()].sort((a, b) => (a.group + "/" + a.kind < b.group + "/" + b.kind ? -1 : 1));
  const strip = ({ group, kind }: GroupKind) => ({ group, kind });
  return { cluster: sorted.filter((k) => k.cluster).map(strip), namespaced: sorted.filter((k) => !k.cluster).map(strip) };
}

/**
 * One project per account. Destinations: exactly the account's cluster and the namespaces of its environments,
 * never `*` or `!` for the cluster. Resources: exactly the kinds rendered for that account (or, for an account with
 * nothing yet, the kinds any workload renders), never an empty list. Roles from tier data: where the tier is not
 * paged people may sync; where it allows debug they may exec. A paged tier is read-only: changes come through git.
 */
function appProject(estate: ResolvedEstate, account: ResolvedEstate["accounts"][number], objects: readonly EmittedObject[]): ArgoObject {
  const envs = inWaveOrder(estate).filter((e) => e.account === account.name);
  const own = objects.filter((o) => o.file.startsWith(`${account.name}/`));
  const kinds = kindsOf(own.length > 0 ? own : objects);
  const teams = [...new Set(estate.deployments.filter((d) => d.account === account.name).map((d) => d.team))].sort();
  const policies: string[] = [`p, proj:${account.name}:team, applications, get, ${account.name}/*, allow`];
  for (const e of envs) {
    if (!e.tier.pager) policies.push(`p, proj:${account.name}:team, applications, sync, ${account.name}/${e.name}-*, allow`);
    if (e.tier.debug) policies.push(`p, proj:${account.name}:team, exec, create, ${account.name}/${e.name}-*, allow`);
  }
  return {
    file: `${argocdFolder(estate)}/appproject-${account.name}.yaml`,
    sources: [estate.file],
    object: {
      apiVersion: API,
      kind: "AppProject",
      metadata: {
        name: account.name,
        namespace: estate.argocdNamespace,
        annotations: { [SYNC_WAVE]: "-1" },
        // Blocks deleting a project while Applications still use it.
        finalizers: ["resources-finalizer.argocd.argoproj.io"],
      },
      // No spec.description / role description: real ArgoCD has them, but @kubernetes-models/argo-cd's schema
      // lost every field named "description", and we keep every object passing the unknown-field check.
      spec: {
        sourceRepos: [estate.repository.url],
        destinations: envs.map((e) => ({ server: account.cluster.server, namespace: `${e.name}-*` })),
        clusterResourceWhitelist: kinds.cluster.length > 0 ? kinds.cluster : [{ group: "", kind: "Namespace" }],
        namespaceResourceWhitelist: kinds.namespaced,
        orphanedResources: { warn: true },
        roles: [
          {
            // Service teams: view; sync where the tier is not paged; exec where it allows debugging.
            name: "team",
            policies,
            groups: teams.map((t) => `team:${t}`),
          },
        ],
      },
    },
  };
}

/**
 * The ApplicationSet: a matrix of (one list element per environment, carrying only estate data) × (the service
 * folders git finds under that environment). RollingSync steps follow the waves and wait for health.
 */
function applicationSet(estate: ResolvedEstate): ArgoObject {
  const envs = inWaveOrder(estate);
  const accounts = new Map(estate.accounts.map((a) => [a.name, a]));
  const folder = argocdFolder(estate);
  return {
    file: `${folder}/applicationset-${APPLICATIONSET_NAME}.yaml`,
    sources: [estate.file, ...envs.map((e) => e.file)],
    object: {
      apiVersion: API,
      kind: "ApplicationSet",
      metadata: { name: APPLICATIONSET_NAME, namespace: estate.argocdNamespace, annotations: { [SYNC_WAVE]: "0" } },
      spec: {
        goTemplate: true,
        goTemplateOptions: ["missingkey=error"],
        generators: [
          {
            matrix: {
              generators: [
                {
                  list: {
                    elements: envs.map((e) => ({
                      environment: e.name,
                      account: e.account,
                      project: e.account,
                      server: accounts.get(e.account)!.cluster.server,
                      wave: String(e.wave),
                      allowEmpty: e.tier.sync.allowEmpty,
                      syncOptions: [...e.tier.sync.syncOptions],
                    })),
                  },
                },
                {
                  git: {
                    repoURL: estate.repository.url,
                    revision: estate.repository.revision,
                    directories: [
                      { path: "generated/{{.account}}/{{.environment}}/*" },
                      // ArgoCD's own folder is the root app's, never an environment app.
                      { path: `generated/${folder}`, exclude: true },
                    ],
                  },
                },
              ],
            },
          },
        ],
        strategy: {
          type: "RollingSync",
          rollingSync: {
            steps: envs.map((e) => ({
              matchExpressions: [{ key: ENVIRONMENT_LABEL, operator: "In", values: [e.name] }],
              ...(e.tier.sync.maxUpdate !== "100%" ? { maxUpdate: e.tier.sync.maxUpdate } : {}),
            })),
          },
        },
        // Deleting the ApplicationSet, or a generator that transiently finds nothing, must never cascade into
        // deleting workloads: the controller then adds no resources-finalizer, and apps it removes leave their
        // resources in place. Decommissioning a service is a deliberate `argocd app delete --cascade`.
        syncPolicy: { preserveResourcesOnDeletion: true },
        template: {
          metadata: {
            name: "{{.environment}}-{{.path.basename}}",
            labels: { [ENVIRONMENT_LABEL]: "{{.environment}}", [ACCOUNT_LABEL]: "{{.account}}" },
            annotations: { [WAVE_ANNOTATION]: "{{.wave}}" },
          },
          spec: {
            project: "{{.project}}",
            source: { repoURL: estate.repository.url, targetRevision: estate.repository.revision, path: "{{.path.path}}" },
            destination: { server: "{{.server}}", namespace: "{{.environment}}-{{.path.basename}}" },
            syncPolicy: {
              automated: { prune: true, selfHeal: true },
              retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
            },
          },
        },
        // Booleans and lists cannot be templated in `template`; the patch carries each environment's own.
        templatePatch: [
          "spec:",
          "  syncPolicy:",
          "    automated:",
          "      allowEmpty: {{ .allowEmpty }}",
          "    syncOptions: {{ toJson .syncOptions }}",
          "",
        ].join("\n"),
      },
    },
  };
}

/** Without this the controller silently ignores `strategy` (argocd.md §3). Restart the ApplicationSet controller after the first apply. */
function cmdParams(estate: ResolvedEstate): ArgoObject {
  return {
    file: `${argocdFolder(estate)}/configmap-argocd-cmd-params-cm.yaml`,
    sources: [estate.file],
    object: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "argocd-cmd-params-cm",
        namespace: estate.argocdNamespace,
        labels: { "app.kubernetes.io/name": "argocd-cmd-params-cm", "app.kubernetes.io/part-of": "argocd" },
        annotations: { [SYNC_WAVE]: "-2" },
      },
      data: { "applicationsetcontroller.enable.progressive.syncs": "true" },
    },
  };
}

/**
 * The app of apps, applied once by hand: it syncs this folder, so from then on ArgoCD manages its own settings,
 * projects and ApplicationSet from git (itself included). No finalizer: deleting the root must not cascade into
 * the projects and the ApplicationSet. It uses the built-in `default` project, which exists on a fresh ArgoCD.
 */
function rootApp(estate: ResolvedEstate): ArgoObject {
  return {
    file: `${argocdFolder(estate)}/application-${ROOT_APP_NAME}.yaml`,
    sources: [estate.file],
    object: {
      apiVersion: API,
      kind: "Application",
      metadata: { name: ROOT_APP_NAME, namespace: estate.argocdNamespace, annotations: { [SYNC_WAVE]: "0" } },
      spec: {
        project: "default",
        source: { repoURL: estate.repository.url, targetRevision: estate.repository.revision, path: `generated/${argocdFolder(estate)}` },
        destination: { server: argocdServer(estate), namespace: estate.argocdNamespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ["PruneLast=true"],
          retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
        },
      },
    },
  };
}

/** ArgoCD's objects for the estate, given the workload objects the generator rendered. */
export function argocdObjects(estate: ResolvedEstate, emitted: readonly EmittedObject[]): ArgoObject[] {
  return [...estate.accounts.map((a) => appProject(estate, a, emitted)), applicationSet(estate), cmdParams(estate), rootApp(estate)];
}
