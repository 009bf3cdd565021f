import { defineService } from "@gitops/model";

export default defineService({
  name: "web-frontend",
  kind: "http",
  description: "Server-rendered web app for customers.",
  team: "web",
  costCenter: "cc-1002",
  image: "web/web-frontend",
  version: "5.3.1",
  port: 3000,
  health: { readiness: "/api/ready", liveness: "/api/live" },
  public: { host: "www" },
  dependsOn: ["public-api"],
  config: { NODE_ENV: "production", RENDER_CACHE_SECONDS: 60 },
  sharedConfig: ["ASSETS_CDN_URL", "FEATURE_FLAGS_URL"],
  secrets: { SESSION_SECRET: { key: "web-frontend/session", property: "secret" } },
  environments: {
    dev: { version: "5.4.0-rc.1" },
    staging: {},
    prod: { autoscaling: { maxReplicas: 20 } },
  },
});
