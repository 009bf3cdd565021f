import { describe, expect, it } from "vitest";
import { setVersionPin } from "../src/edit-service.ts";

const source = `import { defineService } from "@gitops/model";

export default defineService({
  name: "x", // a comment that must survive
  version: "1.0.0",
  environments: {
    dev: { version: "1.1.0-rc.1" },
    staging: {},
    prod: {
      replicas: 4,
    },
    "qa": { logLevel: "warn" },
  },
});
`;

describe("setVersionPin", () => {
  it("replaces an existing pin and nothing else", () => {
    const out = setVersionPin(source, "dev", "1.2.0")!;
    expect(out).toBe(source.replace('dev: { version: "1.1.0-rc.1" }', 'dev: { version: "1.2.0" }'));
  });

  it("adds a pin to an empty environment object", () => {
    expect(setVersionPin(source, "staging", "1.1.0")).toBe(source.replace("staging: {},", 'staging: { version: "1.1.0" },'));
  });

  it("adds a pin as the first property of a multi-line object, keeping its indentation", () => {
    expect(setVersionPin(source, "prod", "1.1.0")).toBe(source.replace("prod: {\n      replicas", 'prod: {\n      version: "1.1.0",\n      replicas'));
  });

  it("finds quoted environment keys and records a note as a block comment", () => {
    const out = setVersionPin(source, "qa", "2.0.0", "forced: hotfix */ evil")!;
    expect(out).toContain('"qa": { /* forced: hotfix * / evil */ version: "2.0.0", logLevel: "warn" }');
  });

  it("does not touch the service-level version", () => {
    expect(setVersionPin(source, "staging", "9.9.9")).toContain('  version: "1.0.0",');
  });

  it("returns undefined for an environment the service does not list", () => {
    expect(setVersionPin(source, "perf", "1.0.0")).toBeUndefined();
  });
});
