export { main, findRoot } from "./main.ts";
export { EXIT, ExitError } from "./exit-codes.ts";
export { commands } from "./commands/index.ts";
export type { Command } from "./command.ts";
