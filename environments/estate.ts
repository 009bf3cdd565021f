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
});
