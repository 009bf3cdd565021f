/**
 * Handlebars is for documents people read, never for manifests. Templates live as files under templates/ so
 * that a reviewer edits prose, not string literals; they are compiled once per process.
 */
import { readFileSync } from "node:fs";
import Handlebars from "handlebars";

const hbs = Handlebars.create();
hbs.registerHelper("json", (v: unknown) => JSON.stringify(v));
hbs.registerHelper("eq", (a: unknown, b: unknown) => a === b);
hbs.registerHelper("join", (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === "string" ? sep : ", ") : ""));
hbs.registerHelper("upper", (s: unknown) => String(s).toUpperCase());
/**
 * Compiled knowing these helpers are the only ones (a call to any other fails to compile), and without @data
 * variables (no template uses them): the compiled code calls helpers directly instead of looking each name up.
 */
const COMPILE = { noEscape: true, strict: true, knownHelpers: { json: true, eq: true, join: true, upper: true }, knownHelpersOnly: true, data: false } as const;

export type TemplateName = "service.ts" | "service-readme.md" | "estate-readme.md" | "pr-summary.md" | "runbook.md";

const cache = new Map<TemplateName, Handlebars.TemplateDelegate>();

/** Renders templates/<name>.hbs with `data`. Output is plain text: nothing is HTML-escaped. */
export function renderTemplate(name: TemplateName, data: object): string {
  let template = cache.get(name);
  if (!template) {
    const source = readFileSync(new URL(`../templates/${name}.hbs`, import.meta.url), "utf8");
    template = hbs.compile(source, COMPILE);
    cache.set(name, template);
  }
  return template(data);
}
