import { build } from "@gitops/generator";
import { explain, formatProblem, oneOf } from "@gitops/model";
import type { Command } from "../command.ts";
import { EXIT, ExitError } from "../exit-codes.ts";

export const explainCommand: Command = {
  name: "explain",
  summary: "Show a service's resolved configuration in one environment, and where every value came from",
  usage: "gitops explain SERVICE --env ENV [--json]",
  options: { env: { type: "string" }, json: { type: "boolean" } },
  async run({ root, values, positionals, out }) {
    const [service] = positionals;
    const envName = values.env as string | undefined;
    if (!service || !envName) throw new ExitError("explain needs a service and --env, e.g. `pnpm gitops explain payments --env prod`", EXIT.usage);
    const result = await build(root);
    if (!result.ok) throw new ExitError(result.problems.map(formatProblem).join("\n"), EXIT.invalid);
    const { estate } = result.build;
    const svc = estate.services.find((s) => s.name === service);
    if (!svc) throw new ExitError(`No service "${service}" — ${oneOf(service, estate.services.map((s) => s.name))}`, EXIT.usage);
    const d = estate.deployments.find((x) => x.service === service && x.environment === envName);
    if (!d) throw new ExitError(`${service} is not deployed in "${envName}" — ${oneOf(envName, svc.environments)}`, EXIT.usage);
    const rows = explain(estate, d);
    if (values.json) {
      out(JSON.stringify({ service, environment: envName, rows }, null, 2));
      return EXIT.ok;
    }
    out(`${service} in ${envName} (${d.account}), namespace ${d.namespace}\n`);
    // Columns as wide as their longest cell, up to 64 (a longer value runs past its column).
    const width = (k: "field" | "value") => Math.min(64, Math.max(...rows.map((r) => r[k].length)));
    const [fw, vw] = [width("field"), width("value")];
    out(`${"FIELD".padEnd(fw)}  ${"VALUE".padEnd(vw)}  ${"LAYER".padEnd(11)}  SOURCE`);
    for (const r of rows)
      out(`${r.field.padEnd(fw)}  ${r.value.padEnd(vw)}  ${r.layer.padEnd(11)}  ${r.file}${r.note ? ` (${r.note})` : ""}`);
    return EXIT.ok;
  },
};
