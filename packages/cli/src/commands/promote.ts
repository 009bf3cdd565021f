import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, compareTrees, generate, OUTPUT_DIR, readTree } from "@gitops/generator";
import { formatProblem, oneOf, type ResolvedEstate } from "@gitops/model";
import type { Command } from "../command.ts";
import { EXIT, ExitError } from "../exit-codes.ts";
import { groupChanges } from "./diff.ts";

export interface Promotion {
  readonly service: string;
  readonly file: string;
  readonly version: string;
  /** Environments between `from` and `to` that the service runs in and this promotion skips. */
  readonly skipped: readonly string[];
}

/**
 * What `promote` would do: for each service running in both environments with a different version, the
 * version to pin and the waves it would skip. Pure, so the rules are testable without touching files.
 */
export function plan(estate: ResolvedEstate, from: string, to: string, services: readonly string[]): { promotions: Promotion[]; unchanged: string[] } {
  const wave = new Map(estate.environments.map((e) => [e.name, e.wave]));
  const promotions: Promotion[] = [];
  const unchanged: string[] = [];
  for (const name of services) {
    const svc = estate.services.find((s) => s.name === name)!;
    const source = estate.deployments.find((d) => d.service === name && d.environment === from);
    const target = estate.deployments.find((d) => d.service === name && d.environment === to);
    if (!source || !target) continue;
    if (source.version === target.version) {
      unchanged.push(name);
      continue;
    }
    const skipped = svc.environments.filter((e) => wave.get(e)! > wave.get(from)! && wave.get(e)! < wave.get(to)!);
    promotions.push({ service: name, file: svc.file, version: source.version, skipped });
  }
  return { promotions, unchanged };
}

export const promoteCommand: Command = {
  name: "promote",
  summary: "Move a version to the next wave: pin the target environment to what the source runs, regenerate, show the diff",
  usage:
    "gitops promote SERVICE|--all --from ENV --to ENV [--force --reason TEXT]\n" +
    "  --all     every service whose version differs between the two environments\n" +
    "  --force   allow skipping a wave (or going backwards); needs --reason, which is recorded next to the pin",
  options: { from: { type: "string" }, to: { type: "string" }, all: { type: "boolean" }, force: { type: "boolean" }, reason: { type: "string" } },
  async run({ root, values, positionals, out }) {
    const from = values.from as string | undefined;
    const to = values.to as string | undefined;
    const [service] = positionals;
    if (!from || !to || (!service && !values.all) || (service && values.all))
      throw new ExitError(`promote needs one SERVICE or --all, plus --from and --to\n\nUsage: ${this.usage}`, EXIT.usage);
    if (values.force && !values.reason) throw new ExitError("--force needs --reason \"why\": the reason is recorded in the service file", EXIT.usage);
    const result = await build(root);
    if (!result.ok) throw new ExitError(`The config is invalid; fix it first:\n${result.problems.map(formatProblem).join("\n")}`, EXIT.invalid);
    const { estate } = result.build;
    const envs = new Map(estate.environments.map((e) => [e.name, e]));
    for (const e of [from, to]) if (!envs.has(e)) throw new ExitError(`No environment "${e}". Environments: ${[...envs.keys()].join(", ")}`, EXIT.usage);
    const backwards = envs.get(to)!.wave <= envs.get(from)!.wave;
    if (backwards && !values.force)
      throw new ExitError(`${to} (wave ${envs.get(to)!.wave}) is not after ${from} (wave ${envs.get(from)!.wave}) — versions move forward through the waves; to roll back, revert the promotion commit, or use --force --reason`, EXIT.usage);
    if (service) {
      const svc = estate.services.find((s) => s.name === service);
      if (!svc) throw new ExitError(`No service "${service}" — ${oneOf(service, estate.services.map((s) => s.name))}`, EXIT.usage);
      for (const e of [from, to]) if (!svc.environments.includes(e)) throw new ExitError(`${service} does not run in ${e}; it runs in ${svc.environments.join(", ")}`, EXIT.usage);
    }
    const { promotions, unchanged } = plan(estate, from, to, service ? [service] : estate.services.map((s) => s.name));
    const skipping = promotions.filter((p) => p.skipped.length > 0);
    if (skipping.length > 0 && !values.force)
      throw new ExitError(
        skipping.map((p) => `${p.service}: promoting ${from} → ${to} would skip ${p.skipped.join(", ")} — promote to ${p.skipped[0]} first, or pass --force --reason "why"`).join("\n"),
        EXIT.usage,
      );
    for (const name of unchanged) out(`${name}: ${to} already runs ${estate.deployments.find((d) => d.service === name && d.environment === to)!.version}`);
    if (promotions.length === 0) {
      out("Nothing to promote.");
      return EXIT.ok;
    }

    // The TypeScript parser costs ~1.3 s to load: only promote needs it, so only promote loads it.
    const { setVersionPin } = await import("../edit-service.ts");
    const originals = new Map<string, string>();
    for (const p of promotions) {
      const path = join(root, p.file);
      const source = originals.get(path) ?? readFileSync(path, "utf8");
      originals.set(path, source);
      const note = values.force && (p.skipped.length > 0 || backwards)
        ? `forced promotion ${from} → ${to}${p.skipped.length ? ` skipping ${p.skipped.join(", ")}` : ""}: ${values.reason as string}`
        : undefined;
      const edited = setVersionPin(source, to, p.version, note);
      if (edited === undefined) throw new ExitError(`${p.file}: environments.${to}: could not find it in the source — add \`${to}: {}\` under environments and retry`, EXIT.invalid);
      writeFileSync(path, edited);
      out(`${p.service}: ${to} now pins ${p.version} (from ${from})${note ? ` — recorded: ${note}` : ""}`);
    }

    const before = readTree(join(root, OUTPUT_DIR));
    const generated = await generate(root);
    if (generated.kind !== "ok") {
      for (const [path, text] of originals) writeFileSync(path, text);
      throw new ExitError(`The promotion left the config invalid, so it was undone:\n${generated.kind === "invalid" ? generated.problems.map(formatProblem).join("\n") : ""}`, EXIT.invalid);
    }
    const after = readTree(join(root, OUTPUT_DIR));
    out("");
    for (const g of groupChanges(compareTrees(before, after), estate))
      for (const o of g.objects) out(`  ${g.account}/${g.environment}/${g.service}: ${o.change} ${o.kind}/${o.name}${o.fields.length ? `: ${o.fields.join(", ")}` : ""}`);
    return EXIT.ok;
  },
};
