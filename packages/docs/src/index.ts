export { renderTemplate, type TemplateName } from "./render.ts";
