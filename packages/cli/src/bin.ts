#!/usr/bin/env node
import { EXIT } from "./exit-codes.ts";
import { main } from "./main.ts";

// Config is code and runs in this process. If it ends the process with success before the command has finished
// (process.exit(0) from a timer, or a top-level await that never settles), that must not pass a CI gate that never
// ran. (Any other early end already fails: an uncaught error exits 1 with its stack, as the bug it is.)
let finished = false;
process.on("exit", (code) => {
  if (finished || (code !== 0 && code !== 13)) return;
  process.stderr.write(
    "gitops: the command was ended before it finished, by config code calling process.exit or by a top-level await in a config file that never settles — a config file only exports its definition; remove the call or the await\n",
  );
  process.exitCode = EXIT.invalid;
});

const code = await main(process.argv.slice(2), process.cwd(), (line) => process.stdout.write(`${line}\n`));
finished = true;
// The command is over: a timer or socket config code left open must not keep the process alive.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((done) => stream.write("", () => done()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
