import { defineEnvironment } from "@gitops/model";

/** Common's one environment: ArgoCD and the shared platform services, synced before any other wave. */
export default defineEnvironment({
  name: "shared",
  account: "common",
  tier: "prod",
  wave: -1,
  domain: "common.acme.dev",
});
