/**
 * The common account made real in generated/ (issue #8), checked on the bytes that would be written, read back as
 * YAML 1.1 the way kubectl and ArgoCD read them: every workload's telemetry goes to its own account's collector;
 * each account resolves secrets through its own store and nothing references another account's; every public host
 * has TLS from its account's issuer; shared config is declared once and copied down the same way; every object
 * carries the cost labels; rollout health is tier data. Run on the repository's estate and on the minimal fixture.
 */
import { dirname } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { build, type Build } from "../packages/generator/src/index.ts";
import { components, tiers, wellKnown, type ResolvedDeployment } from "../packages/model/src/index.ts";
import { estate } from "./support/estate.ts";

type K8s = Record<string, any>;
interface File {
  readonly path: string;
  readonly account: string;
  readonly o: K8s;
}

function ok(result: Awaited<ReturnType<typeof build>>): Build {
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join("\n"));
  return result.build;
}

const files = (b: Build): File[] =>
  [...b.files]
    .filter(([p]) => p.endsWith(".yaml") && !p.endsWith("/kustomization.yaml"))
    .map(([path, text]) => ({ path, account: path.split("/")[0]!, o: parse(text, { version: "1.1" }) as K8s }));
const folderOf = (d: ResolvedDeployment) => `${d.account}/${d.environment}/${d.service}`;
/** The long-running workload's file: a Rollout under a canary or blue-green strategy, else a Deployment. */
const workloadFile = (d: ResolvedDeployment) => (d.delivery && d.delivery.strategy !== "rolling" ? "rollout.yaml" : "deployment.yaml");
/** ArgoCD's folder: in the account and environment that run ArgoCD (common/shared in the repository). */
const argoFolder = (b: Build) => dirname([...b.files.keys()].find((p) => p.endsWith("/applicationset-estate.yaml"))!);
/** The account whose domain is the longest suffix of a host: nonprod.acme.dev is nonprod's, not prod's acme.dev. */
const ownerOf = (b: Build, host: string) =>
  b.estate.accounts
    .filter((a) => host === a.domain || host.endsWith(`.${a.domain}`))
    .sort((x, y) => y.domain.length - x.domain.length)[0]?.name;
/** Hosts named in an object; an email address's domain is a contact, not a connection, and is left out. */
const hostsIn = (o: unknown) => [...JSON.stringify(o).matchAll(/(?<![@a-z0-9.-])[a-z0-9][a-z0-9.-]*\.[a-z]{2,}/g)].map((m) => m[0]);

const builds: Record<string, Build> = {};
beforeAll(async () => {
  [builds.repo, builds.minimal] = await Promise.all([build(estate("repo")).then(ok), build(estate("minimal")).then(ok)]);
});

describe.each(["repo", "minimal"])("the common account in the %s estate", (name) => {
  const b = () => builds[name]!;
  const ARGO_FOLDER = () => argoFolder(b());

  it("points every workload at its own account's OTLP collector, which that account runs under that name", () => {
    const collectorNs = components["opentelemetry-collector"].namespace;
    const endpoint = `http://${wellKnown.collector.service}.${collectorNs}.svc.cluster.local:${wellKnown.collector.grpcPort}`;
    const apps = files(b()).filter((f) => f.path.startsWith(`${ARGO_FOLDER()}/application-platform-`));
    for (const d of b().estate.deployments) {
      const folder = folderOf(d);
      const config = files(b()).find((f) => f.path === `${folder}/configmap.yaml`)!.o;
      expect(config.data.OTEL_EXPORTER_OTLP_ENDPOINT, folder).toBe(endpoint);
      expect(config.data.OTEL_SERVICE_NAME, folder).toBe(d.service);
      expect(config.data.OTEL_RESOURCE_ATTRIBUTES, folder).toBe(`service.namespace=${d.team}`);
      // The container reads that ConfigMap, and its network policy lets it reach the collector's pods.
      // A canary or blue-green service's pods are a Rollout's (see delivery in the tiers).
      const workload = files(b()).find((f) => f.path === `${folder}/${d.kind === "job" ? "cronjob.yaml" : workloadFile(d)}`)!.o;
      const pod = d.kind === "job" ? workload.spec.jobTemplate.spec.template.spec : workload.spec.template.spec;
      expect(pod.containers[0].envFrom, folder).toContainEqual({ configMapRef: { name: config.metadata.name } });
      const policy = files(b()).find((f) => f.path === `${folder}/networkpolicy.yaml`)!.o;
      expect(policy.spec.egress, folder).toContainEqual({
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": collectorNs } }, podSelector: { matchLabels: wellKnown.collector.podLabels } }],
        ports: [{ protocol: "TCP", port: 4317 }, { protocol: "TCP", port: 4318 }],
      });
      // The account's own collector release: same namespace, the name the endpoint uses, the account's cluster.
      const account = b().estate.accounts.find((a) => a.name === d.account)!;
      const release = apps.find((f) => f.o.metadata.name === `platform-${d.account}-opentelemetry-collector`);
      expect(release, `${d.account} runs no collector`).toBeDefined();
      expect(release!.o.spec.destination).toEqual({ server: account.cluster.server, namespace: collectorNs });
      expect(release!.o.spec.sources[0].helm.valuesObject.fullnameOverride).toBe(wellKnown.collector.service);
    }
  });

  it("resolves secrets through one store per account, and nothing references another account's store", () => {
    const all = files(b());
    const accounts = b().estate.accounts.filter((a) => all.some((f) => f.account === a.name && !f.path.startsWith(ARGO_FOLDER())));
    expect(accounts.length).toBeGreaterThanOrEqual(2);
    for (const account of accounts) {
      const stores = all.filter((f) => f.o.kind === "ClusterSecretStore" && f.account === account.name);
      expect(stores.map((s) => s.o.metadata.name), account.name).toEqual([account.secretStore.name]);
      const vault = stores[0]!.o.spec.provider.vault;
      // Its own path and its own Kubernetes auth mount: a nonprod cluster's token cannot read prod's secrets.
      expect(vault.path).toBe(account.name);
      expect(vault.auth.kubernetes.mountPath).toBe(`kubernetes-${account.name}`);
      const externalSecrets = all.filter((f) => f.o.kind === "ExternalSecret" && f.account === account.name);
      expect(externalSecrets.length, account.name).toBeGreaterThan(0);
      for (const es of externalSecrets) expect(es.o.spec.secretStoreRef, es.path).toEqual({ kind: account.secretStore.kind, name: account.secretStore.name });
    }
    // No store of any account appears in another account's files (prod and nonprod never talk).
    for (const account of accounts)
      for (const other of accounts.filter((a) => a.name !== account.name)) {
        for (const f of all.filter((x) => x.account === account.name && !x.path.startsWith(ARGO_FOLDER())))
          expect(JSON.stringify(f.o).includes(`"${other.secretStore.name}"`), `${f.path} names ${other.name}'s store`).toBe(false);
      }
  });

  it("never lets prod and nonprod reference each other's domain or cluster; spokes reach a hub only at its public endpoints", () => {
    const all = files(b()).filter((f) => !f.path.startsWith(`${ARGO_FOLDER()}/`));
    const hub = b().estate.platform.hub;
    const hubHosts = new Set(Object.values(b().estate.platform.endpoints));
    const vaults = new Set(b().estate.platform.releases.map((r) => new URL(r.vault).host));
    for (const f of all) {
      const text = JSON.stringify(f.o);
      for (const other of b().estate.accounts.filter((a) => a.name !== f.account && a.name !== hub))
        expect(text.includes(other.cluster.server), `${f.path} names ${other.name}'s cluster`).toBe(false);
      for (const host of hostsIn(f.o)) {
        const owner = ownerOf(b(), host);
        // The estate's registry serves every account (it lives in common by the seeds; the fixture's is elsewhere).
        if (owner === undefined || owner === f.account || host === b().estate.registry) continue;
        // Another account's host: only the hub's, and there only its endpoints (of the query hosts, its own
        // account's), the registry and the secret manager.
        expect(owner, `${f.path} (${f.account}) names ${host}, in ${owner}`).toBe(hub);
        const ownQueries = b().estate.platform.queryEndpoints[f.account] === host;
        expect(hubHosts.has(host) || ownQueries || host === b().estate.registry || vaults.has(host), `${f.path} reaches ${host}, which the hub does not expose to ${f.account}`).toBe(true);
      }
    }
  });

  it("gives every public host TLS from its account's ClusterIssuer, under the environment's domain, with only the ingress controller let in", () => {
    const all = files(b());
    const ingresses = all.filter((f) => f.o.kind === "Ingress");
    expect(ingresses.length).toBeGreaterThan(0);
    for (const f of ingresses) {
      const account = b().estate.accounts.find((a) => a.name === f.account)!;
      const hosts = f.o.spec.rules.map((r: K8s) => r.host);
      const tlsHosts = f.o.spec.tls.flatMap((t: K8s) => t.hosts);
      for (const h of hosts) expect(tlsHosts, `${f.path}: ${h} has no TLS`).toContain(h);
      expect(f.o.metadata.annotations["cert-manager.io/cluster-issuer"], f.path).toBe(account.ingress.clusterIssuer);
      expect(f.o.spec.ingressClassName, f.path).toBe(account.ingress.className);
      const issuers = all.filter((x) => x.o.kind === "ClusterIssuer" && x.account === f.account).map((x) => x.o.metadata.name);
      expect(issuers, `${f.account} has no issuer ${account.ingress.clusterIssuer}`).toContain(account.ingress.clusterIssuer);
    }
    for (const d of b().estate.deployments.filter((x) => x.ingress)) {
      const env = b().estate.environments.find((e) => e.name === d.environment)!;
      expect(d.ingress!.host.endsWith(`.${env.domain}`), `${d.ingress!.host} outside ${env.domain}`).toBe(true);
      const policy = all.find((f) => f.path === `${folderOf(d)}/networkpolicy.yaml`)!.o;
      const serving = policy.spec.ingress.find((r: K8s) => r.ports.some((p: K8s) => p.port === d.port));
      expect(serving.from).toContainEqual({
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": d.ingress!.controllerNamespace } },
        podSelector: { matchLabels: wellKnown.ingressController.podLabels },
      });
    }
  });

  it("lets spokes only send to the hub (metrics, alerts, logs) with their shipping credentials, and their analyses only query their own account's metrics, with credentials of their own", () => {
    const all = files(b());
    const scrapers = b().estate.platform.releases.filter((r) => r.component === wellKnown.scraper.component);
    expect(scrapers.length).toBe(b().estate.accounts.length);
    /** The Ingresses of a host, and each path they serve with the htpasswd Secret that guards it. */
    const ingressesOf = (host: string) => all.filter((f) => f.o.kind === "Ingress" && f.o.spec.rules.some((x: K8s) => x.host === host));
    const servedAt = (host: string) =>
      ingressesOf(host)
        .flatMap((f) => f.o.spec.rules.flatMap((x: K8s) => x.http.paths.map((p: K8s) => `${p.pathType} ${p.path} ${f.o.metadata.annotations["nginx.ingress.kubernetes.io/auth-secret"]}`)))
        .sort();
    for (const r of scrapers.filter((x) => x.hub)) {
      const metrics = ingressesOf(r.endpoints.metrics);
      expect(metrics.every((f) => f.account === r.account), r.endpoints.metrics).toBe(true);
      // Nothing else of Prometheus's API is exposed; alerts and logs come in, nothing is read back (no silences, no
      // log queries).
      expect(servedAt(r.endpoints.metrics)).toEqual(["Exact /api/v1/write hub-basic-auth"]);
      expect(servedAt(r.endpoints.alertmanager)).toEqual(["Exact /api/v2/alerts hub-basic-auth"]);
      expect(servedAt(r.endpoints.logs)).toEqual(["Exact /loki/api/v1/push hub-basic-auth"]);
      const namespace = metrics[0]!.o.metadata.namespace;
      const inHub = (kind: string, name: string) => all.find((f) => f.account === r.account && f.o.kind === kind && f.o.metadata.name === name && f.o.metadata.namespace === namespace)?.o;
      const htpasswd = (name: string) => inHub("ExternalSecret", name)?.spec.data[0].remoteRef.key;
      expect(htpasswd("hub-basic-auth")).toBe("platform/hub-htpasswd");
      // Queries are fenced by account: each spoke has a host of its own, checked against its own htpasswd list (a
      // key of the hub's store of its own), served by a proxy that enforces its account label on every selector.
      const spokes = scrapers.filter((x) => !x.hub).map((x) => x.account);
      expect(Object.keys(b().estate.platform.queryEndpoints).sort()).toEqual(spokes.sort());
      for (const account of spokes) {
        const host = b().estate.platform.queryEndpoints[account]!;
        expect(servedAt(host), host).toEqual([`Exact /api/v1/query hub-query-basic-auth-${account}`]);
        expect(htpasswd(`hub-query-basic-auth-${account}`)).toBe(`platform/hub-query-htpasswd-${account}`);
        const backend = ingressesOf(host)[0]!.o.spec.rules[0].http.paths[0].backend.service;
        const service = inHub("Service", backend.name)!;
        expect(service.spec.ports.map((p: K8s) => p.port)).toContain(backend.port.number);
        const proxies = all.filter((f) => f.o.kind === "Deployment" && f.o.metadata.namespace === namespace && Object.entries(service.spec.selector).every(([k, v]) => f.o.spec.template.metadata.labels[k] === v));
        expect(proxies.length, `${backend.name} selects one Deployment`).toBe(1);
        const args = proxies[0]!.o.spec.template.spec.containers[0].args;
        expect(args).toEqual(expect.arrayContaining(["-label=account", `-label-value=${account}`, `-upstream=http://${wellKnown.scraper.service}.${namespace}.svc.cluster.local:${wellKnown.scraper.port}`]));
      }
      expect(new Set(spokes.map((a) => b().estate.platform.queryEndpoints[a])).size).toBe(spokes.length);
    }
    // A spoke's remote write sends the shipping credentials.
    for (const r of scrapers.filter((x) => !x.hub)) {
      const app = all.find((f) => f.o.kind === "Application" && f.o.metadata.name === r.name)!;
      const sources = [app.o.spec.source, ...(app.o.spec.sources ?? [])].filter(Boolean);
      const writes = sources.flatMap((x: K8s) => x.helm?.valuesObject?.prometheus?.prometheusSpec?.remoteWrite ?? []);
      expect(writes, r.name).toEqual([expect.objectContaining({ url: `https://${r.endpoints.metrics}/api/v1/write` })]);
      expect(writes[0].basicAuth.password.name).toBe(wellKnown.hubCredentials.secret);
      // Alerts go to the v2 API, logs to the push path: what the hub's hosts serve (above).
      const alerting = sources.flatMap((x: K8s) => x.helm?.valuesObject?.prometheus?.prometheusSpec?.additionalAlertManagerConfigs ?? []);
      expect(alerting.map((a: K8s) => [a.api_version, a.static_configs[0].targets[0]]), r.name).toEqual([["v2", `${r.endpoints.alertmanager}:443`]]);
      const shipper = b().estate.platform.releases.find((x) => x.account === r.account && x.component === "fluent-bit")!;
      const outputs = String(all.find((f) => f.o.kind === "Application" && f.o.metadata.name === shipper.name)!.o.spec.sources.find((x: K8s) => x.helm)!.helm.valuesObject.config.outputs);
      expect(outputs).toContain(`Host ${r.endpoints.logs}`);
      expect(outputs).toContain("Uri /loki/api/v1/push");
    }
    // Every analysis that queries a hub over its public host sends the query credentials, from the service's own
    // folder; no service's folder holds the shipping credentials.
    const units = new Set(b().estate.deployments.map(folderOf));
    const inUnits = all.filter((f) => units.has(dirname(f.path)));
    const remote = inUnits.filter((f) => f.o.kind === "AnalysisTemplate" && f.o.spec.metrics.some((m: K8s) => String(m.provider.prometheus?.address).startsWith("https://")));
    if (scrapers.some((x) => !x.hub) && b().estate.deployments.some((d) => d.delivery?.strategy === "canary" && !scrapers.find((x) => x.account === d.account)!.hub))
      expect(remote.length).toBeGreaterThan(0);
    for (const f of remote) {
      // At its own account's query host, never another's (nor the write host).
      const [account] = f.path.split("/");
      for (const m of f.o.spec.metrics) expect(m.provider.prometheus.address, f.path).toBe(`https://${b().estate.platform.queryEndpoints[account!]}`);
      expect(f.o.spec.args).toContainEqual({ name: "hub-basic-auth", valueFrom: { secretKeyRef: { name: wellKnown.hubQueryCredentials.secret, key: "basic" } } });
      const secret = inUnits.find((x) => dirname(x.path) === dirname(f.path) && x.o.kind === "ExternalSecret" && x.o.metadata.name === wellKnown.hubQueryCredentials.secret)!;
      expect(secret.o.spec.data).toEqual([{ secretKey: "basic", remoteRef: { key: wellKnown.hubQueryCredentials.storeKey, property: "basic" } }]);
    }
    for (const f of inUnits) expect(JSON.stringify(f.o).includes(wellKnown.hubCredentials.storeKey), `${f.path} holds the hub's shipping credentials`).toBe(false);
  });

  it("keeps every account's metrics, and the hub's silences, on volumes that outlast a restart, with a size limit below the volume", () => {
    const all = files(b());
    /** Kubernetes quantities (Gi) and Prometheus sizes (GB), in bytes. */
    const bytes = (q: string) => {
      const m = /^(\d+)(Gi|Mi|GB|MB)$/.exec(q)!;
      return Number(m[1]) * { Gi: 2 ** 30, Mi: 2 ** 20, GB: 1e9, MB: 1e6 }[m[2] as "Gi" | "Mi" | "GB" | "MB"];
    };
    const claimed = (storage: K8s) => storage.volumeClaimTemplate.spec.resources.requests.storage as string;
    const scrapers = b().estate.platform.releases.filter((r) => r.component === wellKnown.scraper.component);
    expect(scrapers.some((r) => r.hub)).toBe(true);
    const sizes = new Map<boolean, number[]>();
    for (const r of scrapers) {
      const app = all.find((f) => f.o.kind === "Application" && f.o.metadata.name === r.name)!;
      const values = app.o.spec.sources.find((x: K8s) => x.helm).helm.valuesObject;
      const spec = values.prometheus.prometheusSpec;
      expect(spec.storageSpec.volumeClaimTemplate.spec.accessModes, r.name).toEqual(["ReadWriteOnce"]);
      expect(bytes(spec.retentionSize), r.name).toBeLessThan(bytes(claimed(spec.storageSpec)));
      sizes.set(r.hub, [...(sizes.get(r.hub) ?? []), bytes(claimed(spec.storageSpec))]);
      if (r.hub) {
        expect(spec.retention).toBe(b().estate.platform.retention.metrics);
        expect(bytes(claimed(values.alertmanager.alertmanagerSpec.storage))).toBeGreaterThan(0);
      }
    }
    // The hub keeps every account's series for the platform's retention: more room than any spoke's day of its own.
    if (sizes.has(false)) expect(Math.min(...sizes.get(true)!)).toBeGreaterThan(Math.max(...sizes.get(false)!));
  });

  it("gives the hub's Grafana the hub's logs and traces beside its metrics, at the Services the platform runs them under", () => {
    const all = files(b());
    const hub = b().estate.platform.releases.find((r) => r.hub && r.component === wellKnown.scraper.component)!;
    const valuesOf = (component: string) => {
      const release = b().estate.platform.releases.find((r) => r.account === hub.account && r.component === component)!;
      return { release, values: all.find((f) => f.o.kind === "Application" && f.o.metadata.name === release.name)!.o.spec.sources.find((x: K8s) => x.helm).helm.valuesObject };
    };
    const sources = valuesOf(wellKnown.scraper.component).values.grafana.additionalDataSources as K8s[];
    const loki = valuesOf("loki");
    const tempo = valuesOf("tempo");
    expect(sources.map((x) => [x.type, x.url])).toEqual([
      ["loki", `http://loki-gateway.${loki.release.namespace}.svc.cluster.local:80`],
      ["tempo", `http://${tempo.values.fullnameOverride}.${tempo.release.namespace}.svc.cluster.local:${tempo.values.tempo.server.http_listen_port}`],
    ]);
  });

  it("lists in the estate README every public host DNS must resolve, under the account whose ingress controller serves it", () => {
    const served = new Set<string>();
    for (const f of files(b()).filter((x) => x.o.kind === "Ingress")) for (const r of f.o.spec.rules as K8s[]) served.add(`${f.account} ${r.host}`);
    expect(served.size).toBeGreaterThan(0);
    const section = b().files.get("README.md")!.split("## DNS")[1]!.split("\n## ")[0]!;
    const listed = new Set<string>();
    let account = "";
    for (const line of section.split("\n")) {
      const heading = /^\*\*([a-z0-9-]+)\*\* \(/.exec(line);
      if (heading) account = heading[1]!;
      const row = /^\| `([^`]+)` \| .+ \|$/.exec(line);
      if (row) listed.add(`${account} ${row[1]}`);
    }
    expect([...listed].sort()).toEqual([...served].sort());
  });

  it("lists in the estate README the keys each account's store must hold for the platform, and counts each service's own", () => {
    // From the objects themselves: every key an ExternalSecret reads, with who reads it (its folder's owner).
    const readers = new Map<string, Set<string>>();
    const properties = new Map<string, Set<string>>();
    for (const f of files(b()).filter((x) => x.o.kind === "ExternalSecret")) {
      const [account, place, name] = dirname(f.path).split("/");
      const reader = dirname(f.path) === ARGO_FOLDER() || place === "platform" ? `platform:${name}` : `service:${name}`;
      for (const x of f.o.spec.data as K8s[]) {
        const id = `${account} ${x.remoteRef.key}`;
        (readers.get(id) ?? readers.set(id, new Set()).get(id)!).add(reader);
        (properties.get(id) ?? properties.set(id, new Set()).get(id)!).add(x.remoteRef.property ?? "(whole value)");
      }
    }
    expect(readers.size).toBeGreaterThan(0);
    // The platform's to provision: read by the platform or ArgoCD, or shared by services; the rest, one service's own.
    const platformKeys = [...readers].filter(([, r]) => r.size > 1 || [...r].some((x) => x.startsWith("platform:"))).map(([id]) => id);
    const own = new Map<string, number>();
    for (const [id] of [...readers].filter(([i]) => !platformKeys.includes(i))) own.set(id.split(" ")[0]!, (own.get(id.split(" ")[0]!) ?? 0) + 1);
    // Read back from the README: a bold account heading, then `| key | properties | read by |` rows and a count.
    const section = b().files.get("README.md")!.split("## Secret store keys")[1]!.split("\n## ")[0]!;
    const listed = new Map<string, string[]>();
    const counted = new Map<string, number>();
    let account = "";
    for (const line of section.split("\n")) {
      const heading = /^\*\*([a-z0-9-]+)\*\* \(/.exec(line);
      if (heading) account = heading[1]!;
      const row = /^\| `([^`]+)` \| (.+?) \| .+ \|$/.exec(line);
      if (row) listed.set(`${account} ${row[1]}`, row[2]!.split(", ").map((p) => p.replaceAll("`", "")));
      const count = /^Plus (\d+) keys? each read by one service only/.exec(line);
      if (count) counted.set(account, Number(count[1]));
    }
    expect([...listed.keys()].sort()).toEqual(platformKeys.sort());
    for (const [id, props] of listed) expect(props, id).toEqual([...properties.get(id)!].sort());
    expect(counted).toEqual(own);
  });

  it("labels every object with team, cost-center, environment and account", () => {
    for (const f of files(b())) {
      if (f.path.startsWith(ARGO_FOLDER()) && f.o.kind !== "Application") continue; // ArgoCD's own settings and projects
      if (f.path.startsWith(ARGO_FOLDER()) && !f.o.metadata.name.startsWith("platform-")) continue; // the root app
      const labels = f.o.metadata.labels ?? {};
      for (const key of ["team", "cost-center", "environment", "account"]) expect(labels[key], `${f.path}: ${key}`).toBeTruthy();
      if (!f.path.startsWith(ARGO_FOLDER())) expect(labels.account, f.path).toBe(f.account);
    }
  });

  it("renders a PodMonitor for every scraped workload, and the tier's alert rules for every workload", () => {
    const all = files(b());
    for (const d of b().estate.deployments) {
      const folder = folderOf(d);
      const monitor = all.find((f) => f.path === `${folder}/podmonitor.yaml`);
      expect(monitor !== undefined, folder).toBe(d.observability.metrics !== undefined);
      expect(all.some((f) => f.path.startsWith(`${folder}/`) && f.o.kind === "ServiceMonitor"), folder).toBe(false);
      if (monitor) {
        const pod = all.find((f) => f.path === `${folder}/${workloadFile(d)}`)!.o.spec.template;
        // The monitor selects the workload's pods in its namespace, and names the container port that serves metrics.
        expect(monitor.o.spec.namespaceSelector).toEqual({ matchNames: [d.namespace] });
        for (const [k, v] of Object.entries(monitor.o.spec.selector.matchLabels as Record<string, string>)) expect(pod.metadata.labels[k], folder).toBe(v);
        const [endpoint, ...more] = monitor.o.spec.podMetricsEndpoints as K8s[];
        expect(more).toEqual([]);
        const port = pod.spec.containers[0].ports.find((p: K8s) => p.name === endpoint!.port);
        expect(port?.containerPort, folder).toBe(d.observability.metrics!.port);
        expect(endpoint!.path).toBe(d.observability.metrics!.path);
        // Its series carry service="<service>", which the alert rules select on, as a ServiceMonitor's would.
        expect(endpoint!.relabelings).toEqual([{ action: "replace", sourceLabels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], targetLabel: "service" }]);
        expect(pod.metadata.labels["app.kubernetes.io/name"]).toBe(d.service);
      }
      const rules = all.find((f) => f.path === `${folder}/prometheusrule.yaml`)!.o.spec.groups[0].rules as K8s[];
      const tier = tiers[b().estate.environments.find((e) => e.name === d.environment)!.tierName];
      for (const r of rules) expect(r.labels.severity, `${folder}: ${r.alert}`).toBe(tier.alerting.severity);
      if (d.kind === "http") expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(["ServiceErrorRateHigh", "ServiceLatencyHigh"]));
    }
  });

  it("gives every Deployment and Rollout the tier's rollout health and a readiness that checks its dependencies", () => {
    const all = files(b());
    for (const d of b().estate.deployments.filter((x) => x.kind !== "job")) {
      const folder = folderOf(d);
      const tier = tiers[b().estate.environments.find((e) => e.name === d.environment)!.tierName];
      const deployment = all.find((f) => f.path === `${folder}/${workloadFile(d)}`)!.o;
      expect(deployment.spec.minReadySeconds, folder).toBe(tier.health.minReadySeconds);
      expect(deployment.spec.progressDeadlineSeconds, folder).toBe(tier.health.progressDeadlineSeconds);
      expect(deployment.spec.template.spec.containers[0].readinessProbe, folder).toBeDefined();
      const deps = d.dependsOn.filter((p) => b().estate.deployments.some((x) => x.service === p.service && x.environment === d.environment && x.kind === "http"));
      const config = all.find((f) => f.path === `${folder}/configmap.yaml`)!.o.data;
      if (deps.length === 0) expect(config.HEALTH_DEPENDENCIES, folder).toBeUndefined();
      else for (const p of deps) expect(config.HEALTH_DEPENDENCIES.split(","), folder).toContainEqual(expect.stringMatching(new RegExp(`^http://${p.service}\\.${p.namespace}\\.svc\\.cluster\\.local/`)));
    }
  });

  it("pins every platform chart to an exact version, and no two components of an account share a namespace", () => {
    const apps = files(b()).filter((f) => f.path.startsWith(`${ARGO_FOLDER()}/application-platform-`));
    expect(apps.length).toBe(b().estate.platform.releases.length);
    for (const a of apps) expect(a.o.spec.sources[0].targetRevision, a.path).toMatch(/^v?\d+\.\d+\.\d+$/);
    for (const account of new Set(b().estate.platform.releases.map((r) => r.account))) {
      const namespaces = b().estate.platform.releases.filter((r) => r.account === account).map((r) => r.namespace);
      // Each Application sets its namespace's labels (Pod Security level included): two would fight over one.
      expect(new Set(namespaces).size, account).toBe(namespaces.length);
    }
  });
});

describe("config in common, copied down", () => {
  it("renders a shared setting into every environment by the same mechanism, differing only by the environment's domain", () => {
    const b = builds.repo!;
    const readers = b.estate.deployments.filter((d) => d.origins["config.FEATURE_FLAGS_URL"]?.layer === "platform");
    expect(new Set(readers.map((d) => d.account))).toEqual(new Set(["nonprod", "prod"]));
    for (const d of readers) {
      const env = b.estate.environments.find((e) => e.name === d.environment)!;
      const text = b.files.get(`${dirname(`${folderOf(d)}/x`)}/configmap.yaml`)!;
      expect((parse(text, { version: "1.1" }) as K8s).data.FEATURE_FLAGS_URL).toBe(`https://flags.${env.domain}/api`);
    }
    // A setting with no domain in it is byte-identical everywhere it is read.
    const locales = new Set(b.estate.deployments.filter((d) => d.origins["config.DEFAULT_LOCALE"]).map((d) => d.config.DEFAULT_LOCALE));
    expect([...locales]).toEqual(["en-GB"]);
  });
});
