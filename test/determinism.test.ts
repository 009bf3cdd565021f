/**
 * Byte-identical output across runs, machines, time zones and locales: the repository's config generated in two
 * temp roots by two CLI processes with different TZ, LANG and LC_ALL, compared byte for byte.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { build } from "../packages/generator/src/index.ts";
import { estate, gitops, outputs, REPO } from "./support/estate.ts";

const FIRST = { TZ: "Pacific/Kiritimati", LANG: "tr_TR.UTF-8", LC_ALL: "tr_TR.UTF-8" };
const SECOND = { TZ: "America/St_Johns", LANG: "C", LC_ALL: "C" };

describe("determinism", () => {
  it("the environments really differ: time zone and locale as Node sees them", () => {
    const probe = (env: Record<string, string>) =>
      execFileSync(process.execPath, ["-p", "[new Date(Date.UTC(2024, 0, 1)).getTimezoneOffset(), new Intl.DateTimeFormat().resolvedOptions().locale].join(' ')"], {
        env: { ...process.env, ...env },
        encoding: "utf8",
      }).trim();
    expect(probe(FIRST)).toBe("-840 tr-TR");
    expect(probe(SECOND)).toMatch(/^210 /);
  });

  it("generates the same bytes in two roots under different TZ, LANG and LC_ALL", async () => {
    const a = estate("repo");
    const b = estate("repo");
    const [ra, rb] = await Promise.all([gitops(a, ["generate"], FIRST), gitops(b, ["generate"], SECOND)]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);

    const oa = outputs(a);
    const ob = outputs(b);
    expect(oa.size).toBeGreaterThan(100);
    expect([...ob.keys()]).toEqual([...oa.keys()]);
    const differing = [...oa].filter(([path, bytes]) => !bytes.equals(ob.get(path)!)).map(([path]) => path);
    expect(differing).toEqual([]);

    // Nothing machine-specific leaks into a file: no temp root, no absolute path.
    for (const [path, bytes] of oa) {
      const text = bytes.toString("utf8");
      expect(text.includes(a) || text.includes(b) || text.includes("gitops-proof-") || text.includes(REPO), path).toBe(false);
    }

    // And the same bytes as an in-process build in this test's own time zone and locale.
    const built = await build(a);
    if (!built.ok) throw new Error("the repository's config is invalid");
    for (const [path, content] of built.build.files) expect(oa.get(`generated/${path}`)?.toString("utf8"), path).toBe(content);
  });
});
