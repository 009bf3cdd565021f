/**
 * The platform's Applications and projects. Each platform release (component × account) is one Application with
 * two sources: the pinned Helm chart with its values, and the release's companion folder in this repository when it
 * has one. Each account's platform gets its own project (`<account>-platform`), reaching only that account's cluster
 * and only the platform's namespaces there, so prod's and nonprod's blast radii stay apart for the platform too.
 */
import type { PlatformRelease, ResolvedEstate } from "@gitops/model";

/** What the platform package built for one release (structurally its PlatformBuild). */
export interface PlatformApp {
  readonly release: PlatformRelease;
  readonly values: Record<string, unknown>;
  /** The companion folder relative to generated/, when the release has objects beside the chart. */
  readonly folder?: string;
  readonly labels: Readonly<Record<string, string>>;
}

const API = "argoproj.io/v1alpha1";
const SYNC_WAVE = "argocd.argoproj.io/sync-wave";
export const COMPONENT_LABEL = "gitops.dev/component";
export const platformProjectName = (account: string) => `${account}-platform`;

/**
 * One Application per release. Server-side apply because operator CRDs outgrow the annotation client-side apply
 * keeps; the namespace is created with the cost labels and the component's Pod Security level. No finalizer, on
 * purpose: removing a component from the estate must orphan, not cascade. Deleting cert-manager's or the
 * operator's CRDs would delete every Certificate, ExternalSecret and ServiceMonitor in the cluster with them.
 */
export function platformApplication(estate: ResolvedEstate, app: PlatformApp, podSecurity: string, retry: unknown): Record<string, unknown> {
  const r = app.release;
  const account = estate.accounts.find((a) => a.name === r.account)!;
  return {
    apiVersion: API,
    kind: "Application",
    metadata: {
      name: r.name,
      namespace: estate.argocdNamespace,
      labels: { "gitops.dev/account": r.account, [COMPONENT_LABEL]: r.component, ...app.labels },
      // Gated by argocd-cm's Application health check: the next wave starts once this release is Healthy.
      annotations: { [SYNC_WAVE]: String(r.wave) },
    },
    spec: {
      project: platformProjectName(r.account),
      sources: [
        { repoURL: r.chart.repoURL, chart: r.chart.chart, targetRevision: r.chart.version, helm: { releaseName: r.component, valuesObject: app.values } },
        ...(app.folder ? [{ repoURL: estate.repository.url, targetRevision: estate.repository.revision, path: `generated/${app.folder}` }] : []),
      ],
      destination: { server: account.cluster.server, namespace: r.namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ["CreateNamespace=true", "ServerSideApply=true"],
        managedNamespaceMetadata: { labels: { ...app.labels, "pod-security.kubernetes.io/enforce": podSecurity } },
        retry,
      },
    },
  };
}

/**
 * The account's platform project: the charts' repositories and this one; the account's cluster only, in the
 * platform's namespaces only; any kind, because operators install CRDs, cluster roles and webhooks that cannot be
 * listed before the charts render. Only the platform team changes these (CODEOWNERS), and only through git.
 */
export function platformProject(estate: ResolvedEstate, account: string, apps: readonly PlatformApp[]): Record<string, unknown> {
  const server = estate.accounts.find((a) => a.name === account)!.cluster.server;
  const repos = [...new Set(apps.map((a) => a.release.chart.repoURL))].sort();
  const namespaces = [...new Set(apps.map((a) => a.release.namespace))].sort();
  return {
    apiVersion: API,
    kind: "AppProject",
    metadata: { name: platformProjectName(account), namespace: estate.argocdNamespace, annotations: { [SYNC_WAVE]: "-10" }, finalizers: ["resources-finalizer.argocd.argoproj.io"] },
    spec: {
      sourceRepos: [...repos, estate.repository.url],
      destinations: namespaces.map((namespace) => ({ server, namespace })),
      clusterResourceWhitelist: [{ group: "*", kind: "*" }],
      namespaceResourceWhitelist: [{ group: "*", kind: "*" }],
    },
  };
}

/**
 * argocd-cm's health check for Applications (argocd.md §4): without it an Application CR is Healthy the moment it
 * exists, and the root app's waves (projects, then the platform in waves, then the ApplicationSet) order nothing.
 * Keys outside `data` here stay as the ArgoCD install set them (apply merges this key only).
 */
export const APPLICATION_HEALTH_LUA = [
  "hs = {}",
  'hs.status = "Progressing"',
  'hs.message = ""',
  "if obj.status ~= nil then",
  "  if obj.status.health ~= nil then",
  "    hs.status = obj.status.health.status",
  "    if obj.status.health.message ~= nil then",
  "      hs.message = obj.status.health.message",
  "    end",
  "  end",
  "end",
  "return hs",
  "",
].join("\n");
