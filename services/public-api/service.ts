import { defineService } from "@gitops/model";

export default defineService({
  name: "public-api",
  kind: "http",
  description: "The public REST API that customers and the web frontend call.",
  team: "core",
  costCenter: "cc-1001",
  image: "core/public-api",
  version: "2.14.0",
  port: 8080,
  public: { host: "api" },
  dependsOn: ["accounts", "payments"],
  config: { HTTP_TIMEOUT_MS: 5000, CORS_ENABLED: true, FEATURE_BULK_EXPORT: "off" },
  sharedConfig: ["DEFAULT_LOCALE", "FEATURE_FLAGS_URL"],
  urls: { PUBLIC_BASE_URL: "https://api.{domain}" },
  secrets: {
    DATABASE_URL: { key: "public-api/database", property: "url" },
    JWT_SIGNING_KEY: { key: "public-api/jwt", property: "signing-key" },
  },
  environments: {
    dev: { version: "2.15.0-rc.2" },
    staging: { version: "2.15.0-rc.2" },
    prod: {
      replicas: 4,
      resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
      autoscaling: { maxReplicas: 12 },
    },
  },
});
