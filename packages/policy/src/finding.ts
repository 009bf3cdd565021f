/**
 * Findings are data, like the model's problems: the typed source that caused them (file and field path),
 * the rule, what is wrong and how to fix it, plus where it shows in generated/. The CLI prints them as
 * `file: path: rule: message — fix`.
 */
import { isPreviewFolder } from "@gitops/argocd";

export interface Finding {
  /** Rule id, e.g. `tier/replicas`. */
  readonly rule: string;
  /** Repository-relative typed source to edit: a service file, an environment file or environments/estate.ts. */
  readonly file: string;
  /** Field path inside that file's export, e.g. `environments.prod.replicas`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
  /** Environment the finding belongs to; null for estate-wide findings. */
  readonly environment: string | null;
  /** Service the finding belongs to (what a waiver can cover); null when none. */
  readonly service: string | null;
  /** Where the finding shows in what is generated: file under generated/ and the object path inside it. */
  readonly generated?: { readonly file: string; readonly path: string };
}

/** Where a finding points: a typed source file and a field path in it. */
export interface SourceRef {
  readonly file: string;
  readonly path: string;
}

/** `file: path: rule: message — fix`. */
export function formatFinding(f: Finding): string {
  const where = f.generated ? ` (generated/${f.generated.file}${f.generated.path ? ` at ${f.generated.path}` : ""})` : "";
  return `${f.file}: ${f.path || "(file)"}: ${f.rule}: ${f.message}${where} — ${f.fix}`;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** By environment (estate-wide first), file, path, rule and message, so output never depends on rule order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      cmp(a.environment ?? "", b.environment ?? "") ||
      cmp(a.file, b.file) ||
      cmp(a.path, b.path) ||
      cmp(a.rule, b.rule) ||
      cmp(a.message, b.message) ||
      cmp(a.generated?.file ?? "", b.generated?.file ?? "") ||
      cmp(a.generated?.path ?? "", b.generated?.path ?? ""),
  );
}

/** Drops exact duplicates (two objects can reveal the same fault in the same source). */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = JSON.stringify([f.rule, f.file, f.path, f.message, f.environment, f.generated?.file, f.generated?.path]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A preview renders its environment's data, so what is wrong there is mostly what is wrong in the environment: the
 * same rule at the same typed source and object path. Those repeats are dropped (one fix mends both); a fault only
 * a preview shows is kept, at the preview's file.
 */
export function withoutPreviewRepeats(findings: readonly Finding[]): Finding[] {
  const inPreview = (f: Finding) => f.generated !== undefined && isPreviewFolder(f.generated.file.slice(0, f.generated.file.lastIndexOf("/")));
  const key = (f: Finding) => JSON.stringify([f.rule, f.file, f.path, f.environment, f.generated?.path ?? null]);
  const elsewhere = new Set(findings.filter((f) => !inPreview(f)).map(key));
  return findings.filter((f) => !inPreview(f) || !elsewhere.has(key(f)));
}

/** Splits "what is wrong — how to fix it" the way the model's `problem()` does. */
export function split(text: string): { message: string; fix: string } {
  const at = text.indexOf(" — ");
  return at < 0 ? { message: text, fix: "see `pnpm gitops check --help`" } : { message: text.slice(0, at), fix: text.slice(at + 3) };
}
