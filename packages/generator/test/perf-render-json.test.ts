/**
 * render.ts takes each object's JSON without cdk8s's per-value resolver walk (objectJson). For the plain data the
 * bases build it must equal `apiObject.toJson()` exactly, key order included; anything that is not plain data
 * must go through cdk8s itself.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { ApiObject, App, Chart, JsonPatch, Lazy } from "cdk8s";
import { afterAll, describe, expect, it } from "vitest";
import { bases } from "@gitops/bases";
import { resolve } from "@gitops/model";
import { load } from "../src/load.ts";
import { objectJson } from "../src/render.ts";
import { makeEstate } from "../../../scripts/lib/estate.ts";

const REPO = resolvePath(import.meta.dirname, "../../..");
const same = (o: ApiObject) => expect(JSON.stringify(objectJson(o)), o.node.path).toBe(JSON.stringify(o.toJson()));

describe("objectJson", () => {
  const temp = mkdtempSync(join(tmpdir(), "gitops-render-json-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));
  for (const [name, root] of [["the repository", () => REPO], ["a synthetic estate of 40 services", () => makeEstate(temp, 40)]] as const)
    it(`equals cdk8s's toJson on every object of ${name}`, async () => {
      const loaded = await load(root());
      const r = resolve(loaded.sources!);
      if (!r.ok) throw new Error(JSON.stringify(r.problems.slice(0, 3)));
      let n = 0;
      for (const d of r.estate.deployments) {
        const chart = new bases[d.kind](new App(), d);
        for (const o of chart.apiObjects) same(o), n++;
      }
      expect(n).toBeGreaterThan(50);
    });

  it("equals toJson on awkward plain data: nulls, empties, numeric keys, nested arrays, unicode keys", () => {
    const chart = new Chart(new App(), "c");
    const objects = [
      new ApiObject(chart, "a", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "a", labels: { z: "1", a: "2" }, annotations: {} },
        data: { b: "x", "10": "ten", "2": "two", a: null, c: undefined, "é": "e", "B": "upper" },
        spec: { list: [1, null, undefined, [null, { z: 1, a: null }], {}], empty: {}, none: [], flag: false, zero: 0 },
      } as never),
      new ApiObject(chart, "b", { apiVersion: "v1", kind: "Secret", metadata: { name: "b", finalizers: [], namespace: "ns" }, zeta: 1, alpha: { y: [], x: {} } } as never),
      new ApiObject(chart, "c", { apiVersion: "v1", kind: "List", metadata: {}, items: [] } as never),
      // Metadata is sanitized apart, dropping empty lists and maps at any depth, null and undefined.
      new ApiObject(chart, "d", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "d", generateName: "d-", annotations: { b: "2", a: null }, ownerReferences: [{ kind: "X", uid: "u", extra: {} }], managedFields: [{}, { z: { y: {} } }], x: { y: [] }, labels: {} },
      } as never),
    ];
    // Few keys are sorted by insertion, many by the general sort: both in cdk8s's order (UTF-16 code units).
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${39 - i}${i % 3 ? "é" : "Z"}`, String(i)]));
    objects.push(new ApiObject(chart, "e", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "e" }, data: many, few: { b: 1, B: 2, a: 3, "a-": 4, "_": 5, "10": 6, "9": 7 } } as never));
    objects[3]!.metadata.addLabel("late", "added");
    objects[3]!.metadata.addAnnotation("z", "last");
    for (const o of objects) same(o);
  });

  it("leaves objects with Lazy values, resolvable values or JSON patches to cdk8s", () => {
    const chart = new Chart(new App(), "c");
    const lazy = new ApiObject(chart, "lazy", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "lazy" }, data: { v: Lazy.any({ produce: () => "produced" }) } } as never);
    const token = new ApiObject(chart, "token", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "token" }, data: { v: { resolve: () => "resolved" } } } as never);
    const lazyMeta = new ApiObject(chart, "lazy-meta", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "lazy-meta", labels: { v: Lazy.any({ produce: () => "meta" }) } } } as never);
    same(lazyMeta);
    expect(objectJson(lazyMeta)).toMatchObject({ metadata: { labels: { v: "meta" } } });
    const patched = new ApiObject(chart, "patched", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "patched" }, data: { v: "1" } } as never);
    patched.addJsonPatch(JsonPatch.add("/data/w", "2"));
    for (const o of [lazy, token, patched]) same(o);
    expect(objectJson(lazy)).toMatchObject({ data: { v: "produced" } });
    expect(objectJson(token)).toMatchObject({ data: { v: "resolved" } });
    expect(objectJson(patched)).toMatchObject({ data: { v: "1", w: "2" } });
  });
});
