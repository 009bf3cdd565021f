/**
 * A tree's stat snapshot: one line per file (anything not a directory), `type\tpath\tsize\tmtime\tctime\tinode`, with
 * timestamps as seconds.nanoseconds, sorted. Two snapshots of a tree are equal exactly when no file was added,
 * removed, replaced or written in between (short of an edit that restores size, mtime *and* ctime, which a user
 * cannot do: setting the mtime back moves the ctime).
 *
 * Taking one means a stat per file: ~60,000 at S=2000, a quarter of a second of kernel time. It is done by GNU
 * `find | sort` in child processes, so it runs on the other core while this process fingerprints the inputs, with a
 * walk in this process as the fallback wherever `find -printf` is missing or fails. Both write the same text.
 */
import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, type BigIntStats } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const NS = 1_000_000_000n;
const stamp = (ns: bigint) => `${ns / NS}.${String(ns % NS).padStart(9, "0")}`;

/** A file's stat fields as a snapshot writes them: `size\tmtime\tctime\tinode`. */
export const statText = (st: BigIntStats) => `${st.size}\t${stamp(st.mtimeNs)}\t${stamp(st.ctimeNs)}\t${st.ino}`;

/** The later of a stat text's mtime and ctime, in nanoseconds. */
export function latestNs(stat: string): bigint {
  const [, m = "0.0", c = "0.0"] = stat.split("\t");
  const ns = (t: string) => {
    const [s = "0", f = "0"] = t.split(".");
    return BigInt(s) * NS + BigInt(f.padEnd(9, "0").slice(0, 9));
  };
  const a = ns(m);
  const b = ns(c);
  return a > b ? a : b;
}

/**
 * The latest mtime or ctime among stat texts, in nanoseconds (0n for none): the same as the largest `latestNs`, at a
 * tenth of the cost for a whole tree. A stamp as written here (`seconds.nnnnnnnnn`, no leading zeros) orders as
 * text by length first; any other is converted exactly.
 */
export function latestOf(stats: Iterable<string>): bigint {
  let best = "";
  let exact = 0n;
  for (const stat of stats) {
    const a = stat.indexOf("\t");
    const b = stat.indexOf("\t", a + 1);
    const c = stat.indexOf("\t", b + 1);
    for (const t of [stat.slice(a + 1, b), stat.slice(b + 1, c < 0 ? undefined : c)]) {
      if (!STAMP.test(t)) {
        const ns = latestNs(`0\t${t}\t${t}`);
        if (ns > exact) exact = ns;
      } else if (t.length > best.length || (t.length === best.length && t > best)) best = t;
    }
  }
  const fast = best ? latestNs(`0\t${best}\t${best}`) : 0n;
  return fast > exact ? fast : exact;
}
const STAMP = /^[1-9]\d*\.\d{9}$/;

const typeOf = (st: BigIntStats) => (st.isFile() ? "f" : st.isSymbolicLink() ? "l" : "?");

/** The snapshot of `dir` taken in this process. */
export function snapshotSync(dir: string): string {
  const lines: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(rel ? join(dir, rel) : dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else {
        const st = lstatSync(join(dir, path), { bigint: true });
        lines.push(`${typeOf(st)}\t${path}\t${statText(st)}`);
      }
    }
  };
  if (existsSync(dir)) walk("");
  return lines.length > 0 ? `${lines.sort(byteOrder).join("\n")}\n` : "";
}

/** C-locale order (what `LC_ALL=C sort` does), for the ASCII paths the generator writes. */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The snapshot of `dir`, from `find` and `sort` running beside this process; the in-process walk when they fail.
 * They write to files, not to pipes this process reads: a pipe is drained only when this thread's event loop
 * turns, and while it loads and resolves the config it does not, which left the snapshot waiting on this thread.
 */
export function snapshot(dir: string): Promise<string> {
  if (!existsSync(dir)) return Promise.resolve("");
  if (process.platform === "win32") return Promise.resolve(snapshotSync(dir));
  return new Promise((resolve) => {
    let temp: string | undefined;
    let settled = false;
    const settle = (text: () => string) => {
      if (settled) return;
      settled = true;
      try {
        resolve(text());
      } catch {
        resolve(snapshotSync(dir));
      } finally {
        if (temp) rmSync(temp, { recursive: true, force: true });
      }
    };
    try {
      temp = mkdtempSync(join(tmpdir(), "gitops-snapshot-"));
      const [raw, sorted] = [join(temp, "raw"), join(temp, "sorted")];
      const script = `find . -mindepth 1 ! -type d -printf '%y\\t%P\\t%s\\t%T@\\t%C@\\t%i\\n' > "$1" && LC_ALL=C sort -o "$2" "$1"`;
      const child = spawn("sh", ["-c", script, "sh", raw, sorted], { cwd: dir, stdio: "ignore" });
      child.on("error", () => settle(() => snapshotSync(dir)));
      child.on("exit", (code) =>
        // find prints ten fractional digits of which the tenth is always 0: keep nine, as statText does.
        settle(() => (code === 0 ? readFileSync(sorted, "utf8").replace(/(\t\d+\.\d{9})\d+/g, "$1") : snapshotSync(dir))),
      );
    } catch {
      settle(() => snapshotSync(dir));
    }
  });
}

/** One snapshot line's fields, or undefined when the line is not well formed (a path with a tab or newline). */
export function parseSnapshot(text: string): { type: string; path: string; stat: string }[] | undefined {
  const out: { type: string; path: string; stat: string }[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const fields = line.split("\t");
    if (fields.length !== 6 || !fields[1]) return undefined;
    out.push({ type: fields[0]!, path: fields[1], stat: fields.slice(2).join("\t") });
  }
  return out;
}
