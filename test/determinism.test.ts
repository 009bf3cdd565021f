/**
 * Byte-identical output across runs, machines, time zones, locales and file systems: the repository's config
 * generated in two temp roots by two CLI processes with different TZ, LANG and LC_ALL, compared byte for byte; and
 * in process with every directory listing reversed or shuffled (file systems list entries in creation, hash or
 * inode order, so nothing may depend on it), and from files created in another order.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { build, generate, readTree } from "../packages/generator/src/index.ts";
import { estate, gitops, outputs, REPO, tempRoot } from "./support/estate.ts";

/** How `readdirSync` orders what it lists, for the whole generator, in this file's process. */
const listing = vi.hoisted(() => ({ order: "native" as "native" | "reversed" | "shuffled", seed: 1, calls: 0 }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const reorder = (entries: unknown[]): unknown[] => {
    if (listing.order === "native") return entries;
    listing.calls++;
    if (listing.order === "reversed") return [...entries].reverse();
    const out = [...entries];
    for (let i = out.length - 1; i > 0; i--) {
      listing.seed = (Math.imul(listing.seed, 1664525) + 1013904223) >>> 0;
      const j = listing.seed % (i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  const readdirSync = ((...args: Parameters<typeof fs.readdirSync>) => reorder(fs.readdirSync(...args) as unknown[])) as typeof fs.readdirSync;
  return { ...fs, readdirSync, default: { ...fs, readdirSync } };
});

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

  it("lists directories in any order and still writes the same bytes", async () => {
    const root = estate("repo");
    const built = async (order: typeof listing.order) => {
      listing.order = order;
      try {
        const result = await build(root);
        if (!result.ok) throw new Error("the repository's config is invalid");
        return [...result.build.files, ...result.build.rootFiles];
      } finally {
        listing.order = "native";
      }
    };
    const native = await built("native");
    expect(native.length).toBeGreaterThan(100);
    for (const order of ["reversed", "shuffled"] as const) {
      const calls = listing.calls;
      expect(await built(order), order).toEqual(native);
      expect(listing.calls, `${order}: the generator's listings went through the reordering`).toBeGreaterThan(calls);
    }

    // Writing too: a tree generated while listings are shuffled reads back identical to one generated without.
    const shuffledRoot = estate("repo");
    listing.order = "shuffled";
    try {
      expect((await generate(shuffledRoot)).kind).toBe("ok");
    } finally {
      listing.order = "native";
    }
    expect((await generate(root)).kind).toBe("ok");
    expect(outputs(shuffledRoot)).toEqual(outputs(root));
  });

  it("creating the config files in another order yields identical bytes", async () => {
    const forward = tempRoot();
    const backward = tempRoot();
    const services = readdirSync(join(REPO, "services")).sort();
    const envs = readdirSync(join(REPO, "environments")).sort();
    for (const [root, reverse] of [[forward, false], [backward, true]] as const) {
      mkdirSync(join(root, "environments"));
      for (const f of reverse ? [...envs].reverse() : envs) cpSync(join(REPO, "environments", f), join(root, "environments", f));
      for (const s of reverse ? [...services].reverse() : services) cpSync(join(REPO, "services", s), join(root, "services", s), { recursive: true });
      expect((await generate(root)).kind).toBe("ok");
    }
    const a = readTree(join(forward, "generated"));
    const b = readTree(join(backward, "generated"));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [path, content] of a) expect(b.get(path), path).toBe(content);
  });
});
