/**
 * `pnpm bench` compares generate with the same estate written as a kustomize repository (scripts/lib/kustomize-peer.ts:
 * a base per service, an overlay per environment). The comparison only means something if that peer renders exactly
 * what generate renders: here every service of the repository's estate, in every environment, through the real
 * `kubectl kustomize`, byte for byte.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jsonPatch, serviceFolders, writePeerService } from "../scripts/lib/kustomize-peer.ts";

const REPO = join(import.meta.dirname, "..");
const kustomize = (dir: string) =>
  new Promise<string>((done, fail) => execFile("kubectl", ["kustomize", dir], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => (error ? fail(new Error(`${dir}: ${stderr || error.message}`)) : done(stdout))));

describe("the benchmark's kustomize peer", () => {
  const temp = mkdtempSync(join(tmpdir(), "gitops-peer-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("renders every service in every environment exactly as generate does", async () => {
    const environments = [
      { account: "nonprod", name: "dev" },
      { account: "nonprod", name: "staging" },
      { account: "prod", name: "prod" },
    ];
    const services = readdirSync(join(REPO, "services"));
    let overlays = 0;
    for (const service of services) {
      const folders = serviceFolders(join(REPO, "generated"), service, environments);
      expect(folders.size, service).toBeGreaterThan(0);
      for (const [env, overlay] of writePeerService(temp, service, folders)) {
        const [peer, ours] = await Promise.all([kustomize(overlay), kustomize(folders.get(env)!)]);
        expect(peer, `${service} in ${env}`).toBe(ours);
        overlays++;
      }
    }
    expect(overlays).toBeGreaterThanOrEqual(services.length * 2);
  });

  it("patches by RFC 6902: escaped keys, removals, additions, lists of another length replaced whole", () => {
    // Removals first, then the target's keys in its order.
    expect(jsonPatch({ a: 1, "x/y~z": 1, gone: true, list: [1, 2], same: [1] }, { a: 2, "x/y~z": 2, added: { b: null }, list: [1, 2, 3], same: [1] })).toEqual([
      { op: "remove", path: "/gone" },
      { op: "replace", path: "/a", value: 2 },
      { op: "replace", path: "/x~1y~0z", value: 2 },
      { op: "add", path: "/added", value: { b: null } },
      { op: "replace", path: "/list", value: [1, 2, 3] },
    ]);
    expect(jsonPatch({ spec: { ports: [{ port: 80 }] } }, { spec: { ports: [{ port: 8080 }] } })).toEqual([{ op: "replace", path: "/spec/ports/0/port", value: 8080 }]);
    expect(jsonPatch(["a"], ["a"])).toEqual([]);
  });
});
