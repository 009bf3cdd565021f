/**
 * Handlebars is for documents people read, never for manifests. Templates live as files under templates/ so
 * that a reviewer edits prose, not string literals; they are compiled once per process, or loaded precompiled.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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
/** What `precompile` returns and `template` takes (a global in Handlebars's types). */
type TemplateSpecification = ReturnType<typeof Handlebars.precompile>;

/** Renders templates/<name>.hbs with `data`. Output is plain text: nothing is HTML-escaped. */
export function renderTemplate(name: TemplateName, data: object): string {
  let template = cache.get(name);
  if (!template) {
    const source = readFileSync(new URL(`../templates/${name}.hbs`, import.meta.url), "utf8");
    template = hbs.template(precompiled(source));
    cache.set(name, template);
  }
  return template(data);
}

/** Where precompiled templates are kept: beside the install, as the command's bundle is (gitignored, safe to delete). */
const PRECOMPILED = new URL("../../../node_modules/.cache/gitops-templates/", import.meta.url);

/**
 * A template's precompiled form (what `Handlebars.precompile` writes), kept under PRECOMPILED by a hash of the
 * source, the options and the Handlebars version: compiling a template costs a process 40–60 ms (Handlebars's
 * compiler runs cold, and the one-service generate compiles two), loading it precompiled well under 1 ms. The
 * same code either way: `compile` is `precompile` evaluated. A cache that cannot be read, written or evaluated is
 * compiled around.
 */
function precompiled(source: string): TemplateSpecification {
  const key = createHash("sha1").update(`${Handlebars.VERSION}\0${JSON.stringify(COMPILE)}\0${source}`).digest("hex");
  const file = new URL(`${key}.js`, PRECOMPILED);
  const load = (spec: string) => new Function(`return ${spec};`)() as TemplateSpecification;
  try {
    return load(readFileSync(file, "utf8"));
  } catch {
    const spec = String(hbs.precompile(source, COMPILE));
    try {
      mkdirSync(PRECOMPILED, { recursive: true });
      const tmp = new URL(`${key}.${process.pid}.tmp`, PRECOMPILED);
      writeFileSync(tmp, spec);
      renameSync(tmp, file);
    } catch {
      // not writable: compiled again next time
    }
    return load(spec);
  }
}
