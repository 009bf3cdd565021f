import type { Context } from "./context.ts";
import { withoutPreviewRepeats, type Finding } from "./finding.ts";

/** One named rule: a stable id, one line saying what it guarantees, and a check over the context. */
export interface Rule {
  /** `<area>/<name>`, e.g. `tier/replicas`; what findings and waivers name. */
  readonly id: string;
  readonly summary: string;
  /** Validation of generated objects (schema/…, kustomize/…) and waiver bookkeeping cannot be waived. */
  readonly waivable: boolean;
  check(ctx: Context): Finding[];
}

/** A rule from its check; a preview's findings that repeat its environment's are dropped (`withoutPreviewRepeats`). */
export const rule = (id: string, summary: string, check: (ctx: Context) => Finding[], waivable = true): Rule => ({ id, summary, waivable, check: (ctx) => withoutPreviewRepeats(check(ctx)) });
