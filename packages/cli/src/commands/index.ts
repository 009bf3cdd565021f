import type { Command } from "../command.ts";
import { appsCommand } from "./apps.ts";
import { checkCommand } from "./check.ts";
import { diffCommand } from "./diff.ts";
import { explainCommand } from "./explain.ts";
import { generateCommand } from "./generate.ts";
import { newServiceCommand } from "./new-service.ts";
import { promoteCommand } from "./promote.ts";
import { readinessCommand } from "./readiness.ts";
import { restoreCommand } from "./restore.ts";

/** Every command, in the order --help lists them. */
export const commands: readonly Command[] = [generateCommand, checkCommand, explainCommand, diffCommand, promoteCommand, newServiceCommand, appsCommand, restoreCommand, readinessCommand];
