import { describe, expect, it } from "vitest";
import { closest, fromZod, oneOf } from "../src/problems.ts";
import { serviceSchema } from "../src/schema.ts";

describe("naming what was probably meant", () => {
  it("finds the candidate a name misspells: a dropped, swapped or wrongly cased letter, within a third of its length", () => {
    expect(closest("acounts", ["accounts", "payments"])).toBe("accounts");
    expect(closest("stagnig", ["dev", "staging", "prod"])).toBe("staging");
    expect(closest("loglevel", ["logLevel", "replicas"])).toBe("logLevel");
    expect(closest("prdo", ["dev", "prod"])).toBe("prod");
    // Too far to be a typo, or the name itself.
    expect(closest("billing", ["accounts", "payments"])).toBeUndefined();
    expect(closest("dev", ["dev"])).toBeUndefined();
  });

  it("says the likely name and the candidates; past ten, the ten nearest and how many there are", () => {
    expect(oneOf("nonprd", ["prod", "nonprod"])).toBe("did you mean nonprod? (one of: nonprod, prod)");
    expect(oneOf("billing", ["prod", "nonprod"])).toBe("use one of nonprod, prod");
    const services = Array.from({ length: 2000 }, (_, i) => `svc-${String(i).padStart(5, "0")}`);
    const fix = oneOf("svc-01999x", services);
    expect(fix).toMatch(/^did you mean svc-01999\? \(nearest: svc-01999, /);
    expect(fix).toContain("… (2000 in all)");
    expect(fix.split(", ").length).toBe(11); // the ten nearest, then the count
    expect(oneOf("payments", services)).toMatch(/^use one of svc-\d{5}(, svc-\d{5}){9}, … \(2000 in all\)$/);
  });

  it("suggests the known field a misspelled one stands for, wherever it is in the schema", () => {
    const value = { name: "api", kind: "http", description: "d", team: "t", costCenter: "c", image: "core/api", version: "1.0.0", enviroments: {}, environments: { prod: { replica: 3, loglevel: "debug" } } };
    const result = serviceSchema.safeParse(value, { reportInput: true });
    expect(result.success).toBe(false);
    const problems = fromZod("services/api/service.ts", result.error!, serviceSchema).filter((p) => p.message === "is not a known field");
    expect(problems.map((p) => [p.path, p.fix])).toEqual([
      ["environments.prod.replica", "did you mean replicas? Rename it, or remove it"],
      ["environments.prod.loglevel", "did you mean logLevel? Rename it, or remove it"],
      ["enviroments", "did you mean environments? Rename it, or remove it"],
    ]);
    // Without the schema (or where nothing is close), the plain fix.
    expect(fromZod("services/api/service.ts", result.error!).find((p) => p.path === "enviroments")!.fix).toBe("remove it or fix its spelling");
  });
});
