import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderTemplate } from "@gitops/docs";
import { build } from "@gitops/generator";
import { formatProblem, nameSchema } from "@gitops/model";
import type { Command } from "../command.ts";
import { EXIT, ExitError } from "../exit-codes.ts";

const kinds = ["http", "worker", "job"] as const;

export const newServiceCommand: Command = {
  name: "new-service",
  summary: "Scaffold services/NAME: a typed definition deployed to dev, staging and prod, and its README",
  usage: "gitops new-service NAME --kind http|worker|job --team TEAM [--cost-center CC] [--description TEXT]",
  options: { kind: { type: "string" }, team: { type: "string" }, "cost-center": { type: "string" }, description: { type: "string" } },
  async run({ root, values, positionals, out }) {
    const [name] = positionals;
    const kind = values.kind as (typeof kinds)[number] | undefined;
    const team = values.team as string | undefined;
    const errors: string[] = [];
    if (!name) errors.push("NAME is required");
    else if (!nameSchema(40).safeParse(name).success) errors.push(`"${name}" is not a valid service name — use a DNS label of at most 40 characters: lowercase letters, digits and '-'`);
    if (!kind || !kinds.includes(kind)) errors.push(`--kind must be one of ${kinds.join(", ")}`);
    if (!team || !nameSchema(63).safeParse(team).success) errors.push("--team must be a DNS label, e.g. payments");
    const costCenter = (values["cost-center"] as string | undefined) ?? `cc-${team ?? ""}`;
    if (!nameSchema(63).safeParse(costCenter).success) errors.push("--cost-center must be a DNS label, e.g. cc-2001");
    if (errors.length > 0) throw new ExitError(`${errors.join("\n")}\n\nUsage: ${this.usage}`, EXIT.usage);
    const dir = join(root, "services", name!);
    if (existsSync(dir)) throw new ExitError(`services/${name} already exists — pick another name, or edit services/${name}/service.ts`, EXIT.usage);

    const before = await build(root);
    if (!before.ok) throw new ExitError(`The estate is invalid before scaffolding; fix these first:\n${before.problems.map(formatProblem).join("\n")}`, EXIT.invalid);
    const data = {
      name: name!,
      kind: kind!,
      team: team!,
      costCenter,
      description: (values.description as string | undefined) ?? `TODO: say in one line what ${name} does.`,
      image: `${team}/${name}`,
      registry: before.build.estate.registry,
    };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "service.ts"), renderTemplate("service.ts", data));
    writeFileSync(join(dir, "README.md"), renderTemplate("service-readme.md", data));

    const after = await build(root);
    if (!after.ok) {
      rmSync(dir, { recursive: true, force: true });
      throw new ExitError(`The scaffold did not resolve (a bug in the template); nothing was kept:\n${after.problems.map(formatProblem).join("\n")}`, EXIT.internal);
    }
    out(`created services/${name}/service.ts and services/${name}/README.md (${kind}, team ${team}, in ${after.build.estate.services.find((s) => s.name === name)!.environments.join(", ")})`);
    out("next: edit the definition, then `pnpm generate` and open a pull request");
    return EXIT.ok;
  },
};
