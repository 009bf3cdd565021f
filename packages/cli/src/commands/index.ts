import type { Command } from "../command.ts";
import { explainCommand } from "./explain.ts";
import { generateCommand } from "./generate.ts";
import { newServiceCommand } from "./new-service.ts";

/** Every command, in the order --help lists them. */
export const commands: readonly Command[] = [generateCommand, explainCommand, newServiceCommand];
