import { describe, expect, it } from "vitest";
import { globMatch, goPathMatch, isDestinationMatched, isGroupKindPermitted, isSourcePermitted, pathMatch, type Destination } from "../src/match.ts";

describe("goPathMatch: Go's path.Match, as the git directories generator applies it", () => {
  // The reference's cases (argocd.md §2, §9.11): `*` is one segment, no `**`, a leading slash never matches.
  it.each([
    ["generated/*", "generated/prod", true],
    ["generated/*", "generated/prod/prod", false],
    ["generated/*/*", "generated/prod/prod", true],
    ["generated/**", "generated/prod/prod", false],
    ["generated/**", "generated/prod", true],
    ["generated/**/api", "generated/prod/prod/api", false],
    ["/generated/*", "generated/prod", false],
    ["/generated/*", "/generated/prod", true],
    ["generated/nonprod/dev/*", "generated/nonprod/dev/payments", true],
    ["generated/nonprod/dev/*", "generated/nonprod/dev/payments/extra", false],
    ["generated/nonprod/dev/*", "generated/nonprod/staging/payments", false],
    ["generated/common/shared/argocd", "generated/common/shared/argocd", true],
  ])("reference: %s ~ %s → %s", (pattern, name, matched) => {
    expect(goPathMatch(pattern, name)).toEqual({ matched });
  });

  // Go's own table (src/path/match_test.go), errors included: a bad pattern matches nothing.
  const BAD = "syntax error in pattern";
  it.each([
    ["abc", "abc", true, undefined],
    ["*", "abc", true, undefined],
    ["*c", "abc", true, undefined],
    ["a*", "a", true, undefined],
    ["a*", "abc", true, undefined],
    ["a*", "ab/c", false, undefined],
    ["a*/b", "abc/b", true, undefined],
    ["a*/b", "a/c/b", false, undefined],
    ["a*b*c*d*e*/f", "axbxcxdxe/f", true, undefined],
    ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true, undefined],
    ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, undefined],
    ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, undefined],
    ["a*b?c*x", "abxbbxdbxebxczzx", true, undefined],
    ["a*b?c*x", "abxbbxdbxebxczzy", false, undefined],
    ["ab[c]", "abc", true, undefined],
    ["ab[b-d]", "abc", true, undefined],
    ["ab[e-g]", "abc", false, undefined],
    ["ab[^c]", "abc", false, undefined],
    ["ab[^b-d]", "abc", false, undefined],
    ["ab[^e-g]", "abc", true, undefined],
    ["a\\*b", "a*b", true, undefined],
    ["a\\*b", "ab", false, undefined],
    ["a?b", "a☺b", true, undefined],
    ["a[^a]b", "a☺b", true, undefined],
    ["a???b", "a☺b", false, undefined],
    ["a[^a][^a][^a]b", "a☺b", false, undefined],
    ["[a-ζ]*", "α", true, undefined],
    ["*[a-ζ]", "A", false, undefined],
    ["a?b", "a/b", false, undefined],
    ["a*b", "a/b", false, undefined],
    ["[\\]a]", "]", true, undefined],
    ["[\\-]", "-", true, undefined],
    ["[x\\-]", "x", true, undefined],
    ["[x\\-]", "-", true, undefined],
    ["[x\\-]", "z", false, undefined],
    ["[\\-x]", "x", true, undefined],
    ["[\\-x]", "-", true, undefined],
    ["[\\-x]", "a", false, undefined],
    ["[]a]", "]", false, BAD],
    ["[-]", "-", false, BAD],
    ["[x-]", "x", false, BAD],
    ["[x-]", "-", false, BAD],
    ["[x-]", "z", false, BAD],
    ["[-x]", "x", false, BAD],
    ["[-x]", "-", false, BAD],
    ["[-x]", "a", false, BAD],
    ["\\", "a", false, BAD],
    ["[a-b-c]", "a", false, BAD],
    ["[", "a", false, BAD],
    ["[^", "a", false, BAD],
    ["[^bc", "a", false, BAD],
    ["a[", "a", false, BAD],
    ["a[", "ab", false, BAD],
    ["a[", "x", false, BAD],
    ["a/b[", "x", false, BAD],
    ["*x", "xxx", true, undefined],
  ] as const)("go: %s ~ %s → %s", (pattern, name, matched, error) => {
    expect(goPathMatch(pattern, name)).toEqual(error ? { matched, error } : { matched });
    expect(pathMatch(pattern, name)).toBe(matched);
  });
});

describe("globMatch: gobwas without separators, as AppProject destinations use it", () => {
  it.each([
    ["*", "https://prod.k8s.acme.dev", true],
    ["https://*.k8s.acme.dev", "https://prod.k8s.acme.dev", true],
    ["https://*", "https://a/b/c", true],
    ["dev-*", "dev-payments", true],
    ["dev-*", "staging-payments", false],
    ["{dev,staging}-*", "staging-payments", true],
    ["{dev,staging}-*", "prod-payments", false],
    ["dev-?", "dev-a", true],
    ["dev-[ab]", "dev-b", true],
    ["dev-[!ab]", "dev-b", false],
    ["dev-[a-c]x", "dev-bx", true],
    ["a\\*", "a*", true],
    ["a\\*", "ab", false],
    ["https://nonprod.k8s.acme.dev", "https://prod.k8s.acme.dev", false],
    ["", "", true],
    ["", "x", false],
    ["dev-[", "dev-[", false],
    ["{a,b", "a", false],
  ])("%s ~ %s → %s", (pattern, value, matched) => {
    expect(globMatch(pattern, value)).toBe(matched);
  });
});

describe("isDestinationMatched: ArgoCD's rules, negation included (argocd.md §6)", () => {
  const prod = { server: "https://prod", name: "prod", namespace: "prod-api" };
  const nonprod = { server: "https://nonprod", name: "nonprod", namespace: "dev-api" };

  it("matches on server or name, and the namespace", () => {
    expect(isDestinationMatched([{ server: "https://nonprod", namespace: "dev-*" }], nonprod)).toBe(true);
    expect(isDestinationMatched([{ name: "nonprod", namespace: "dev-*" }], nonprod)).toBe(true);
    expect(isDestinationMatched([{ server: "https://nonprod", namespace: "staging-*" }], nonprod)).toBe(false);
    expect(isDestinationMatched([{ server: "https://nonprod", namespace: "dev-*" }], prod)).toBe(false);
    expect(isDestinationMatched([], nonprod)).toBe(false);
  });

  it("a negated entry on its own permits every other cluster: the trap the reference warns about", () => {
    for (const rules of ["v2.13", "v2.14+"] as const) {
      expect(isDestinationMatched([{ server: "!https://prod", namespace: "*" }], nonprod, rules)).toBe(true);
      expect(isDestinationMatched([{ server: "!https://prod", namespace: "*" }], { ...nonprod, server: "https://anything", name: "anything" }, rules)).toBe(true);
      expect(isDestinationMatched([{ server: "!https://prod", namespace: "*" }], prod, rules)).toBe(false);
    }
  });

  // ArgoCD's TestAppProject_IsNegatedDestinationPermitted (types_test.go @v3.3.0, and @v2.13.0 where a fourth value says it differed).
  const k8s = "https://kubernetes.default.svc";
  const cases: [Destination[], { server?: string; name?: string; namespace: string }, boolean, boolean?][] = [
    [[{ server: `!${k8s}`, namespace: "default" }], { server: k8s, namespace: "default" }, false],
    [[{ server: k8s, namespace: "!default" }], { server: k8s, namespace: "kube-system" }, true],
    [[{ server: "!https://my-cluster", namespace: "default" }], { server: k8s, namespace: "default" }, true],
    [[{ server: `!${k8s}`, namespace: "*" }], { server: k8s, namespace: "kube-system" }, false],
    [[{ server: "!https://*.default.svc", namespace: "default" }], { server: k8s, namespace: "default" }, false],
    [[{ server: "!https://team1-*", namespace: "default" }], { server: "https://test2-dev-cluster", namespace: "default" }, true],
    [[{ server: k8s, namespace: "!test-*" }], { server: k8s, namespace: "test-foo" }, false],
    [[{ server: k8s, namespace: "!test-*" }], { server: k8s, namespace: "test" }, true],
    [[{ server: "", namespace: "*", name: "!test" }], { name: "test", namespace: "test" }, false],
    [[{ server: "", namespace: "*", name: "!test2" }], { name: "test", namespace: "test" }, true],
    [[{ server: "*", namespace: "kube-system" }, { server: "*", namespace: "!kube-system" }], { server: k8s, namespace: "kube-system" }, false],
    [[{ server: "*", namespace: "*" }, { server: "*", namespace: "!kube-system" }], { server: k8s, namespace: "kube-system" }, false],
    [[{ server: k8s, namespace: "*" }, { server: `!${k8s}`, namespace: "*" }], { server: k8s, namespace: "kube-system" }, false],
    [[{ server: "*", namespace: "*" }, { server: `!${k8s}`, namespace: "kube-system" }], { server: k8s, namespace: "kube-system" }, false],
    [[{ server: "*", namespace: "*" }, { server: `!${k8s}`, namespace: "kube-system" }, { server: "*", namespace: "!kube-system" }], { server: k8s, namespace: "kube-system" }, false],
    [[{ server: "*", namespace: "*" }, { server: `!${k8s}`, namespace: "kube-system" }, { server: "*", namespace: "!kube-system" }], { server: k8s, namespace: "default" }, true, false],
    [[{ server: "*", namespace: "*" }, { server: `!${k8s}`, namespace: "kube-system" }, { server: "*", namespace: "!kube-system" }], { server: "https://test-dev-cluster", namespace: "kube-system" }, false],
    [[{ server: "", namespace: "*", name: "test" }, { server: "", namespace: "*", name: "!test" }], { name: "test", namespace: "test" }, false],
    [[{ server: "*", namespace: "test" }, { server: "!https://test-server", namespace: "other" }], { server: "https://test-server", namespace: "test" }, true, false],
    [[{ server: "*", namespace: "*" }, { server: "https://test-server", namespace: "!other" }], { server: "https://other-test-server", namespace: "other" }, true, false],
  ];
  it.each(cases.map(([d, dst, v214, v213], i) => [i + 1, d, dst, v214, v213 ?? v214] as const))("case %i", (_, destinations, dst, v214, v213) => {
    expect(isDestinationMatched(destinations, dst, "v2.14+")).toBe(v214);
    expect(isDestinationMatched(destinations, dst, "v2.13")).toBe(v213);
  });
});

describe("isGroupKindPermitted and isSourcePermitted", () => {
  it("an omitted namespaced whitelist permits everything, an empty one nothing; cluster-scoped kinds need listing", () => {
    const deployment = { group: "apps", kind: "Deployment" };
    const namespace = { group: "", kind: "Namespace" };
    expect(isGroupKindPermitted({}, deployment, true)).toBe(true);
    expect(isGroupKindPermitted({ namespaceResourceWhitelist: [] }, deployment, true)).toBe(false);
    expect(isGroupKindPermitted({ namespaceResourceWhitelist: [deployment] }, deployment, true)).toBe(true);
    expect(isGroupKindPermitted({ namespaceResourceWhitelist: [{ group: "apps", kind: "*" }] }, deployment, true)).toBe(true);
    expect(isGroupKindPermitted({ namespaceResourceWhitelist: [deployment], namespaceResourceBlacklist: [{ group: "*", kind: "Deployment" }] }, deployment, true)).toBe(false);
    expect(isGroupKindPermitted({}, namespace, false)).toBe(false);
    expect(isGroupKindPermitted({ clusterResourceWhitelist: [] }, namespace, false)).toBe(false);
    expect(isGroupKindPermitted({ clusterResourceWhitelist: [namespace] }, namespace, false)).toBe(true);
  });

  it("{group: '*', kind: '*'} (the platform projects') permits every kind of its scope, core and custom groups alike; a blacklist still wins", () => {
    const any = [{ group: "*", kind: "*" }];
    const open = { clusterResourceWhitelist: any, namespaceResourceWhitelist: any };
    for (const gk of [{ group: "", kind: "Namespace" }, { group: "cert-manager.io", kind: "ClusterIssuer" }, { group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" }]) expect(isGroupKindPermitted(open, gk, false), gk.kind).toBe(true);
    for (const gk of [{ group: "", kind: "ConfigMap" }, { group: "external-secrets.io", kind: "ExternalSecret" }]) expect(isGroupKindPermitted(open, gk, true), gk.kind).toBe(true);
    // Each list governs its own scope only.
    expect(isGroupKindPermitted({ namespaceResourceWhitelist: any }, { group: "cert-manager.io", kind: "ClusterIssuer" }, false)).toBe(false);
    expect(isGroupKindPermitted({ ...open, clusterResourceBlacklist: [{ group: "cert-manager.io", kind: "*" }] }, { group: "cert-manager.io", kind: "ClusterIssuer" }, false)).toBe(false);
    // filepath.Match globs, as isResourceInList applies them: partial patterns match too.
    expect(isGroupKindPermitted({ clusterResourceWhitelist: [{ group: "*.io", kind: "Cluster*" }] }, { group: "cert-manager.io", kind: "ClusterIssuer" }, false)).toBe(true);
    expect(isGroupKindPermitted({ clusterResourceWhitelist: [{ group: "*.io", kind: "Cluster*" }] }, { group: "", kind: "Namespace" }, false)).toBe(false);
  });

  it("source repos: globs with / as separator, and a lone deny entry permits everything else", () => {
    const repo = "https://github.com/acme/platform-gitops.git";
    expect(isSourcePermitted([repo], repo)).toBe(true);
    expect(isSourcePermitted(["https://github.com/acme/platform-gitops"], repo)).toBe(true);
    expect(isSourcePermitted(["https://github.com/acme/*"], repo)).toBe(true);
    expect(isSourcePermitted(["https://github.com/*"], repo)).toBe(false);
    expect(isSourcePermitted(["https://github.com/**"], repo)).toBe(true);
    expect(isSourcePermitted(["https://github.com/other/repo"], repo)).toBe(false);
    expect(isSourcePermitted(["!https://github.com/other/repo"], repo)).toBe(true);
    expect(isSourcePermitted(["*", "!https://github.com/acme/*"], repo)).toBe(false);
  });
});
