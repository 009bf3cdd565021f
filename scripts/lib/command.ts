/**
 * The `gitops` command as package.json's `gitops` script runs it (`node <flags> packages/cli/bin/gitops.mjs`): what
 * the benchmark times and the tests spawn, so that both run exactly what `pnpm gitops` runs.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "../..");
const words = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { scripts: { gitops: string } }).scripts.gitops.split(" ");

/** node's flags, between `node` and the launcher (V8's --single-threaded-gc). */
export const NODE_FLAGS: readonly string[] = words.slice(1, -1);
/** The launcher, an absolute path. */
export const BIN: string = join(REPO, words.at(-1)!);
