/**
 * The synthetic estate `pnpm bench` measures: S services, each in dev, staging and prod, kinds mixed
 * (http, http, worker, job), each depending on the nearest earlier http service (so network policies have both
 * directions), with config, a URL, a secret, one public host in ten, and per-environment overrides.
 */
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../..");
const kinds = ["http", "http", "worker", "job"] as const;

export const serviceName = (i: number) => `svc-${String(i).padStart(5, "0")}`;

export function serviceSource(i: number, s: number, version = `1.${i % 10}.0`): string {
  const kind = kinds[i % kinds.length]!;
  const name = serviceName(i);
  const dep = i >= 4 ? serviceName(i - (i % 4) - 4) : undefined;
  const lines = [
    `import { defineService } from "@gitops/model";`,
    `export default defineService({`,
    `  name: "${name}", kind: "${kind}", description: "Synthetic service ${i} of ${s}.",`,
    `  team: "team-${i % 17}", costCenter: "cc-${1000 + (i % 17)}", image: "bench/${name}", version: "${version}",`,
    kind === "job" ? `  schedule: "${i % 60} 2 * * *",` : kind === "worker" ? `  health: { port: 9090 },` : `  port: 8080,`,
    kind === "http" && i % 10 === 0 ? `  public: { host: "${name}" },` : "",
    dep ? `  dependsOn: ["${dep}"],` : "",
    `  config: { FEATURE_FLAG: "on", BATCH_SIZE: ${i % 100}, REGION: "eu-west-1" },`,
    `  urls: { PARTNER_URL: "https://partner-${i}.{domain}/v1" },`,
    `  secrets: { DATABASE_URL: { key: "${name}/database", property: "url" } },`,
    `  environments: { dev: { version: "1.${i % 10}.1-rc.1" }, staging: {}, prod: {${kind === "job" ? "" : " replicas: 4 "}} },`,
    `});`,
  ];
  return lines.filter(Boolean).join("\n") + "\n";
}

/**
 * A temp root under `base` with the repository's environments/, S synthetic services, a node_modules symlink
 * (so `@gitops/model` resolves) and a pnpm-workspace.yaml (so the CLI takes it for the repository root).
 */
export function makeEstate(base: string, s: number): string {
  const root = mkdtempSync(join(base, `gitops-bench-${s}-`));
  cpSync(join(REPO, "environments"), join(root, "environments"), { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  for (let i = 0; i < s; i++) {
    const dir = join(root, "services", serviceName(i));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "service.ts"), serviceSource(i, s));
  }
  return root;
}
