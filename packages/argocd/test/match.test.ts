import { describe, expect, it } from "vitest";
import { globMatch, isDestinationMatched, pathMatch } from "../src/match.ts";

describe("pathMatch (Go path.Match, as the git directories generator uses it)", () => {
  it.each([
    ["generated/*", "generated/prod", true],
    ["generated/*", "generated/prod/prod", false], // `*` is one segment
    ["generated/*/*", "generated/prod/prod", true],
    ["generated/**", "generated/prod/prod", false], // no `**`
    ["generated/**", "generated/prod", true], // two stars within one segment
    ["/generated/*", "generated/prod", false], // a leading slash never matches
    ["generated/nonprod/dev/*", "generated/nonprod/dev/payments", true],
    ["generated/nonprod/dev/*", "generated/nonprod/staging/payments", false],
    ["generated/?rod/*", "generated/prod/prod", true],
    ["generated/[np]*/*", "generated/nonprod/dev", true],
    ["generated/[^n]*/*", "generated/nonprod/dev", false],
    ["generated/a\\*b", "generated/a*b", true],
    ["generated/[", "generated/[", false], // malformed: matches nothing
  ])("%s ~ %s → %s", (pattern, name, expected) => {
    expect(pathMatch(pattern, name)).toBe(expected);
  });
});

describe("globMatch (gobwas, as AppProject destinations use it)", () => {
  it.each([
    ["*", "https://prod.k8s.acme.dev", true], // `*` crosses `.` and `/`
    ["https://*.k8s.acme.dev", "https://prod.k8s.acme.dev", true],
    ["dev-*", "dev-payments", true],
    ["dev-*", "staging-payments", false],
    ["{dev,staging}-*", "staging-payments", true],
    ["https://nonprod.k8s.acme.dev", "https://prod.k8s.acme.dev", false],
  ])("%s ~ %s → %s", (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

describe("isDestinationMatched (ArgoCD's rules, negation included)", () => {
  const prod = { server: "https://prod", name: "prod", namespace: "prod-api" };
  const nonprod = { server: "https://nonprod", name: "nonprod", namespace: "dev-api" };

  it("matches on server or name, and namespace", () => {
    expect(isDestinationMatched([{ server: "https://nonprod", namespace: "dev-*" }], nonprod)).toBe(true);
    expect(isDestinationMatched([{ name: "nonprod", namespace: "dev-*" }], nonprod)).toBe(true);
    expect(isDestinationMatched([{ server: "https://nonprod", namespace: "staging-*" }], nonprod)).toBe(false);
    expect(isDestinationMatched([{ server: "https://nonprod", namespace: "dev-*" }], prod)).toBe(false);
  });

  it("a negated entry on its own permits every other cluster (the reference's trap)", () => {
    expect(isDestinationMatched([{ server: "!https://prod", namespace: "*" }], nonprod)).toBe(true);
    expect(isDestinationMatched([{ server: "!https://prod", namespace: "*" }], { ...nonprod, server: "https://anything" })).toBe(true);
    expect(isDestinationMatched([{ server: "!https://prod", namespace: "*" }], prod)).toBe(false);
  });

  it("a deny entry vetoes a destination another entry allows", () => {
    expect(isDestinationMatched([{ server: "*", namespace: "*" }, { server: "!https://prod", namespace: "*" }], prod)).toBe(false);
    expect(isDestinationMatched([{ server: "*", namespace: "*" }, { server: "!https://prod", namespace: "*" }], nonprod)).toBe(true);
  });

  it("no entries, no access", () => {
    expect(isDestinationMatched([], nonprod)).toBe(false);
  });
});
