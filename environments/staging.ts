import { defineEnvironment } from "@gitops/model";

/** Pre-production validation on the nonprod cluster, with production-like security. */
export default defineEnvironment({
  name: "staging",
  account: "nonprod",
  tier: "staging",
  wave: 1,
});
