import { build, toYaml } from "@gitops/generator";
import { formatProblem } from "@gitops/model";
import { restoreObject } from "@gitops/platform";
import type { Command } from "../command.ts";
import { EXIT, ExitError } from "../exit-codes.ts";

/**
 * The restore procedure, as something to run: a Velero Restore of the service's latest scheduled backup, by default
 * a drill into a scratch namespace (so it can be rehearsed any day without touching the live service). It prints the
 * object and the steps; it changes nothing itself, because restoring is a decision a person makes.
 */
export const restoreCommand: Command = {
  name: "restore",
  summary: "Print the Velero Restore of a stateful service's latest backup (a drill into a scratch namespace by default) and the steps",
  usage: "gitops restore SERVICE --env ENV [--into NAMESPACE | --in-place]\n  --into      restore into this namespace (default <namespace>-restore, a drill)\n  --in-place  restore into the service's own namespace (after data loss; existing objects are kept)",
  options: { env: { type: "string" }, into: { type: "string" }, "in-place": { type: "boolean" } },
  async run({ root, values, positionals, out }) {
    const [service] = positionals;
    const envName = values.env as string | undefined;
    if (!service || !envName) throw new ExitError("restore needs a service and --env, e.g. `pnpm gitops restore nightly-reports --env prod`", EXIT.usage);
    if (values.into !== undefined && values["in-place"]) throw new ExitError("--into and --in-place exclude each other — pick one", EXIT.usage);
    const result = await build(root);
    if (!result.ok) throw new ExitError(result.problems.map(formatProblem).join("\n"), EXIT.invalid);
    const { estate } = result.build;
    const d = estate.deployments.find((x) => x.service === service && x.environment === envName);
    if (!d) throw new ExitError(`${service} is not deployed in "${envName}" — see \`pnpm gitops explain ${service} --env ${envName}\``, EXIT.usage);
    if (!d.state) throw new ExitError(`${service} declares no state, so nothing of it is backed up — a stateless service is restored by syncing its app`, EXIT.usage);
    if (!d.backup) throw new ExitError(`${service} keeps no backups in ${envName}: its tier treats state there as disposable — recreate it, or restore from another environment's data by hand`, EXIT.usage);
    const into = values["in-place"] ? d.namespace : ((values.into as string | undefined) ?? `${d.namespace}-restore`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(into) || into.length > 63) throw new ExitError(`--into ${into} is not a namespace name (RFC 1123 label, at most 63 characters)`, EXIT.usage);
    const cluster = estate.accounts.find((a) => a.name === d.account)!.cluster;
    out(`# Restore ${service} (${envName}, account ${d.account}) from the latest backup of Velero schedule ${d.namespace}`);
    out(`# (${d.backup.schedule} UTC, kept ${d.backup.ttl}), ${into === d.namespace ? "in place" : `into ${into}`}. Steps:`);
    out(`#   1. kubectl --context ${cluster.name} create -f restore.yaml          # this file`);
    out(`#   2. velero --kubecontext ${cluster.name} restore describe <name> --details   # wait for Completed`);
    out(into === d.namespace ? `#   3. check the service; ArgoCD re-syncs anything the restore left different` : `#   3. check the data in ${into}, then: kubectl --context ${cluster.name} delete namespace ${into}`);
    out(toYaml(restoreObject(d, into), []).replace(/^(# .*\n)+/, ""));
    return EXIT.ok;
  },
};
