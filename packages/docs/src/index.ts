export { codeowners, estateReadme } from "./estate.ts";
export { renderTemplate, type TemplateName } from "./render.ts";
