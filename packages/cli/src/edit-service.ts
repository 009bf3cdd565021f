/**
 * Surgical edits to a service definition, through the TypeScript parser rather than regular expressions:
 * only the one property changes, comments and formatting elsewhere stay as the author wrote them.
 */
import ts from "typescript";

const propName = (p: ts.ObjectLiteralElementLike) =>
  p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;

function findObject(node: ts.Node, names: readonly string[]): ts.ObjectLiteralExpression | undefined {
  // The definition: the first argument of defineService(...) or a bare default-exported object literal.
  let root: ts.ObjectLiteralExpression | undefined;
  const visit = (n: ts.Node) => {
    if (root) return;
    if (ts.isCallExpression(n) && n.arguments[0] && ts.isObjectLiteralExpression(n.arguments[0])) root = n.arguments[0];
    else if (ts.isExportAssignment(n) && ts.isObjectLiteralExpression(n.expression)) root = n.expression;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  let current = root;
  for (const name of names) {
    const prop = current?.properties.find((p) => propName(p) === name);
    current = prop && ts.isPropertyAssignment(prop) && ts.isObjectLiteralExpression(prop.initializer) ? prop.initializer : undefined;
  }
  return current;
}

/**
 * Sets `environments.<env>.version` to `version`, adding the property if absent. `note` becomes a block comment
 * before the property (kept in git history and the PR). Returns undefined if the file has no such environment.
 */
export function setVersionPin(source: string, env: string, version: string, note?: string): string | undefined {
  const file = ts.createSourceFile("service.ts", source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const target = findObject(file, ["environments", env]);
  if (!target) return undefined;
  const comment = note ? `/* ${note.replaceAll("*/", "* /")} */ ` : "";
  const existing = target.properties.find((p) => propName(p) === "version");
  if (existing && ts.isPropertyAssignment(existing)) {
    const start = existing.getStart(file);
    return `${source.slice(0, start)}${comment}version: ${JSON.stringify(version)}${source.slice(existing.end)}`;
  }
  const open = target.getStart(file) + 1;
  const first = target.properties[0];
  if (!first) return `${source.slice(0, open)} ${comment}version: ${JSON.stringify(version)} ${source.slice(target.end - 1)}`;
  const firstStart = first.getStart(file);
  const between = source.slice(open, firstStart);
  const separator = between.includes("\n") ? between : " ";
  return `${source.slice(0, open)}${separator}${comment}version: ${JSON.stringify(version)},${between.includes("\n") ? between : " "}${source.slice(firstStart)}`;
}
