import { defineService } from "@gitops/model";

export default defineService({
  name: "accounts",
  kind: "http",
  description: "Internal service owning customer accounts and profiles.",
  team: "identity",
  costCenter: "cc-3001",
  image: "identity/accounts",
  version: "3.2.0",
  port: 8080,
  config: { PASSWORD_MIN_LENGTH: 12, EMAIL_VERIFICATION: "yes" },
  secrets: { DATABASE_URL: { key: "accounts/database", property: "url" } },
  environments: {
    dev: {},
    staging: {},
    prod: { resources: { requests: { cpu: "500m", memory: "768Mi" }, limits: { cpu: "2", memory: "1536Mi" } } },
  },
});
