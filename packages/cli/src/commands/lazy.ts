/**
 * Commands that main.ts can load on their own, without importing every command's dependencies: a `generate` with
 * nothing to do takes a few milliseconds once started, so what it imports is most of its time. Every command is
 * still listed in index.ts (help, and anything not named here).
 */
import type { Command } from "../command.ts";

export const lazyCommands: Readonly<Record<string, () => Promise<Command>>> = {
  generate: async () => (await import("./generate.ts")).generateCommand,
};
