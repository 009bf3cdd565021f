import { defineService } from "@gitops/model";

export default defineService({
  name: "nightly-reports",
  kind: "job",
  description: "Builds the daily revenue and usage reports at 02:00 UTC.",
  team: "data",
  costCenter: "cc-4001",
  image: "data/nightly-reports",
  version: "0.9.2",
  schedule: "0 2 * * *",
  args: ["--since", "24h"],
  dependsOn: ["payments", "accounts"],
  // Reports of the last runs, kept between runs and backed up per tier (prod daily, 30 days).
  state: { size: "20Gi", mountPath: "/var/lib/reports" },
  config: { REPORT_BUCKET: "reports", TIMEZONE: "UTC" },
  secrets: { WAREHOUSE_DSN: { key: "nightly-reports/warehouse", property: "dsn" } },
  environments: { dev: {}, staging: {}, prod: {} },
});
