/**
 * Object-level comparison of two generated trees: what a pull request changes in what ArgoCD applies.
 * Files are parsed, so a reordered key or a header line never shows as a change; a change is reported
 * with the field paths that differ.
 */
import { parse } from "yaml";

export type ChangeKind = "added" | "removed" | "changed";

export interface ObjectChange {
  /** Folder relative to generated/, e.g. prod/prod/payments. */
  readonly folder: string;
  readonly file: string;
  readonly kind: string;
  readonly name: string;
  readonly change: ChangeKind;
  /** Changed field paths (for `changed`), e.g. `spec.template.spec.containers[0].image`. */
  readonly fields: readonly string[];
}

const MAX_FIELDS = 12;

export function compareTrees(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>): ObjectChange[] {
  const out: ObjectChange[] = [];
  const paths = [...new Set([...base.keys(), ...head.keys()])].sort();
  for (const file of paths) {
    // kustomization.yaml's resources mirror the object files; documents (README.md) are not applied.
    if (file.endsWith("kustomization.yaml") || !file.endsWith(".yaml")) continue;
    const before = base.get(file);
    const after = head.get(file);
    if (before === after) continue;
    const at = file.lastIndexOf("/");
    const folder = at < 0 ? "" : file.slice(0, at);
    const a = before === undefined ? undefined : load(file, before);
    const b = after === undefined ? undefined : load(file, after);
    const id = (b ?? a)!;
    const change: ChangeKind = a === undefined ? "added" : b === undefined ? "removed" : "changed";
    const fields = change === "changed" ? diffFields(a!.body, b!.body, "") : [];
    if (change === "changed" && fields.length === 0) continue;
    out.push({ folder, file, kind: id.kind, name: id.name, change, fields: fields.length > MAX_FIELDS ? [...fields.slice(0, MAX_FIELDS), `… ${fields.length - MAX_FIELDS} more`] : fields });
  }
  return out;
}

function load(file: string, text: string): { kind: string; name: string; body: unknown } {
  const body = parse(text, { version: "1.1" }) as { kind?: string; metadata?: { name?: string } } | null;
  return { kind: body?.kind ?? "File", name: body?.metadata?.name ?? file, body };
}

function diffFields(a: unknown, b: unknown, path: string): string[] {
  if (a === b) return [];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [path || "(root)"];
    return a.flatMap((x, i) => diffFields(x, b[i], `${path}[${i}]`));
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffFields(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return [path || "(root)"];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
