/**
 * What Workload.add guarantees now that construct ids are a kind and a count (alike across charts, for speed):
 * no two objects of one kind share a name in a chart, the check cdk8s made while ids held names.
 */
import { resolve as resolvePath } from "node:path";
import { App } from "cdk8s";
import type { Construct } from "constructs";
import { describe, expect, it } from "vitest";
import { load } from "../../generator/src/index.ts";
import { resolve, type RenderableDeployment } from "../../model/src/index.ts";
import { bases, Workload } from "../src/index.ts";

const REPO = resolvePath(import.meta.dirname, "../../..");

async function someDeployment(): Promise<RenderableDeployment> {
  const loaded = await load(REPO);
  const r = resolve(loaded.sources!);
  if (!r.ok) throw new Error("the repository's estate does not resolve");
  return r.estate.deployments[0]!;
}

/** A base that adds what it is given, after nothing else. */
class Objects extends Workload {
  constructor(scope: Construct, d: RenderableDeployment, bodies: { kind: string; name: string }[]) {
    super(scope, d, "worker");
    for (const { kind, name } of bodies) this.add("0", { apiVersion: "v1", kind }, name);
  }
}

describe("Workload.add", () => {
  it("refuses a second object of one kind and name, naming the deployment", async () => {
    const d = await someDeployment();
    expect(() => new Objects(new App(), d, [{ kind: "ConfigMap", name: "a" }, { kind: "ConfigMap", name: "a" }])).toThrow(
      `${d.environment}/${d.service}: two ConfigMap objects named a`,
    );
  });

  it("takes one name for objects of different kinds", async () => {
    const d = await someDeployment();
    const chart = new Objects(new App(), d, [{ kind: "ConfigMap", name: "a" }, { kind: "Secret", name: "a" }]);
    expect(chart.apiObjects.map((o) => `${o.kind} ${o.name}`)).toEqual(["ConfigMap a", "Secret a"]);
  });

  it("gives charts of the same base the same construct ids, whatever the service", async () => {
    const d = await someDeployment();
    const ids = (x: RenderableDeployment) => new bases[x.kind](new App(), x).apiObjects.map((o) => o.node.id);
    expect(ids({ ...d, service: "other-name", namespace: "other-name" })).toEqual(ids(d));
  });
});
