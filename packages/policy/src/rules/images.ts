/**
 * Images come from the estate's registry (in common), are pinned (never `latest`), and where the tier
 * says so are immutable: a digest or a release semver tag.
 */
import { containersOf, podTemplate, str, type Context, type ObjPath, type PolicyObject, type Unit } from "../context.ts";
import type { Finding } from "../finding.ts";
import { rule } from "../rule.ts";
import { tierPolicy } from "../tier-policy.ts";

export interface ImageRef {
  /** Registry host (with port), or "" for Docker Hub shorthand. */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Splits `host[:port]/path[:tag][@sha256:…]` the way container runtimes do. */
export function parseImage(image: string): ImageRef {
  const [nameTag, digest] = image.split("@", 2) as [string, string | undefined];
  const slash = nameTag.indexOf("/");
  const first = slash < 0 ? "" : nameTag.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const rest = hasRegistry ? nameTag.slice(slash + 1) : nameTag;
  const colon = rest.lastIndexOf(":");
  const repository = colon < 0 ? rest : rest.slice(0, colon);
  const tag = colon < 0 ? undefined : rest.slice(colon + 1);
  return { registry: hasRegistry ? first : "", repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

const releaseSemver = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

function eachImage(ctx: Context, fn: (args: { u: Unit; image: string; o: PolicyObject; path: ObjPath }) => void) {
  for (const u of ctx.units)
    for (const o of u.objects) {
      const t = podTemplate(o);
      if (!t) continue;
      for (const c of containersOf(t)) {
        const image = str(c.container.image);
        if (image !== undefined) fn({ u, image, o, path: [...c.path, "image"] });
      }
    }
}

export const pinnedRule = rule("images/pinned", "Every image names an explicit version: a tag other than latest, or a digest.", (ctx: Context) => {
  const out: Finding[] = [];
  eachImage(ctx, ({ u, image, o, path }) => {
    const ref = parseImage(image);
    if (ref.digest !== undefined && digestPattern.test(ref.digest)) return;
    if (ref.tag === undefined || ref.tag === "" || ref.tag.toLowerCase() === "latest")
      out.push(ctx.finding("images/pinned", ctx.source(u, "version"), `image ${image} ${ref.tag ? "uses the moving tag latest" : "has no tag, so it means latest"} — pin a version such as 1.4.2`, { unit: u, object: o, path }));
  });
  return out;
});

export const registryRule = rule("images/registry", "Every image comes from the estate's registry in common.", (ctx: Context) => {
  const out: Finding[] = [];
  const registry = ctx.estate.registry.replace(/\/+$/, "");
  eachImage(ctx, ({ u, image, o, path }) => {
    if (!image.startsWith(`${registry}/`))
      out.push(ctx.finding("images/registry", { file: u.service.file, path: "image" }, `image ${image} is not from the estate's registry ${registry} — push it to ${registry} and give its path there`, { unit: u, object: o, path }));
  });
  return out;
});

export const immutableRule = rule("images/immutable", "Where the tier requires it, images are a digest or a release semver tag (no prerelease).", (ctx: Context) => {
  const out: Finding[] = [];
  eachImage(ctx, ({ u, image, o, path }) => {
    if (tierPolicy[u.env.tierName].images !== "immutable") return;
    const ref = parseImage(image);
    if (ref.digest !== undefined && digestPattern.test(ref.digest)) return;
    if (ref.tag !== undefined && releaseSemver.test(ref.tag)) return;
    out.push(ctx.finding("images/immutable", ctx.source(u, "version"), `image ${image} is not immutable; the ${u.env.tierName} tier runs only a digest or a release tag${ref.tag && /-/.test(ref.tag) ? " (prereleases stay out)" : ""} — release it as a semver version such as 1.4.2, or pin @sha256:<digest>`, { unit: u, object: o, path }));
  });
  return out;
});

export const imageRules = [pinnedRule, registryRule, immutableRule];
