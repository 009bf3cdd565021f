import { isPreviewFolder } from "@gitops/argocd";
import { renderTemplate } from "@gitops/docs";
import { build, compareTrees, type ObjectChange } from "@gitops/generator";
import { formatProblem, type ResolvedEstate } from "@gitops/model";
import type { Command } from "../command.ts";
import { EXIT, ExitError } from "../exit-codes.ts";
import { committedTree, defaultBase, revParse } from "../git.ts";
import { style } from "../style.ts";

export interface FolderChanges {
  readonly account: string;
  readonly environment: string;
  readonly service: string;
  /** The environment's tier pages someone: shown first and marked. */
  readonly prod: boolean;
  readonly objects: readonly ObjectChange[];
}

/** Groups object changes by folder (account/environment/service); paged environments first, then wave order. */
export function groupChanges(changes: readonly ObjectChange[], estate: ResolvedEstate): FolderChanges[] {
  const groups = new Map<string, ObjectChange[]>();
  for (const c of changes) groups.set(c.folder, [...(groups.get(c.folder) ?? []), c]);
  const envs = new Map(estate.environments.map((e, i) => [e.name, { pager: e.tier.pager, order: i }]));
  return [...groups]
    .map(([folder, objects]) => {
      const [account = "", environment = "", ...rest] = folder.split("/");
      return { account, environment, service: rest.join("/") || "(root)", prod: envs.get(environment)?.pager ?? false, objects };
    })
    .sort((a, b) => Number(b.prod) - Number(a.prod) || (envs.get(a.environment)?.order ?? 99) - (envs.get(b.environment)?.order ?? 99) || (a.service < b.service ? -1 : 1));
}

export const diffCommand: Command = {
  name: "diff",
  summary: "Preview a change: what ArgoCD would apply differently, per account, environment and service",
  usage: "gitops diff [--base REF] [--format text|markdown]\n  --base    commit to compare with (default: where this branch left main, else HEAD)\n  --format  markdown gives a pull-request comment",
  options: { base: { type: "string" }, format: { type: "string" } },
  async run({ root, values, out }) {
    const format = (values.format as string | undefined) ?? "text";
    if (format !== "text" && format !== "markdown") throw new ExitError(`--format must be text or markdown, not "${format}"`, EXIT.usage);
    const ref = (values.base as string | undefined) ?? defaultBase(root);
    const base = revParse(root, ref) ?? ref;
    const head = await build(root);
    if (!head.ok) throw new ExitError(`The working tree's config is invalid:\n${head.problems.map(formatProblem).join("\n")}`, EXIT.invalid);
    // Preview folders (generated/<account>/preview/) are applied only to labelled pull requests, at their own head,
    // never because this change merges: they are left out here, and counted at the end.
    const all = compareTrees(committedTree(root, base), head.build.files);
    const isPreview = (c: ObjectChange) => isPreviewFolder(c.folder);
    const changes = all.filter((c) => !isPreview(c));
    const previewed = new Set(all.filter(isPreview).map((c) => c.folder)).size;
    const groups = groupChanges(changes, head.build.estate);
    const count = (k: ObjectChange["change"]) => changes.filter((c) => c.change === k).length;
    const summary = { added: count("added"), changed: count("changed"), removed: count("removed") };
    const touched = new Set(groups.map((g) => g.service));
    const waivers = head.build.estate.services
      .filter((s) => touched.has(s.name))
      .flatMap((s) => (s.waivers ?? []).map((w) => ({ service: s.name, rule: w.rule, expires: w.expires, reason: w.reason, environments: w.environments?.join(", ") ?? "all environments" })));
    if (format === "markdown") {
      out(renderTemplate("pr-summary.md", {
        title: `against ${base.slice(0, 12)}`,
        empty: changes.length === 0,
        ...summary,
        prodTouched: groups.some((g) => g.prod),
        deletions: summary.removed > 0,
        groups,
        waivers,
      }).trimEnd());
      return EXIT.ok;
    }
    const previews = previewed > 0 ? `\n${previewed} preview folder${previewed === 1 ? "" : "s"} differ too: what a labelled pull request previews (gitops apps --pr NUMBER).` : "";
    if (changes.length === 0) {
      out(`No change to what ArgoCD applies (against ${base.slice(0, 12)}).${previews}`);
      return EXIT.ok;
    }
    for (const g of groups) {
      out(style.bold(`${g.prod ? style.yellow("[prod] ") : ""}${g.account}/${g.environment}/${g.service}`));
      for (const o of g.objects) {
        const mark = o.change === "added" ? style.green("+") : o.change === "removed" ? style.red("- REMOVED") : style.yellow("~");
        out(`  ${mark} ${o.kind}/${o.name}${o.fields.length ? `: ${o.fields.join(", ")}` : ""}`);
      }
    }
    for (const w of waivers) out(style.yellow(`waiver: ${w.service} ${w.rule} until ${w.expires} (${w.environments}): ${w.reason}`));
    out(`\n${summary.added} added, ${summary.changed} changed, ${summary.removed} removed objects against ${base.slice(0, 12)}.${previews}`);
    return EXIT.ok;
  },
};
