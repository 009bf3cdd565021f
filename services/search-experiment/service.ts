import { defineService } from "@gitops/model";

/** A spike: lives in dev only, and is removed or promoted within the quarter. */
export default defineService({
  name: "search-experiment",
  kind: "http",
  description: "Experiment: vector search over the product catalogue.",
  team: "web",
  costCenter: "cc-1002",
  image: "web/search-experiment",
  version: "0.1.0-alpha.3",
  port: 8080,
  dependsOn: ["public-api"],
  config: { INDEX_NAME: "catalogue-v0" },
  environments: { dev: {} },
});
