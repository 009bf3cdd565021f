/**
 * ArgoCD's own objects for the estate, built as plain data from the resolved model and the objects the generator
 * rendered: one AppProject per account ArgoCD deploys to, one ApplicationSet that rolls every environment out in
 * health-gated RollingSync steps, the controller settings those steps need, and the root Application a person
 * applies once. Every difference between environments comes from estate, environment and tier data.
 */
import { components, type ResolvedAccount, type ResolvedEnvironment, type ResolvedEstate } from "@gitops/model";
import { APPLICATION_HEALTH_LUA, platformApplication, platformProject, type PlatformApp } from "./platform.ts";
import { PREVIEW_FOLDER, previewObjects, previewProjectAccess, previewProjectName } from "./preview.ts";

/** One object bound for generated/: path relative to generated/, body, and the sources it came from. */
export interface ArgoObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
  readonly sources: readonly string[];
}

/** A rendered workload object, path relative to generated/ (`<account>/<env>/<service>/<file>`). */
export interface EmittedObject {
  readonly file: string;
  readonly object: Readonly<Record<string, unknown>>;
}

/**
 * What ArgoCD's projects read of the rendered workloads: the kinds in each folder (a project's whitelists are the
 * kinds under its account's folders). The incremental generate keeps this per deployment instead of its objects.
 * Folders may repeat, and so may kinds; a `kinds` array shared by many folders is read once per project.
 */
export interface FolderKinds {
  /** Folder relative to generated/ (`<account>/<env>/<service>`; "" for the top). */
  readonly folder: string;
  /** `[apiVersion, kind]` of each object in it. */
  readonly kinds: readonly (readonly [string, string])[];
}

/** The kinds of rendered objects, by folder, in the order the folders first come. */
export function folderKinds(objects: readonly EmittedObject[]): FolderKinds[] {
  const by = new Map<string, [string, string][]>();
  for (const { file, object } of objects) {
    const folder = file.slice(0, Math.max(0, file.lastIndexOf("/")));
    let kinds = by.get(folder);
    if (!kinds) by.set(folder, (kinds = []));
    kinds.push([String(object.apiVersion), String(object.kind)]);
  }
  return [...by].map(([folder, kinds]) => ({ folder, kinds }));
}

/** The Application label RollingSync steps select on (steps match Applications' own labels, argocd.md §3). */
export const ENVIRONMENT_LABEL = "gitops.dev/environment";
export const ACCOUNT_LABEL = "gitops.dev/account";
/** The environment's wave on each Application, for people and `gitops apps`; ArgoCD orders by the steps, not by this. */
export const WAVE_ANNOTATION = "gitops.dev/wave";
export const APPLICATIONSET_NAME = "estate";
export const ROOT_APP_NAME = "estate-root";
/** The folder name under generated/<account>/<env>/ that holds ArgoCD's objects; no service may take it. */
export const ARGOCD_FOLDER_NAME = "argocd";
export const RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io";
const API = "argoproj.io/v1alpha1";
const SYNC_WAVE = "argocd.argoproj.io/sync-wave";

/**
 * Retry for failed syncs: ArgoCD's default backoff is 5 s ×2 up to 3 min with no limit set; five tries with a
 * slower start give a transient API or webhook outage ~10 min to clear before the app shows as failed.
 */
export const RETRY = { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } } as const;

/**
 * The cluster-scoped kinds anything here renders, as Go's GroupKind.String() spells them (`Kind.group`, the core
 * group bare): these go in clusterResourceWhitelist, everything else in the namespaced list. Qualified by group,
 * because ArgoCD matches whitelists on group and kind and a custom resource may reuse a built-in kind's name.
 * Without a cluster there is no API discovery to ask, so a new cluster-scoped kind must be added here; the checks
 * report an object whose metadata.namespace disagrees with this list.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  "Namespace",
  "PersistentVolume",
  "ClusterRole.rbac.authorization.k8s.io",
  "ClusterRoleBinding.rbac.authorization.k8s.io",
  "CustomResourceDefinition.apiextensions.k8s.io",
  "ValidatingWebhookConfiguration.admissionregistration.k8s.io",
  "MutatingWebhookConfiguration.admissionregistration.k8s.io",
  "ValidatingAdmissionPolicy.admissionregistration.k8s.io",
  "ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io",
  "APIService.apiregistration.k8s.io",
  "PriorityClass.scheduling.k8s.io",
  "RuntimeClass.node.k8s.io",
  "StorageClass.storage.k8s.io",
  "IngressClass.networking.k8s.io",
  // The platform's operators' own (packages/platform).
  "ClusterIssuer.cert-manager.io",
  "ClusterSecretStore.external-secrets.io",
  "ClusterExternalSecret.external-secrets.io",
]);

/** Whether a group/kind is cluster-scoped (CLUSTER_SCOPED_KINDS); the core group is "". */
export const isClusterScoped = (gk: { readonly group: string; readonly kind: string }): boolean => CLUSTER_SCOPED_KINDS.has(gk.group === "" ? gk.kind : `${gk.kind}.${gk.group}`);

const environmentNamed = (estate: ResolvedEstate, name: string): ResolvedEnvironment => {
  const env = estate.environments.find((e) => e.name === name);
  if (!env) throw new Error(`no environment ${name}`);
  return env;
};
const accountNamed = (estate: ResolvedEstate, name: string): ResolvedAccount => {
  const account = estate.accounts.find((a) => a.name === name);
  if (!account) throw new Error(`no account ${name}`);
  return account;
};

/** Where ArgoCD's objects live, relative to generated/: generated/<account>/<env>/argocd/ of `argocdEnvironment`. */
export function argocdFolder(estate: ResolvedEstate): string {
  const env = environmentNamed(estate, estate.argocdEnvironment);
  return `${env.account}/${env.name}/${ARGOCD_FOLDER_NAME}`;
}

/** The account whose cluster runs ArgoCD: its project also holds the root app and ArgoCD's own objects. */
const argocdAccount = (estate: ResolvedEstate): ResolvedAccount => accountNamed(estate, environmentNamed(estate, estate.argocdEnvironment).account);

/**
 * Every environment in rollout order (wave, then name): one list element and one RollingSync step each. An
 * environment with no service yet has an empty step, which the controller passes at once (v2.13–v3.5).
 */
export function rolloutEnvironments(estate: ResolvedEstate): ResolvedEnvironment[] {
  return [...estate.environments].sort((a, b) => a.wave - b.wave || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

const groupOf = (apiVersion: unknown) => {
  const v = String(apiVersion);
  return v.includes("/") ? v.slice(0, v.indexOf("/")) : "";
};
const byGroupKind = (a: GroupKind, b: GroupKind) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0);

/** The distinct group/kinds of some `[apiVersion, kind]`s, split by scope and sorted, for a project's whitelists. */
function kindsOf(kinds: Iterable<readonly [string, string]>): { cluster: GroupKind[]; namespaced: GroupKind[] } {
  const seen = new Map<string, GroupKind>();
  for (const [apiVersion, kind] of kinds) {
    const group = groupOf(apiVersion);
    seen.set(`${group}/${kind}`, { group, kind });
  }
  const all = [...seen.values()].sort(byGroupKind);
  return { cluster: all.filter(isClusterScoped), namespaced: all.filter((k) => !isClusterScoped(k)) };
}

/**
 * One project per account. Destinations: only the account's cluster (its exact server; never `*`, never `!`,
 * argocd.md §6) and only its environments' namespaces (`<env>-*`), plus ArgoCD's namespace for the account
 * that runs ArgoCD. Sources: only this repository. Resources: exactly the kinds rendered into the account's
 * folders, plus Namespace where a tier syncs with `CreateNamespace=true` (ArgoCD checks that namespace against
 * the whitelist too). Roles from tier data: people may view; sync where the tier is not paged; exec where it
 * allows debugging. A paged tier grants no sync and no override: its changes come only through git.
 */
function appProject(estate: ResolvedEstate, account: ResolvedAccount, objects: Iterable<readonly [string, string]>, hostsArgocd: boolean): ArgoObject {
  const envs = rolloutEnvironments(estate).filter((e) => e.account === account.name);
  const kinds = kindsOf(objects);
  if (kinds.namespaced.length === 0) throw new Error(`account ${account.name} deploys no namespaced kind, so its project would permit nothing`);
  if (envs.some((e) => e.tier.sync.syncOptions.includes("CreateNamespace=true")) && !kinds.cluster.some((k) => k.group === "" && k.kind === "Namespace"))
    kinds.cluster = [...kinds.cluster, { group: "", kind: "Namespace" }].sort(byGroupKind);
  const subject = `proj:${account.name}:team`;
  const policies = [`p, ${subject}, applications, get, ${account.name}/*, allow`];
  for (const e of envs) {
    if (!e.tier.pager) policies.push(`p, ${subject}, applications, sync, ${account.name}/${e.name}-*, allow`);
    if (e.tier.debug) policies.push(`p, ${subject}, exec, create, ${account.name}/${e.name}-*, allow`);
  }
  const groups = [...new Set(estate.deployments.filter((d) => d.account === account.name).map((d) => `team:${d.team}`))].sort();
  return {
    file: `${argocdFolder(estate)}/appproject-${account.name}.yaml`,
    sources: [estate.file, ...envs.map((e) => e.file)],
    object: {
      apiVersion: API,
      kind: "AppProject",
      metadata: {
        name: account.name,
        namespace: estate.argocdNamespace,
        // Before the platform (waves -5…-3) and the ApplicationSet (wave 0) that refer to projects.
        annotations: { [SYNC_WAVE]: "-10" },
        // ArgoCD refuses to delete a project while Applications still use it (argocd.md §8).
        finalizers: [RESOURCES_FINALIZER],
      },
      // No description fields: ArgoCD has them, but @kubernetes-models/argo-cd's schema does not, and every
      // object here must pass the unknown-field check.
      spec: {
        sourceRepos: [estate.repository.url],
        destinations: [
          ...envs.map((e) => ({ server: account.cluster.server, namespace: `${e.name}-*` })),
          ...(hostsArgocd ? [{ server: account.cluster.server, namespace: estate.argocdNamespace }] : []),
        ],
        // Omitted when nothing cluster-scoped is deployed: an absent cluster whitelist permits no such kind.
        ...(kinds.cluster.length > 0 ? { clusterResourceWhitelist: kinds.cluster } : {}),
        // Never omitted (that would permit every kind) and never empty (that permits none).
        namespaceResourceWhitelist: kinds.namespaced,
        // A role without groups grants nothing; leave it out rather than emit an inert one.
        ...(groups.length > 0 ? { roles: [{ name: "team", policies, groups }] } : {}),
      },
    },
  };
}

/**
 * The previews' project, `<account>-preview` (preview.ts): the account's cluster and `pr-*` namespaces only, this
 * repository only, exactly the kinds the preview folders render, and the previewed tier's rights. Kept apart from the
 * account's project because a labelled pull request's head decides what its folders render: whatever it writes, it
 * cannot reach dev's or staging's namespaces.
 */
function previewAppProject(estate: ResolvedEstate, objects: Iterable<readonly [string, string]>): ArgoObject | undefined {
  const access = previewProjectAccess(estate);
  if (!access) return undefined;
  const account = accountNamed(estate, access.account);
  const name = previewProjectName(account.name);
  const kinds = kindsOf(objects);
  if (access.tier.sync.syncOptions.includes("CreateNamespace=true") && !kinds.cluster.some((k) => k.group === "" && k.kind === "Namespace"))
    kinds.cluster = [...kinds.cluster, { group: "", kind: "Namespace" }].sort(byGroupKind);
  const subject = `proj:${name}:team`;
  const policies = [`p, ${subject}, applications, get, ${name}/*, allow`];
  if (!access.tier.pager) policies.push(`p, ${subject}, applications, sync, ${name}/*, allow`);
  if (access.tier.debug) policies.push(`p, ${subject}, exec, create, ${name}/*, allow`);
  const groups = [...new Set(estate.deployments.filter((d) => d.account === account.name).map((d) => `team:${d.team}`))].sort();
  return {
    file: `${argocdFolder(estate)}/appproject-${name}.yaml`,
    sources: [estate.file, access.file],
    object: {
      apiVersion: API,
      kind: "AppProject",
      metadata: { name, namespace: estate.argocdNamespace, annotations: { [SYNC_WAVE]: "-10" }, finalizers: [RESOURCES_FINALIZER] },
      spec: {
        sourceRepos: [estate.repository.url],
        destinations: [{ server: account.cluster.server, namespace: access.namespace }],
        ...(kinds.cluster.length > 0 ? { clusterResourceWhitelist: kinds.cluster } : {}),
        namespaceResourceWhitelist: kinds.namespaced,
        ...(groups.length > 0 ? { roles: [{ name: "team", policies, groups }] } : {}),
      },
    },
  };
}

/**
 * An ApplicationSet as both of ours are written (the estate's and the previews'): in ArgoCD's namespace at wave 0,
 * with Go templates that fail on a missing key instead of rendering it empty. `spec` is the rest of its spec.
 */
export function applicationSetObject(estate: ResolvedEstate, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: API,
    kind: "ApplicationSet",
    metadata: { name, namespace: estate.argocdNamespace, annotations: { [SYNC_WAVE]: "0" } },
    spec: { goTemplate: true, goTemplateOptions: ["missingkey=error"], ...spec },
  };
}

/**
 * The ApplicationSet: a matrix of a list (one element per environment, carrying only estate and tier data: the
 * project never comes from anything a service author edits) × the service folders git finds for that element.
 * RollingSync steps follow the waves and wait for health; the template carries what every app shares and
 * `templatePatch` what differs per environment, since booleans and lists cannot be templated in `template`.
 */
function applicationSet(estate: ResolvedEstate, envs: readonly ResolvedEnvironment[]): ArgoObject {
  const folder = argocdFolder(estate);
  return {
    file: `${folder}/applicationset-${APPLICATIONSET_NAME}.yaml`,
    sources: [estate.file, ...envs.map((e) => e.file)],
    object: applicationSetObject(estate, APPLICATIONSET_NAME, {
        generators: [
          {
            matrix: {
              generators: [
                {
                  list: {
                    elements: envs.map((e) => ({
                      env: e.name,
                      account: e.account,
                      project: e.account,
                      server: accountNamed(estate, e.account).cluster.server,
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
                      // path.Match: `*` is exactly one segment, so this is one folder per service, never deeper.
                      { path: "generated/{{.account}}/{{.env}}/*" },
                      // ArgoCD's own folder belongs to the root app, never to an environment app.
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
        syncPolicy: {
          // The controller never deletes an Application: a generator that transiently finds nothing, or a
          // service dropped from config, leaves its Application in place (showing the missing path) until a
          // person deletes it on purpose (argocd.md §9.8). cmd-params enables the per-set override.
          applicationsSync: "create-update",
          // And no resources-finalizer on generated apps: if the ApplicationSet itself is deleted (garbage
          // collection ignores applicationsSync), its Applications go but every workload keeps running, and a
          // re-created set adopts them again. Deleting a service's resources is an explicit cascade delete.
          preserveResourcesOnDeletion: true,
        },
        template: {
          metadata: {
            name: "{{.env}}-{{.path.basename}}",
            labels: { [ENVIRONMENT_LABEL]: "{{.env}}", [ACCOUNT_LABEL]: "{{.account}}" },
            annotations: { [WAVE_ANNOTATION]: "{{.wave}}" },
          },
          spec: {
            project: "{{.project}}",
            source: { repoURL: estate.repository.url, targetRevision: estate.repository.revision, path: "{{.path.path}}" },
            destination: { server: "{{.server}}", namespace: "{{.env}}-{{.path.basename}}" },
            syncPolicy: {
              // RollingSync turns automated sync off on these apps and syncs them itself, keeping `prune`.
              automated: { prune: true, selfHeal: true },
              retry: RETRY,
            },
          },
        },
        templatePatch: ["spec:", "  syncPolicy:", "    automated:", "      allowEmpty: {{ .allowEmpty }}", "    syncOptions: {{ toJson .syncOptions }}", ""].join("\n"),
    }),
  };
}

/**
 * ApplicationSet controller settings (argocd-cmd-params-cm keys; restart the controller after changing them).
 * Without the first, ArgoCD silently ignores `strategy` and syncs every environment at once (argocd.md §3).
 */
function cmdParams(estate: ResolvedEstate): ArgoObject {
  return argocdConfigMap(estate, "argocd-cmd-params-cm", {
    "applicationsetcontroller.enable.progressive.syncs": "true",
    // Safe by default for any ApplicationSet: create and update, never delete Applications...
    "applicationsetcontroller.policy": "create-update",
    // ...while a set's own syncPolicy.applicationsSync still decides (the estate's says the same; the previews'
    // set says sync, so that a closed pull request's Applications go).
    "applicationsetcontroller.enable.policy.override": "true",
    // A pull-request generator's tokenRef may read only Secrets labelled argocd.argoproj.io/secret-type:
    // scm-creds (v2.14+; ignored before), not any Secret in ArgoCD's namespace.
    "applicationsetcontroller.enable.tokenref.strict.mode": "true",
  });
}

/**
 * One of ArgoCD's settings ConfigMaps, first in the root app's sync (wave -20). Applying it sets the keys given here
 * and leaves the others as the ArgoCD install set them.
 */
function argocdConfigMap(estate: ResolvedEstate, name: string, data: Record<string, string>): ArgoObject {
  return {
    file: `${argocdFolder(estate)}/configmap-${name}.yaml`,
    sources: [estate.file],
    object: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name,
        namespace: estate.argocdNamespace,
        labels: { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "argocd" },
        annotations: { [SYNC_WAVE]: "-20" },
      },
      data,
    },
  };
}

/** argocd-cm with the Application health check the root app's waves need (see platform.ts). */
function argocdCm(estate: ResolvedEstate): ArgoObject {
  return argocdConfigMap(estate, "argocd-cm", {
    // Annotation tracking (argocd.md §8; the v3 default, not v2's): label tracking overwrites
    // app.kubernetes.io/instance, which the platform's charts select on (their ServiceMonitors, for one).
    "application.resourceTrackingMethod": "annotation",
    "resource.customizations.health.argoproj.io_Application": APPLICATION_HEALTH_LUA,
  });
}

/**
 * The app of apps, applied once by hand: it syncs ArgoCD's folder, so from then on ArgoCD manages its own
 * settings, projects and ApplicationSet from git, itself included. It lives in the project of the account that
 * runs ArgoCD. No finalizer: deleting the root app must never cascade into the projects and the ApplicationSet.
 */
function rootApp(estate: ResolvedEstate): ArgoObject {
  const account = argocdAccount(estate);
  return {
    file: `${argocdFolder(estate)}/application-${ROOT_APP_NAME}.yaml`,
    sources: [estate.file],
    object: {
      apiVersion: API,
      kind: "Application",
      // No sync-wave: on an Application CR it would order nothing without a health check for Applications.
      metadata: { name: ROOT_APP_NAME, namespace: estate.argocdNamespace },
      spec: {
        project: account.name,
        source: { repoURL: estate.repository.url, targetRevision: estate.repository.revision, path: `generated/${argocdFolder(estate)}` },
        destination: { server: account.cluster.server, namespace: estate.argocdNamespace },
        // Not allowEmpty: a commit that empties this folder cannot prune ArgoCD's own configuration.
        syncPolicy: { automated: { prune: true, selfHeal: true }, retry: RETRY },
      },
    },
  };
}

/**
 * ArgoCD's objects for the estate, given the kinds the generator rendered into each folder (which decide each
 * project's resource whitelists). An account gets a project once something is deployed to it (or it runs
 * ArgoCD): a project with nothing to permit would need an empty whitelist, which ArgoCD reads as "nothing".
 */
export function argocdObjects(
  estate: ResolvedEstate,
  rendered: readonly FolderKinds[],
  platform: readonly PlatformApp[] = [],
  others: readonly ArgoObject[] = argocdEstateObjects(estate, platform),
): ArgoObject[] {
  const folder = argocdFolder(estate);
  const under = (w: FolderKinds, prefix: string) => `${w.folder}/`.startsWith(prefix);
  const taken = rendered.find((w) => w.kinds.length > 0 && under(w, `${folder}/`));
  if (taken) throw new Error(`${taken.folder}/: a service renders into ${folder}/, which holds ArgoCD's objects — rename the service`);
  const host = argocdAccount(estate);
  const access = previewProjectAccess(estate);
  // Each folder counts for one project at most: its account's, or the previews' (an account's platform folder
  // belongs to the platform's projects). A kinds array many folders share is collected once per project.
  const byProject = new Map<string, Set<FolderKinds["kinds"]>>();
  for (const w of rendered) {
    const slash = w.folder.indexOf("/");
    const account = slash < 0 ? w.folder : w.folder.slice(0, slash);
    const project =
      access && under(w, `${access.account}/${PREVIEW_FOLDER}/`) ? PREVIEW_FOLDER
      : under(w, `${account}/platform/`) || under(w, `${account}/${PREVIEW_FOLDER}/`) ? undefined
      : account;
    if (project === undefined) continue;
    let kinds = byProject.get(project);
    if (!kinds) byProject.set(project, (kinds = new Set()));
    kinds.add(w.kinds);
  }
  const kindsFor = (project: string) => [...(byProject.get(project) ?? [])].flat();
  const projects = estate.accounts
    .filter((a) => a.name === host.name || estate.deployments.some((d) => d.account === a.name))
    .map((a) => {
      // The account running ArgoCD also deploys ArgoCD's own objects, projects included, through the root app.
      const argo: [string, string][] = a.name === host.name ? [...others.map((o) => [String(o.object.apiVersion), String(o.object.kind)] as [string, string]), [API, "AppProject"]] : [];
      return appProject(estate, a, [...kindsFor(a.name), ...argo], a.name === host.name);
    });
  const preview = access ? previewAppProject(estate, kindsFor(PREVIEW_FOLDER)) : undefined;
  return [...projects, ...(preview ? [preview] : []), ...others];
}

/**
 * ArgoCD's objects that do not depend on the rendered workloads (everything but the projects, whose whitelists do):
 * the ApplicationSets, the previews', ArgoCD's config, the root app and the platform's projects and Applications,
 * in the order `argocdObjects` lists them after the projects. Known before any workload is rendered.
 */
export function argocdEstateObjects(estate: ResolvedEstate, platform: readonly PlatformApp[] = []): ArgoObject[] {
  const folder = argocdFolder(estate);
  const platformApps: ArgoObject[] = platform.map((app) => ({
    file: `${folder}/application-${app.release.name}.yaml`,
    sources: [estate.file],
    object: platformApplication(estate, app, components[app.release.component].podSecurity, RETRY),
  }));
  const platformProjects: ArgoObject[] = [...new Set(platform.map((a) => a.release.account))].sort().map((account) => ({
    file: `${folder}/appproject-${account}-platform.yaml`,
    sources: [estate.file],
    object: platformProject(estate, account, platform.filter((a) => a.release.account === account)),
  }));
  return [applicationSet(estate, rolloutEnvironments(estate)), ...previewObjects(estate), cmdParams(estate), ...(platform.length > 0 ? [argocdCm(estate)] : []), rootApp(estate), ...platformProjects, ...platformApps];
}
