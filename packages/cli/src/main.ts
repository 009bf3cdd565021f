/** The CLI's one error boundary: usage errors and ExitErrors print a line; anything else is a bug, reported as one. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { lazyCommands } from "./commands/lazy.ts";
import { EXIT, ExitError } from "./exit-codes.ts";

/** Every command (imports every command's dependencies: only for help and names the fast table does not know). */
const allCommands = async (): Promise<readonly Command[]> => (await import("./commands/index.ts")).commands;

const help = (commands: readonly Command[]) =>
  [
    "gitops: typed estate config in, committed generated/ out.",
    "",
    "Usage: pnpm gitops <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    "",
    "Run `pnpm gitops <command> --help` for a command's options.",
    `Exit codes: 0 ok, 1 internal error, ${EXIT.invalid} invalid config, ${EXIT.stale} stale generated/, ${EXIT.policy} policy violation, ${EXIT.busy} another generate running, ${EXIT.usage} usage.`,
  ].join("\n");

/** The repository root: the nearest folder up from `cwd` holding pnpm-workspace.yaml. */
export function findRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

export async function main(argv: string[], cwd: string, out: (line: string) => void, err: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    out(help(await allCommands()));
    return name ? EXIT.ok : EXIT.usage;
  }
  // The frequent commands load only their own modules (start-up is most of a no-op generate); the rest load all.
  const lazy = Object.hasOwn(lazyCommands, name) ? lazyCommands[name] : undefined;
  const command = lazy ? await lazy() : (await allCommands()).find((c) => c.name === name);
  if (!command) {
    const commands = await allCommands();
    err(`Unknown command "${name}". Commands: ${commands.map((c) => c.name).join(", ")}. Run \`pnpm gitops --help\`.`);
    return EXIT.usage;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: { ...command.options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    if (values.help) {
      out(`${command.summary}\n\nUsage: ${command.usage}`);
      return EXIT.ok;
    }
    return await command.run({ root: findRoot(cwd), values: values as Record<string, string | boolean | undefined>, positionals, out });
  } catch (error) {
    if (error instanceof ExitError) {
      err(error.message);
      return error.code;
    }
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      err(`${error.message}\n\nUsage: ${command.usage}`);
      return EXIT.usage;
    }
    err(`Internal error in \`gitops ${name}\`: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nThis is a bug in the generator, not in your config; please report it.`);
    return EXIT.internal;
  }
}
