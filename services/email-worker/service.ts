import { defineService } from "@gitops/model";

export default defineService({
  name: "email-worker",
  kind: "worker",
  description: "Consumes the outbound-email queue and sends transactional email.",
  team: "identity",
  costCenter: "cc-3001",
  image: "identity/email-worker",
  version: "1.0.7",
  health: { port: 9090 },
  dependsOn: ["accounts"],
  config: { QUEUE_NAME: "outbound-email", BATCH_SIZE: 50 },
  urls: { SMTP_RELAY_URL: "https://smtp-relay.{domain}" },
  secrets: { SMTP_PASSWORD: { key: "email-worker/smtp", property: "password" } },
  environments: {
    dev: { logLevel: "debug" },
    staging: {},
    prod: { logLevel: "warn" },
  },
});
