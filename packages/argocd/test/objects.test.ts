/**
 * ArgoCD's objects as files (YAML snapshots of the fixture estates, which change only when the generator does)
 * and as data: every difference between environments comes from estate and tier data, never from a name.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Build } from "@gitops/generator";
import type { ResolvedEstate } from "@gitops/model";
import { argocdFolder, argocdObjects, ENVIRONMENT_LABEL, folderKinds, platformProjectName } from "../src/index.ts";
import { buildEstate, check } from "./support.ts";

let three: Build;
let minimal: Build;
beforeAll(async () => {
  [three, minimal] = await Promise.all([buildEstate("three-accounts"), buildEstate("minimal")]);
});

describe("rendered ArgoCD YAML (file snapshots)", () => {
  it.each(["three-accounts", "minimal"] as const)("%s: every file of ArgoCD's folder", async (name) => {
    const b = name === "minimal" ? minimal : three;
    const folder = argocdFolder(b.estate);
    const files = [...b.files].filter(([f]) => f.startsWith(`${folder}/`));
    const releases = b.estate.platform.releases;
    expect(releases.length).toBeGreaterThan(0);
    // Sorted as the files are: the platform's Applications and projects among the rest, argocd-cm for their waves.
    expect(files.map(([f]) => f.slice(folder.length + 1))).toEqual(
      [
        "application-estate-root.yaml",
        ...releases.map((r) => `application-${r.name}.yaml`),
        "applicationset-estate.yaml",
        // Pull-request previews of the dev-tier environment, and the GitHub token their generator reads.
        "applicationset-previews.yaml",
        "externalsecret-github-pull-requests.yaml",
        ...b.estate.accounts.map((a) => `appproject-${a.name}.yaml`),
        // The previews' own project, in the previewed environment's account.
        "appproject-nonprod-preview.yaml",
        ...[...new Set(releases.map((r) => r.account))].map((a) => `appproject-${platformProjectName(a)}.yaml`),
        "configmap-argocd-cm.yaml",
        "configmap-argocd-cmd-params-cm.yaml",
        "kustomization.yaml",
      ].sort(),
    );
    for (const [file, text] of files) await expect(text).toMatchFileSnapshot(`__snapshots__/${name}/${file.slice(folder.length + 1)}`);
  });

  it("puts ArgoCD's folder in the folder of argocdEnvironment (minimal has no common account: nonprod's first wave)", () => {
    expect(argocdFolder(three.estate)).toBe("common/shared/argocd");
    expect(argocdFolder(minimal.estate)).toBe("nonprod/dev/argocd");
  });
});

/** The same estate with every environment renamed: the output may differ only by the names. */
function renamed(estate: ResolvedEstate, rename: (n: string) => string): ResolvedEstate {
  return {
    ...estate,
    argocdEnvironment: rename(estate.argocdEnvironment),
    environments: estate.environments.map((e) => ({ ...e, name: rename(e.name) })),
    deployments: estate.deployments.map((d) => ({ ...d, environment: rename(d.environment), namespace: `${rename(d.environment)}-${d.service}` })),
  };
}

describe("no branching on names", () => {
  it("renaming every environment renames them in the output and changes nothing else", () => {
    // New names that occur nowhere else, so translating them back is exact.
    const names: Record<string, string> = { shared: "zzplatform", dev: "zzsandbox", staging: "zzpreprod", prod: "zzlive" };
    const rename = (n: string) => names[n] ?? n;
    const back = (text: string) => Object.entries(names).reduce((t, [old, now]) => t.replaceAll(now, old), text);
    const workloads = three.objects.filter((o) => !o.file.startsWith(`${argocdFolder(three.estate)}/`));
    const moved = workloads.map((o) => ({ ...o, file: o.file.replace(/^([^/]+)\/([^/]+)\//, (_, a: string, e: string) => `${a}/${rename(e)}/`) }));
    const before = argocdObjects(three.estate, folderKinds(workloads));
    const after = argocdObjects(renamed(three.estate, rename), folderKinds(moved));
    expect(JSON.stringify(after)).toContain("zzsandbox-*");
    expect(JSON.parse(back(JSON.stringify(after)))).toEqual(JSON.parse(JSON.stringify(before)));
  });

  it("roles, sync options and step limits follow the tier an environment picks, whatever its name", () => {
    const swapped: ResolvedEstate = { ...three.estate, environments: three.estate.environments.map((e) => (e.name === "dev" ? { ...e, tier: three.estate.environments.find((x) => x.name === "prod")!.tier, tierName: "prod" } : e)) };
    const objects = argocdObjects(swapped, folderKinds(three.objects.filter((o) => !o.file.startsWith("common/shared/argocd/"))));
    const nonprod = objects.find((o) => o.file.endsWith("appproject-nonprod.yaml"))!.object as any;
    expect(nonprod.spec.roles[0].policies.filter((p: string) => p.includes("/dev-*"))).toEqual([]);
    const set = objects.find((o) => o.object.kind === "ApplicationSet")!.object as any;
    const dev = set.spec.generators[0].matrix.generators[0].list.elements.find((e: { env: string }) => e.env === "dev");
    expect(dev).toMatchObject({ allowEmpty: false, syncOptions: ["CreateNamespace=true", "ApplyOutOfSyncOnly=true", "RespectIgnoreDifferences=true", "PruneLast=true"] });
    expect(set.spec.strategy.rollingSync.steps.find((s: any) => s.matchExpressions[0].values[0] === "dev").maxUpdate).toBe("25%");
  });

  it("steps follow the waves, not the names or the file order", () => {
    const reordered: ResolvedEstate = { ...three.estate, environments: [...three.estate.environments].reverse().map((e) => (e.name === "staging" ? { ...e, wave: -5 } : e)) };
    const set = argocdObjects(reordered, folderKinds(three.objects.filter((o) => !o.file.startsWith("common/shared/argocd/")))).find((o) => o.object.kind === "ApplicationSet")!.object as any;
    expect(set.spec.strategy.rollingSync.steps.map((s: any) => s.matchExpressions[0].values[0])).toEqual(["staging", "shared", "dev", "prod"]);
    expect(set.spec.template.metadata.labels[ENVIRONMENT_LABEL]).toBe("{{.env}}");
  });
});

describe("guards", () => {
  it("refuses a service whose folder is ArgoCD's own, which the set excludes and the root app would adopt", () => {
    const clash = [{ file: "common/shared/argocd/deployment.yaml", object: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "argocd", namespace: "shared-argocd" } } }];
    expect(() => argocdObjects(three.estate, folderKinds(clash))).toThrow("rename the service");
  });

  it("gives an account a project only once something is deployed there or it runs ArgoCD", () => {
    const onlyDev: ResolvedEstate = { ...three.estate, deployments: three.estate.deployments.filter((d) => d.environment === "dev") };
    const projects = argocdObjects(onlyDev, folderKinds(three.objects.filter((o) => o.file.startsWith("nonprod/dev/")))).filter((o) => o.object.kind === "AppProject");
    // nonprod-preview: dev is the previewed environment, and previews get their own project.
    expect(projects.map((o) => (o.object as any).metadata.name)).toEqual(["common", "nonprod", "nonprod-preview"]);
  });

  it("is deterministic: the same estate gives the same objects", () => {
    const workloads = three.objects.filter((o) => !o.file.startsWith("common/shared/argocd/"));
    expect(JSON.stringify(argocdObjects(three.estate, folderKinds(workloads)))).toBe(JSON.stringify(argocdObjects(three.estate, folderKinds([...workloads].reverse()))));
    expect(check(three).findings).toEqual([]);
  });
});
