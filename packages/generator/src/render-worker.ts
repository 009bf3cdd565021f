/** A worker thread of renderer.ts: a local renderer serving the pool's messages ({ id, message } → { id, ok, value | error }). */
import { parentPort } from "node:worker_threads";
import { localRenderer } from "./renderer.ts";

const port = parentPort!;
const renderer = await localRenderer();
port.on("message", async ({ id, message }: { id: number; message: Parameters<typeof renderer.serve>[0] }) => {
  try {
    port.postMessage({ id, ok: true, value: await renderer.serve(message) });
  } catch (error) {
    port.postMessage({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
port.postMessage({ ready: true });
