/**
 * The platform for the whole estate: for every release the model resolved (component × account), its Helm values
 * and its companion objects, ready for the ArgoCD Application that installs it. Companion objects go to
 * generated/<account>/platform/<component>/, a folder no environment can claim ("platform" is a reserved
 * environment name), which the Application syncs as its second source.
 */
import type { PlatformRelease, ResolvedEstate } from "@gitops/model";
import pkg from "../package.json" with { type: "json" };
import { componentBases } from "./components.ts";
import type { ReleaseContext } from "./context.ts";

/** The annotation naming the base that rendered an object (the same one services' objects carry). */
const BASE_ANNOTATION = "gitops.dev/base";
const SYNC_WAVE = "argocd.argoproj.io/sync-wave";
const SYNC_OPTIONS = "argocd.argoproj.io/sync-options";
/** The folder under each account that holds platform objects. */
export const PLATFORM_FOLDER_NAME = "platform";

export interface PlatformObject {
  /** Path relative to generated/. */
  readonly file: string;
  readonly object: Record<string, unknown>;
  readonly sources: readonly string[];
}

export interface PlatformBuild {
  readonly release: PlatformRelease;
  /** The chart's values, identical in shape in every account. */
  readonly values: Record<string, unknown>;
  readonly objects: readonly PlatformObject[];
  /** Folder of the companion objects relative to generated/; absent when the release has none. */
  readonly folder?: string;
  /** Ownership and cost labels, for the Application and its namespace. */
  readonly labels: Readonly<Record<string, string>>;
}

export function renderPlatform(estate: ResolvedEstate): PlatformBuild[] {
  const p = estate.platform;
  return p.releases.map((release) => {
    const account = estate.accounts.find((a) => a.name === release.account)!;
    const labels = { account: account.name, "cost-center": p.costCenter, environment: PLATFORM_FOLDER_NAME, team: p.team };
    const deployments = estate.deployments.filter((d) => d.account === account.name);
    const sourcesOf = (d: (typeof deployments)[number]) => [
      ...estate.services.filter((s) => s.name === d.service).map((s) => s.file),
      ...estate.environments.filter((e) => e.name === d.environment).map((e) => e.file),
      estate.file,
    ];
    const ctx: ReleaseContext = { release, account, platform: p, deployments, sourcesOf, replicas: release.tier.replicas.min, resources: release.tier.resources, labels };
    const base = componentBases[release.component];
    const folder = `${account.name}/${PLATFORM_FOLDER_NAME}/${release.component}`;
    const objects = base.objects(ctx).map((c): PlatformObject => {
      // CRs whose CRDs the chart installs in the same sync: the first dry run cannot know the kind yet.
      const custom = c.apiVersion.includes(".") && !c.apiVersion.includes("k8s.io/");
      return {
        file: `${folder}/${c.kind.toLowerCase()}-${c.name}.yaml`,
        sources: c.sources ?? [estate.file],
        object: {
          apiVersion: c.apiVersion,
          kind: c.kind,
          metadata: {
            name: c.name,
            ...(c.clusterScoped ? {} : { namespace: release.namespace }),
            labels: { "app.kubernetes.io/managed-by": "gitops", "app.kubernetes.io/part-of": "platform", "app.kubernetes.io/component": release.component, ...labels, ...c.labels },
            annotations: {
              [BASE_ANNOTATION]: `${pkg.name}/${release.component}@${pkg.version}`,
              // After the chart's own resources are healthy (its webhooks serve), as ArgoCD waits between waves.
              [SYNC_WAVE]: "1",
              ...(custom ? { [SYNC_OPTIONS]: "SkipDryRunOnMissingResource=true" } : {}),
              ...c.annotations,
            },
          },
          ...c.body,
        },
      };
    });
    return { release, values: base.values(ctx), objects, ...(objects.length > 0 ? { folder } : {}), labels };
  });
}
