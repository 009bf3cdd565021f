/** Distinct exit codes so CI can tell "regenerate and commit" from "fix your config" from "a rule failed". */
export const EXIT = {
  ok: 0,
  /** A bug in the generator: please report it. */
  internal: 1,
  /** The typed config is invalid; the problems name file and field. */
  invalid: 2,
  /** generated/ does not match the sources; run `pnpm generate` and commit. */
  stale: 3,
  /** A policy rule failed. */
  policy: 4,
  /** Another `generate` is running in this repository; try again when it ends. */
  busy: 75,
  /** The command line was wrong. */
  usage: 64,
} as const;

/** Thrown to end a command with a message and an exit code; the one error boundary is in bin.ts. */
export class ExitError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}
