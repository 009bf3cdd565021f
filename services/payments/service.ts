import { defineService } from "@gitops/model";

export default defineService({
  name: "payments",
  kind: "http",
  description: "Internal payments service: charges, refunds and the card processor integration.",
  team: "payments",
  costCenter: "cc-2001",
  image: "payments/payments",
  version: "1.8.3",
  port: 8080,
  dependsOn: ["accounts"],
  config: { CURRENCY_DEFAULT: "EUR", RETRY_ATTEMPTS: 3 },
  urls: { PROCESSOR_URL: "https://sandbox.processor.example.com/v2" },
  secrets: {
    DATABASE_URL: { key: "payments/database", property: "url" },
    PROCESSOR_API_KEY: { key: "payments/processor", property: "api-key" },
  },
  environments: {
    dev: {},
    staging: {},
    prod: {
      urls: { PROCESSOR_URL: "https://api.processor.example.com/v2" },
      secrets: { PROCESSOR_API_KEY: { key: "payments/processor-live", property: "api-key" } },
    },
  },
});
