import { defineEstate } from "@gitops/model";

/**
 * The estate: where ArgoCD reads from, the registry every image comes from, and the three accounts.
 * Each account is its own cluster and blast radius: prod and nonprod never talk; common holds what both share.
 */
export default defineEstate({
  repository: { url: "https://github.com/acme/platform-gitops.git", revision: "main" },
  registry: "registry.common.acme.dev",
  platformTeam: "@acme/platform",
  argocdNamespace: "argocd",
  argocdEnvironment: "shared",
  accounts: {
    common: {
      description: "Shared by prod and nonprod, reached only through its APIs: ArgoCD, registry, logs and metrics.",
      cluster: { name: "common", server: "https://kubernetes.default.svc" },
      domain: "common.acme.dev",
      secretStore: { name: "common-vault" },
    },
    nonprod: {
      description: "Everything without access to customer data; fixed in working hours.",
      cluster: { name: "nonprod", server: "https://nonprod.k8s.acme.dev" },
      domain: "nonprod.acme.dev",
      secretStore: { name: "nonprod-vault" },
    },
    prod: {
      description: "Customer data, SLOs, and the 3 AM pager.",
      cluster: { name: "prod", server: "https://prod.k8s.acme.dev" },
      domain: "acme.dev",
      secretStore: { name: "prod-vault" },
    },
  },
  /**
   * The platform every account runs, declared once in common and installed the same way into each cluster; common
   * is the hub that keeps everyone's metrics, logs and traces. `config` is shared configuration, copied down into
   * nonprod and prod by the same mechanism (never copied from prod to nonprod); `{domain}` is each environment's.
   */
  platform: {
    team: "platform",
    costCenter: "cc-0001",
    config: {
      ASSETS_CDN_URL: "https://assets.{domain}",
      FEATURE_FLAGS_URL: "https://flags.{domain}/api",
      DEFAULT_LOCALE: "en-GB",
    },
  },
});
