import { defineEnvironment } from "@gitops/model";

/** First to receive every change: single replicas, debug allowed. */
export default defineEnvironment({
  name: "dev",
  account: "nonprod",
  tier: "dev",
  wave: 0,
});
