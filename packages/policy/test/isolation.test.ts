import { describe, expect, it } from "vitest";
import { commonApiRule, crossAccountRule, hostsIn, networkPolicyRule, openPrivateRanges, ownership } from "../src/index.ts";
import { cleanFixture, fixture, run, withObject } from "./fixture.ts";

describe("host ownership", () => {
  it("gives a host to the account with the longest matching domain", () => {
    const own = ownership(cleanFixture().estate);
    expect(own.ownerOf("api.example.dev")).toBe("prod");
    expect(own.ownerOf("api.staging.nonprod.example.dev")).toBe("nonprod");
    expect(own.ownerOf("prod.k8s.example.dev")).toBe("prod");
    expect(own.ownerOf("registry.common.example.dev")).toBe("common");
    expect(own.ownerOf("api.partner.example.com")).toBeUndefined();
    expect(own.common).toBe("common");
  });

  it("finds hosts in URLs and images, never cluster-internal names", () => {
    expect(hostsIn("https://user@api.example.dev:8443/x?y=1")).toEqual(["api.example.dev"]);
    expect(hostsIn("registry.common.example.dev/core/api:1.2.3")).toEqual(["registry.common.example.dev"]);
    expect(hostsIn("http://api.prod-api.svc.cluster.local")).toEqual([]);
    expect(hostsIn("1.2.3")).toEqual([]);
  });
});

describe("isolation/cross-account", () => {
  it("passes: each environment names only its own account's hosts, third parties and the registry", () => {
    expect(run(crossAccountRule, cleanFixture())).toEqual([]);
  });

  it("fails a nonprod URL override pointing at a prod host, at the override", () => {
    const input = fixture({ services: (s) => (s.api!.environments.staging = { urls: { PARTNER_URL: "https://api.example.dev/v1" } }) });
    expect(run(crossAccountRule, input)).toMatchObject([
      { rule: "isolation/cross-account", file: "services/api/service.ts", path: "environments.staging.urls.PARTNER_URL", environment: "staging", message: expect.stringContaining("belongs to account prod"), generated: { file: "nonprod/staging/api/configmap.yaml", path: "data.PARTNER_URL" } },
    ]);
  });

  it("fails prod config naming a nonprod host or cluster", () => {
    const input = fixture({ services: (s) => (s.api!.config = { ...s.api!.config, KUBE: "https://nonprod.k8s.example.dev" }) });
    expect(run(crossAccountRule, input)).toMatchObject([{ file: "services/api/service.ts", path: "config.KUBE", environment: "prod" }]);
  });

  it("fails an ExternalSecret reading another account's store, at the account's store", () => {
    const input = withObject(cleanFixture(), "prod/prod/api/externalsecret.yaml", (o) => (o.spec.secretStoreRef.name = "nonprod-vault"));
    expect(run(crossAccountRule, input)).toMatchObject([{ file: "environments/estate.ts", path: "accounts.prod.secretStore", message: expect.stringContaining("secret store of account nonprod") }]);
  });
});

describe("isolation/common-api", () => {
  const withShared = (url: string) =>
    fixture({
      environments: (e) => (e.shared = { name: "shared", account: "common", tier: "prod", wave: -1, domain: "common.example.dev" }),
      services: (s) => {
        s.logs = { name: "logs", kind: "http", description: "Log intake.", team: "platform", costCenter: "cc-0", image: "platform/logs", version: "1.0.0", public: { host: "logs" }, environments: { shared: {} } };
        s.api!.urls = { ...s.api!.urls, LOGS_URL: url };
      },
    });

  it("passes a reference to what common exposes (a public host of a common service, the registry)", () => {
    expect(run(commonApiRule, withShared("https://logs.common.example.dev/ingest"))).toEqual([]);
  });

  it("fails a reference to anything else in common", () => {
    expect(run(commonApiRule, withShared("https://vault.common.example.dev"))).toMatchObject([
      { rule: "isolation/common-api", file: "services/api/service.ts", path: "urls.LOGS_URL", environment: "dev" },
      { environment: "staging" },
      { environment: "prod" },
    ]);
  });
});

describe("isolation of the platform (its folders and its Applications)", () => {
  const app = (account: string, component: string) => `common/shared/argocd/application-platform-${account}-${component}.yaml`;
  const values = (o: Record<string, any>) => o.spec.sources[0].helm.valuesObject; // eslint-disable-line @typescript-eslint/no-explicit-any

  it("passes spokes shipping to the hub's endpoints, and stores reading the platform's Vault", () => {
    const input = cleanFixture();
    const text = JSON.stringify(input.objects.filter((o) => o.file.startsWith("common/shared/argocd/application-platform-prod-") || o.file.startsWith("prod/platform/")).map((o) => o.object));
    // Not vacuous: prod's platform does name the hub's endpoints and common's Vault.
    for (const host of Object.values(input.estate.platform.endpoints)) expect(text).toContain(host);
    expect(text).toContain("https://vault.common.example.dev");
    expect(run(commonApiRule, input)).toEqual([]);
    expect(run(crossAccountRule, input)).toEqual([]);
  });

  it("fails a spoke's Helm values reaching a common host that is not an endpoint, at the platform", () => {
    const input = withObject(cleanFixture(), app("nonprod", "kube-prometheus-stack"), (o) => (values(o).prometheus.prometheusSpec.remoteWrite[0].url = "https://grafana.common.example.dev/api/v1/write"));
    expect(run(commonApiRule, input)).toMatchObject([
      { rule: "isolation/common-api", file: "environments/estate.ts", path: "platform", service: null, message: expect.stringContaining("the platform of account nonprod references grafana.common.example.dev"), generated: { file: app("nonprod", "kube-prometheus-stack"), path: "spec.sources[0].helm.valuesObject.prometheus.prometheusSpec.remoteWrite[0].url" } },
    ]);
  });

  it("passes each account's analyses at its own query host, and fails one at another account's, where the hub shows only that account's series", () => {
    const input = cleanFixture();
    const analysis = input.objects.find((o) => o.file.startsWith("prod/prod/") && o.object.kind === "AnalysisTemplate")!;
    const address = (o: Record<string, any>) => o.spec.metrics[0].provider.prometheus; // eslint-disable-line @typescript-eslint/no-explicit-any
    // Not vacuous: the fixture's prod analyses query the hub at prod's own host.
    expect(address(analysis.object).address).toBe(`https://${input.estate.platform.queryEndpoints.prod}`);
    expect(run(commonApiRule, input)).toEqual([]);
    const nonprodHost = input.estate.platform.queryEndpoints.nonprod!;
    const crossed = withObject(input, analysis.file, (o) => (address(o).address = `https://${nonprodHost}`));
    expect(run(commonApiRule, crossed)).toMatchObject([
      { rule: "isolation/common-api", environment: "prod", message: expect.stringContaining(`queries ${nonprodHost}, the hub's metrics host for account nonprod`), generated: { file: analysis.file, path: "spec.metrics[0].provider.prometheus.address" } },
    ]);
  });

  it("fails common's Vault named anywhere but a secret store's server", () => {
    const input = withObject(cleanFixture(), app("prod", "opentelemetry-collector"), (o) => (values(o).config.exporters["otlp/hub"].endpoint = "vault.common.example.dev:443"));
    expect(run(commonApiRule, input)).toMatchObject([{ rule: "isolation/common-api", message: expect.stringContaining("vault.common.example.dev") }]);
  });

  it("fails a nonprod platform object or Application naming prod's domain or cluster", () => {
    const issuer = withObject(cleanFixture(), "nonprod/platform/cert-manager/clusterissuer-letsencrypt.yaml", (o) => (o.spec.acme.server = "https://acme.example.dev/directory"));
    expect(run(crossAccountRule, issuer)).toMatchObject([{ rule: "isolation/cross-account", file: "environments/estate.ts", environment: null, message: expect.stringContaining("the platform of account nonprod references acme.example.dev, which belongs to account prod"), generated: { path: "spec.acme.server" } }]);
    const destination = withObject(cleanFixture(), app("nonprod", "ingress-nginx"), (o) => (o.spec.destination.server = "https://prod.k8s.example.dev"));
    expect(run(crossAccountRule, destination)).toMatchObject([{ path: "accounts.nonprod.cluster.server", message: expect.stringContaining("prod.k8s.example.dev, which belongs to account prod"), generated: { file: app("nonprod", "ingress-nginx"), path: "spec.destination.server" } }]);
  });

  it("keeps each account's telemetry at home without a service-free hub, and still fails one shipping to another", () => {
    // Without common's environment, ArgoCD runs in dev's account, which runs services: no shared hub.
    const input = fixture({ environments: (e) => delete e.shared, estate: (e) => delete e.argocdEnvironment });
    expect(input.estate.platform.hub).toBeUndefined();
    const prodCollector = input.objects.find((o) => o.file.endsWith("/application-platform-prod-opentelemetry-collector.yaml"))!;
    // Prod keeps its own stores, behind its own endpoint.
    expect(input.objects.find((o) => o.file === "prod/platform/opentelemetry-collector/ingress-otlp.yaml")?.object).toMatchObject({ spec: { rules: [{ host: "otlp.example.dev" }] } });
    expect(run(crossAccountRule, input)).toEqual([]);
    const leaking = withObject(input, prodCollector.file, (o) => (values(o).config.exporters["otlp/tempo"] = { endpoint: "otlp.nonprod.example.dev:443" }));
    expect(run(crossAccountRule, leaking)).toMatchObject([{ rule: "isolation/cross-account", message: expect.stringContaining("the platform of account prod references otlp.nonprod.example.dev, which belongs to account nonprod"), generated: { file: prodCollector.file } }]);
  });
});

describe("isolation/network-policy", () => {
  it("passes default-deny plus named same-account peers", () => {
    expect(run(networkPolicyRule, cleanFixture())).toEqual([]);
  });

  it("fails egress to another account's namespace", () => {
    const input = withObject(cleanFixture(), "nonprod/staging/worker/networkpolicy.yaml", (o) => (o.spec.egress[1].to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"] = "prod-api"));
    expect(run(networkPolicyRule, input)).toMatchObject([{ file: "services/worker/service.ts", path: "dependsOn", environment: "staging", message: expect.stringContaining("namespace prod-api of account prod") }]);
  });

  it("fails every-namespace selectors, rules without peers and open private ranges", () => {
    const input = withObject(cleanFixture(), "prod/prod/api/networkpolicy.yaml", (o) => {
      o.spec.ingress[0].from.push({ namespaceSelector: {} });
      o.spec.egress.push({ ports: [{ port: 5432, protocol: "TCP" }] });
      o.spec.egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] });
    });
    expect(run(networkPolicyRule, input).map((f) => f.message).join("\n")).toMatch(/selects every namespace[\s\S]*without to[\s\S]*10\.0\.0\.0\/8, 172\.16\.0\.0\/12, 192\.168\.0\.0\/16/);
  });

  it("fails a namespace without a default-deny policy", () => {
    const input = { ...cleanFixture(), objects: cleanFixture().objects.filter((o) => o.file !== "prod/prod/worker/networkpolicy-default-deny.yaml") };
    expect(run(networkPolicyRule, input)).toMatchObject([{ service: "worker", environment: "prod", message: expect.stringContaining("no default-deny") }]);
  });

  it("knows which private ranges an ipBlock leaves open", () => {
    expect(openPrivateRanges("0.0.0.0/0", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])).toEqual([]);
    expect(openPrivateRanges("10.1.0.0/16", [])).toEqual(["10.0.0.0/8"]);
    expect(openPrivateRanges("10.1.0.0/16", ["10.0.0.0/8"])).toEqual([]);
    expect(openPrivateRanges("203.0.113.0/24", [])).toEqual([]);
    expect(openPrivateRanges("::/0", [])).toEqual(["fc00::/7"]);
  });
});
