import { defineEnvironment } from "@gitops/model";

/** The only environment with customer data; hosts live at the apex of the prod domain. */
export default defineEnvironment({
  name: "prod",
  account: "prod",
  tier: "prod",
  wave: 2,
  domain: "acme.dev",
});
