/**
 * Names that are also members of Object.prototype ("constructor" is a valid DNS label) and own `__proto__` keys.
 * Found by probing what the fuzz mutates: a lookup like `service.environments[name]` must see only what the
 * file declares, never something inherited, and a key the schema would refuse must never be dropped silently.
 */
import { resolve as resolvePath } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { load, renderFiles, renderObjects } from "@gitops/generator";
import { formatProblem, resolve, type Sources } from "@gitops/model";

const ROOT = resolvePath(import.meta.dirname, "../..");
let base: Sources;
beforeAll(async () => {
  const loaded = await load(ROOT);
  expect(loaded.problems).toEqual([]);
  base = loaded.sources!;
});

type Mutable = { estate: { value: any }; environments: { file: string; value: any }[]; services: { file: string; value: any }[] };
const mutated = (change: (s: Mutable) => void): Sources => {
  const copy = structuredClone(base) as unknown as Mutable;
  change(copy);
  return copy as unknown as Sources;
};
const service = (s: Mutable, name: string) => s.services.find((x) => x.file === `services/${name}/service.ts`)!.value;
const problems = (sources: Sources) => {
  const result = resolve(sources);
  return result.ok ? [] : result.problems.map(formatProblem);
};

describe("Object.prototype member names", () => {
  it("an environment named constructor gets only the services that list it (none here)", () => {
    const sources = mutated((s) => {
      const dev = s.environments.find((e) => e.file === "environments/dev.ts")!;
      s.environments.push({ file: "environments/constructor.ts", value: { ...dev.value, name: "constructor", wave: 3 } });
    });
    const result = resolve(sources);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.estate.deployments.filter((d) => d.environment === "constructor")).toEqual([]);
    expect(result.estate.services.filter((svc) => svc.environments.includes("constructor"))).toEqual([]);
    expect([...renderFiles(renderObjects(result.estate)).keys()].filter((f) => f.includes("/constructor/"))).toEqual([]);
  });

  it("a waiver for an environment named constructor that the service does not list is a problem", () => {
    const sources = mutated((s) => {
      service(s, "payments").waivers = [{ rule: "images/immutable", reason: "a reason that is long enough", expires: "2099-01-01", environments: ["constructor"] }];
    });
    expect(problems(sources)).toContainEqual(expect.stringMatching(/^services\/payments\/service\.ts: waivers\[0\]\.environments\[0\]: "constructor" is not one of/));
  });

  it("a dependency deployed nowhere near an environment named constructor is reported, not assumed", () => {
    const sources = mutated((s) => {
      const dev = s.environments.find((e) => e.file === "environments/dev.ts")!;
      s.environments.push({ file: "environments/constructor.ts", value: { ...dev.value, name: "constructor", wave: 3 } });
      const web = service(s, "web-frontend");
      web.environments = JSON.parse(JSON.stringify({ ...web.environments, constructor: {} }));
    });
    const found = problems(sources);
    // web-frontend depends on services that are not deployed in "constructor": each must be named.
    expect(found.some((p) => /^services\/web-frontend\/service\.ts: dependsOn\[\d+\]: "[a-z-]+" is not deployed in constructor/.test(p)), found.join("\n")).toBe(true);
  });
});

describe("own __proto__ keys", () => {
  const withProto = (json: string) => JSON.parse(json) as Record<string, unknown>;

  it.each([
    ["config", '{"__proto__": "x", "A": "1"}', "config.__proto__"],
    ["urls", '{"__proto__": "https://a.example.com"}', "urls.__proto__"],
    ["secrets", '{"__proto__": {"key": "a/b"}}', "secrets.__proto__"],
    ["environments", '{"dev": {}, "staging": {}, "prod": {}, "__proto__": {"replicas": 5}}', "environments.__proto__"],
  ])("in a service's %s is a problem naming the key, never silently dropped", (field, json, path) => {
    const sources = mutated((s) => {
      service(s, "payments")[field] = withProto(json);
    });
    const found = problems(sources);
    expect(found.filter((p) => p.startsWith(`services/payments/service.ts: ${path}: `)), found.join("\n")).toHaveLength(1);
  });

  it("in the estate's accounts is a problem too", () => {
    const sources = mutated((s) => {
      s.estate.value.accounts = withProto(JSON.stringify({ ...s.estate.value.accounts }).replace(/^\{/, '{"__proto__": {},'));
    });
    const found = problems(sources);
    expect(found.filter((p) => p.startsWith("environments/estate.ts: accounts.__proto__: ")), found.join("\n")).toHaveLength(1);
  });

  it("on a strict object is reported once", () => {
    const sources = mutated((s) => {
      Object.defineProperty(service(s, "payments"), "__proto__", { value: {}, enumerable: true, configurable: true, writable: true });
    });
    const found = problems(sources);
    expect(found.filter((p) => p.startsWith("services/payments/service.ts: __proto__: ")), found.join("\n")).toHaveLength(1);
    expect(({} as Record<string, unknown>).replicas).toBeUndefined();
  });
});
