import type { ParseArgsConfig } from "node:util";

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Extra usage text: arguments and flags. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig["options"]>;
  run(ctx: { root: string; values: Record<string, string | boolean | undefined>; positionals: string[]; out: (line: string) => void }): Promise<number>;
}
