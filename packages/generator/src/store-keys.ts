/**
 * Which secret-store keys each account's store must hold: every key an ExternalSecret reads, for the estate
 * README's bootstrap list. The full build reads them off every object; the incremental generate, which never holds
 * the services' objects in this thread, reads the estate-level objects the same way and takes the services' from
 * their resolved data, through the bases' own helpers. The two agree by construction, and renderer.test (the
 * incremental tree against the full build, byte for byte) holds them to it.
 */
import { hubCredentialsSecret, progressive, secretData } from "@gitops/bases";
import { argocdFolder, previewDeployments } from "@gitops/argocd";
import type { StoreKeyRead } from "@gitops/docs";
import type { ResolvedEstate } from "@gitops/model";
import { PLATFORM_FOLDER_NAME } from "@gitops/platform";

interface Placed {
  readonly file: string;
  readonly object: Readonly<Record<string, unknown>>;
}

/** Every key the ExternalSecrets among `objects` read, each with its reader told by the object's folder. */
export function storeKeysOfObjects(estate: ResolvedEstate, objects: readonly Placed[]): StoreKeyRead[] {
  const argocd = argocdFolder(estate);
  const out: StoreKeyRead[] = [];
  for (const { file, object } of objects) {
    if (object.kind !== "ExternalSecret") continue;
    const folder = file.slice(0, file.lastIndexOf("/"));
    const [account = "", place = "", name = ""] = folder.split("/");
    const reader = folder === argocd ? { reader: "ArgoCD" } : place === PLATFORM_FOLDER_NAME ? { reader: `platform ${name}` } : { reader: name, environment: place };
    const data = ((object.spec as { data?: { remoteRef?: { key?: string; property?: string } }[] } | undefined)?.data ?? []);
    for (const { remoteRef } of data) if (remoteRef?.key) out.push({ account, key: remoteRef.key, ...(remoteRef.property ? { property: remoteRef.property } : {}), ...reader });
  }
  return out;
}

/**
 * The same list without the services' objects: the estate-level objects' ExternalSecrets (`estateObjects`: the
 * platform's and ArgoCD's) and, per deployment and preview, what the bases render from its data (its own
 * secrets, and the hub credentials its analysis sends).
 */
export function storeKeysOf(estate: ResolvedEstate, estateObjects: readonly Placed[]): StoreKeyRead[] {
  const out = storeKeysOfObjects(estate, estateObjects);
  for (const ds of [estate.deployments, previewDeployments(estate)])
    for (const d of ds) {
      const delivery = progressive(d);
      // The ExternalSecrets' data exactly as the bases render it: the service's own, and its analysis's credentials.
      const data = delivery ? [...secretData(d), ...(hubCredentialsSecret(d, delivery)?.spec.data ?? [])] : secretData(d);
      for (const { remoteRef } of data)
        out.push({ account: d.account, key: remoteRef.key, ...(remoteRef.property ? { property: remoteRef.property } : {}), reader: d.service, environment: d.environment });
    }
  return out;
}
