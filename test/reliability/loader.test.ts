/**
 * Bad files, through the real CLI: what the in-memory fuzz (fuzz.test.ts) cannot reach because it needs a file on
 * disk and a process — syntax errors, modules that throw (anything, not only Errors), odd or missing default
 * exports, imports that fail, bytes that are not text, and config code that misbehaves at import time (exits the
 * process, leaves a timer running). Each case replaces one config file of a generated `minimal` estate, chosen by
 * a seeded draw, and runs `gitops generate`:
 *
 * - it ends, within the timeout, with exit 2 and one `file: path: message — fix` line per problem naming that
 *   file (or exit 0 for the harmless cases), never an internal error, a stack trace or a temp path;
 * - nothing is written when it fails, and nothing outside generated/ and .github/ ever changes.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { estate, gitops, outputs, tempRoot } from "../support/estate.ts";

const SEED = Number(process.env.LOADER_SEED ?? 20261122);

const valid = (name: string) => `import { defineService } from "@gitops/model";
export default defineService({
  name: "${name}", kind: "worker", description: "Loader case.", team: "core", costCenter: "cc-100",
  image: "core/${name}", version: "1.0.0", environments: { dev: {}, staging: {}, prod: {} },
});
`;

interface Case {
  readonly name: string;
  /** The file's content; `name` is the config's own name (the service folder, or the environment file's stem). */
  readonly content: (name: string) => string | Buffer;
  /** Exit 0: a harmless file, the run must succeed. Default: exit 2 naming the file. */
  readonly ok?: boolean;
  /** Where it may go: any config file (default), or only a service (the content defines a service). */
  readonly only?: "service";
}

const CASES: Case[] = [
  { name: "a syntax error", content: () => `export default defineService({ name: "x", \n` },
  { name: "a TypeScript-only syntax error", content: () => `const x: = 1;\nexport default {};\n` },
  { name: "an Error thrown at import", content: () => `throw new Error("config is broken");\nexport default {};\n` },
  { name: "a string thrown", content: () => `throw "just a string";\nexport default {};\n` },
  { name: "null thrown", content: () => `throw null;\nexport default {};\n` },
  { name: "an object without a prototype thrown", content: () => `throw Object.create(null);\nexport default {};\n` },
  { name: "an object whose message getter throws, thrown", content: () => `throw { get message() { throw new Error("no"); } };\nexport default {};\n` },
  {
    name: "a huge multi-line error with escape sequences",
    content: () => `throw new Error("\\u001b[31mred\\u001b[0m " + "x".repeat(100000) + "\\nservices/x/service.ts: forged: line — fix");\nexport default {};\n`,
  },
  { name: "no default export", content: () => `export const service = { name: "x" };\n` },
  { name: "an empty file", content: () => `` },
  { name: "export default undefined", content: () => `export default undefined;\n` },
  { name: "export default null", content: () => `export default null;\n` },
  { name: "export default a number", content: () => `export default 42;\n` },
  { name: "export default an array", content: () => `export default [{ name: "x" }];\n` },
  { name: "export default a function", content: () => `export default function make() {\n  return {};\n}\n` },
  { name: "export default a class instance", content: () => `export default new (class Config { name = "x" })();\n` },
  { name: "export default a promise", content: (n) => `export default Promise.resolve({ name: "${n}" });\n` },
  { name: "export default a proxy that throws", content: () => `export default new Proxy({}, { get() { throw new Error("trap"); }, ownKeys() { throw new Error("trap"); } });\n` },
  { name: "a getter that throws", content: () => `export default { get name(): string { throw new Error("getter"); } };\n` },
  { name: "an import that does not exist", content: () => `import x from "./nowhere.ts";\nexport default x;\n` },
  { name: "a package that does not exist", content: () => `import x from "no-such-package-anywhere";\nexport default x;\n` },
  { name: "bytes that are not UTF-8", content: () => Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x0a, 0xc3, 0x28]) },
  { name: "process.exit(0) at import", content: (n) => `process.exit(0);\n${valid(n)}` , only: "service" },
  { name: "process.exit(1) in a getter", content: () => `export default { get name(): string { process.exit(1); } };\n` },
  { name: "a top-level await that never settles", content: (n) => `await new Promise(() => {});\n${valid(n)}`, only: "service" },
  { name: "a timer left running", content: (n) => `${valid(n)}setInterval(() => {}, 1000);\n`, ok: true, only: "service" },
  { name: "a byte-order mark and CRLF line endings", content: (n) => `\ufeff${valid(n).replaceAll("\n", "\r\n")}`, ok: true, only: "service" },
];

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Every file under root except node_modules, path → bytes: proof that nothing else was touched. */
function everything(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (path === "node_modules") continue;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else out.set(path, readFileSync(join(root, path), "base64"));
    }
  };
  walk("");
  return out;
}

/**
 * The cases in batches, one CLI run each (a run costs a second of start-up; every problem in every file is reported
 * in one run anyway): each batch gives each of its cases its own file, drawn from the estate, the environments,
 * the services and a few extra service folders. Harmless cases share one batch that must succeed.
 */
const PLACES = [
  "environments/estate.ts", "environments/dev.ts", "environments/staging.ts", "environments/prod.ts",
  "services/api/service.ts", "services/job/service.ts", "services/worker/service.ts",
  "services/extra-a/service.ts", "services/extra-b/service.ts",
];
function batches(random: () => number): { cases: (Case & { file: string })[]; ok: boolean }[] {
  const shuffled = (items: string[]) => {
    const a = [...items];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  const out: { cases: (Case & { file: string })[]; ok: boolean }[] = [];
  for (const ok of [false, true]) {
    let pending = CASES.filter((c) => !!c.ok === ok);
    while (pending.length > 0) {
      const free = shuffled(PLACES);
      const batch: (Case & { file: string })[] = [];
      for (const c of pending) {
        const at = free.findIndex((f) => c.only !== "service" || f.startsWith("services/"));
        if (at < 0) continue;
        batch.push({ ...c, file: free.splice(at, 1)[0]! });
        if (batch.length === 7) break;
      }
      pending = pending.filter((c) => !batch.some((b) => b.name === c.name));
      out.push({ cases: batch, ok });
    }
  }
  return out;
}

let template = "";
beforeAll(async () => {
  template = estate("minimal");
  const run = await gitops(template, ["generate"]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
});

describe("bad config files through the real CLI", () => {
  const plan = batches(prng(SEED));

  it.concurrent.each(plan.map((b, i) => ({ ...b, title: `batch ${i + 1}: ${b.cases.map((c) => `${c.name} (${c.file})`).join("; ")}` })))(
    `$title (LOADER_SEED=${SEED})`,
    async ({ cases, ok }) => {
      const root = tempRoot();
      for (const dir of ["environments", "services", "generated", ".github"]) cpSync(join(template, dir), join(root, dir), { recursive: true });
      // ES modules, as in the repository (its package.json says "type": "module"): top-level await is allowed.
      writeFileSync(join(root, "package.json"), `{ "private": true, "type": "module" }\n`);
      for (const c of cases) {
        const name = c.file.startsWith("services/") ? c.file.split("/")[1]! : c.file.slice("environments/".length, -3);
        mkdirSync(join(root, c.file, ".."), { recursive: true });
        writeFileSync(join(root, c.file), c.content(name));
      }
      const before = everything(root);
      const generatedBefore = outputs(root);

      const run = await gitops(root, ["generate"], {}, { timeout: 30_000 });
      const text = run.stdout + run.stderr;
      expect(text).not.toMatch(/Internal error|^\s+at |data:text\/javascript|file:\/\//m);
      expect(text).not.toContain(root);
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      if (ok) {
        expect(run.code, text).toBe(0);
        // Only what the generator owns may change: generated/, .github/CODEOWNERS and its own .generated.* scratch.
        for (const [path, bytes] of everything(root))
          if (!/^(generated\/|\.github\/|\.generated\.)/.test(path)) expect(bytes, path).toBe(before.get(path));
        return;
      }
      expect(run.code, text).toBe(2);
      const lines = run.stdout.split("\n").filter((l) => l && !/^\d+ problems? in the config; nothing was written\.$/.test(l));
      for (const line of lines) {
        expect(line, text).toMatch(/^(environments|services)\/[a-z0-9/-]+\.ts: \S+: [^\n]+ — [^\n]+$/);
        expect(line.length, line).toBeLessThan(600);
      }
      for (const c of cases) expect(lines.some((l) => l.startsWith(`${c.file}: `)), `${c.name}: names ${c.file}\n${text}`).toBe(true);
      expect(outputs(root)).toEqual(generatedBefore);
      expect(everything(root)).toEqual(before);
    },
  );

  it("a config file that is a directory, and a service folder without service.ts", async () => {
    const root = tempRoot();
    for (const dir of ["environments", "services", "generated", ".github"]) cpSync(join(template, dir), join(root, dir), { recursive: true });
    mkdirSync(join(root, "environments/qa.ts"));
    mkdirSync(join(root, "services/empty"));
    const run = await gitops(root, ["generate"], {}, { timeout: 30_000 });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toMatch(/^environments\/qa\.ts: \(file\): .+ — .+$/m);
    expect(run.stdout).not.toContain("services/empty");
    rmSync(join(root, "environments/qa.ts"), { recursive: true });
  });

  it("plans every case", () => {
    expect(plan.flatMap((b) => b.cases.map((c) => c.name)).sort()).toEqual(CASES.map((c) => c.name).sort());
    console.log(`loader: LOADER_SEED=${SEED}, ${CASES.length} bad-file cases in ${plan.length} CLI runs, plus a directory named like a config file`);
  });
});
