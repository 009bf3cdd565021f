import { describe, expect, it } from "vitest";
import { crossAccountRule, entropy, highEntropyRule, highEntropyTokens, noValuesRule, scanText, storeOnlyRule, storeScopeRule } from "../src/index.ts";
import { cleanFixture, fixture, run, withExtra, withFile, withObject } from "./fixture.ts";

// Test values assembled at run time so this file itself never matches a secret scanner.
const awsKey = ["AKIA", "IOSFODNN7", "EXAMPLE"].join("");
const privateKey = ["-----BEGIN RSA ", "PRIVATE KEY-----"].join("");

describe("secret patterns", () => {
  it("match what secret scanners match, and not ordinary config", () => {
    expect(scanText(`key: ${awsKey}`).map((h) => h.name)).toEqual(["an AWS access key ID"]);
    expect(scanText(`${privateKey}\nMIIE`).map((h) => h.name)).toEqual(["a private key"]);
    expect(scanText("postgres://app:s3cret@db.internal:5432/app").map((h) => h.name)).toEqual(["credentials in a URL"]);
    expect(scanText(["gh", "p_", "a".repeat(36)].join("")).map((h) => h.name)).toEqual(["a GitHub token"]);
    expect(scanText("https://api.processor.example.com/v2 http://a.b.svc.cluster.local 2.14.0 registry.common.acme.dev/core/api:1.2.3")).toEqual([]);
  });

  it("measure entropy: random strings are high, words and URLs low", () => {
    expect(entropy("aaaa")).toBe(0);
    expect(highEntropyTokens("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).toHaveLength(1);
    expect(highEntropyTokens("https://sandbox.processor.example.com/v2")).toEqual([]);
    expect(highEntropyTokens("outbound-email-notifications-queue")).toEqual([]);
    expect(highEntropyTokens("123e4567-e89b-12d3-a456-426614174000")).toEqual([]);
  });
});

describe("secrets/no-values", () => {
  it("passes references to the secret store, and PASSWORD_MIN_LENGTH: 12", () => {
    expect(run(noValuesRule, cleanFixture())).toEqual([]);
  });

  it("fails a key pasted into config, at the config key that holds it", () => {
    const input = fixture({ services: (s) => (s.api!.config = { ...s.api!.config, CLOUD_ID: awsKey }) });
    const findings = run(noValuesRule, input);
    // One per environment the service runs in (dev, staging, prod); its pull-request preview's copy of dev is the
    // same fault at the same source, reported once, for dev.
    expect(findings.map((f) => f.generated?.file ?? f.file).sort()).toEqual(["nonprod/dev/api/configmap.yaml", "nonprod/staging/api/configmap.yaml", "prod/prod/api/configmap.yaml"].map((f) => expect.stringContaining(f)));
    expect(findings[0]).toMatchObject({ rule: "secrets/no-values", file: "services/api/service.ts", path: "config.CLOUD_ID", generated: { path: "data.CLOUD_ID" } });
    expect(findings[0]!.message).not.toContain(awsKey);
  });

  it("fails a plain value for a secret-named variable, and credentials in a URL", () => {
    const input = fixture({
      services: (s) => {
        s.worker!.config = { SMTP_PASSWORD: "hunter2" };
        s.worker!.urls = { BROKER_URL: "https://app:pa55word@broker.example.com" };
      },
    });
    const findings = run(noValuesRule, input).filter((f) => f.environment === "prod");
    expect(findings.map((f) => `${f.path}: ${f.message.split(" (")[0]}`).sort()).toEqual([
      "config.SMTP_PASSWORD: SMTP_PASSWORD is a secret-named variable with a plain value in ConfigMap worker",
      "urls.BROKER_URL: ConfigMap worker holds credentials in a URL",
    ]);
  });

  it("scans every generated file as a scanner would, kustomizations included", () => {
    const input = withFile(cleanFixture(), "prod/prod/api/kustomization.yaml", `# ${privateKey}\nresources: []\n`);
    expect(run(noValuesRule, input)).toMatchObject([{ file: "services/api/service.ts", environment: "prod", message: expect.stringContaining("generated/prod/prod/api/kustomization.yaml holds a private key") }]);
  });
});

describe("secrets/high-entropy", () => {
  it("passes ordinary ConfigMap values", () => {
    expect(run(highEntropyRule, cleanFixture())).toEqual([]);
  });

  it("fails a random-looking ConfigMap value", () => {
    const input = fixture({ services: (s) => (s.report!.config = { SIGNING: "q8Zt3VbR1xNw7LcP0sKd9YhG2mFa" }) });
    expect(run(highEntropyRule, input)).toMatchObject([
      { rule: "secrets/high-entropy", file: "services/report/service.ts", path: "config.SIGNING", environment: "dev" },
      { environment: "staging" },
      { environment: "prod" },
    ]);
  });

  it("fails a random-looking container env value", () => {
    const input = withObject(cleanFixture(), "prod/prod/worker/rollout.yaml", (o) => (o.spec.template.spec.containers[0].env = [{ name: "SEED", value: "Zm9vYmFyYmF6cXV4cXV1eGNvcmdl+/9Q" }]));
    expect(run(highEntropyRule, input)).toMatchObject([{ path: "config.SEED", generated: { path: "spec.template.spec.containers[0].env[0].value" } }]);
  });
});

describe("secrets/store-only", () => {
  it("passes ExternalSecrets from the account's store", () => {
    expect(run(storeOnlyRule, cleanFixture())).toEqual([]);
  });

  it("fails a Secret object", () => {
    const input = withExtra(cleanFixture(), { file: "prod/prod/api/secret.yaml", object: { apiVersion: "v1", kind: "Secret", metadata: { name: "api-raw", namespace: "prod-api" }, stringData: { X: "y" } } });
    expect(run(storeOnlyRule, input)).toMatchObject([{ file: "services/api/service.ts", path: "secrets", environment: "prod" }]);
  });

  it("fails a store that is not the account's", () => {
    const input = withObject(cleanFixture(), "nonprod/dev/api/externalsecret.yaml", (o) => (o.spec.secretStoreRef = { kind: "SecretStore", name: "team-store" }));
    expect(run(storeOnlyRule, input)).toMatchObject([{ file: "environments/estate.ts", path: "accounts.nonprod.secretStore", environment: "dev" }]);
  });
});

describe("secrets/store-only, for the platform too", () => {
  const hubCredentials = "nonprod/platform/opentelemetry-collector/externalsecret-hub-credentials.yaml";

  it("fails a platform ExternalSecret reading a store that is not the account's", () => {
    const input = withObject(cleanFixture(), hubCredentials, (o) => (o.spec.secretStoreRef.name = "vault"));
    expect(run(storeOnlyRule, input)).toMatchObject([
      { rule: "secrets/store-only", file: "environments/estate.ts", path: "accounts.nonprod.secretStore", environment: null, service: null, message: expect.stringContaining("not account nonprod's store ClusterSecretStore nonprod-vault"), generated: { file: hubCredentials, path: "spec.secretStoreRef" } },
    ]);
  });

  it("fails a per-key storeRef that overrides the account's store", () => {
    const input = withObject(cleanFixture(), "prod/prod/api/externalsecret.yaml", (o) => (o.spec.data[0].sourceRef = { storeRef: { kind: "ClusterSecretStore", name: "legacy-vault" } }));
    expect(run(storeOnlyRule, input)).toMatchObject([{ environment: "prod", service: "api", generated: { file: "prod/prod/api/externalsecret.yaml", path: "spec.data[0].sourceRef.storeRef" } }]);
  });

  it("leaves a nonprod ExternalSecret reading prod-vault to isolation/cross-account, which names the file, field and fix", () => {
    const input = withObject(cleanFixture(), hubCredentials, (o) => (o.spec.secretStoreRef.name = "prod-vault"));
    expect(run(storeOnlyRule, input)).toEqual([]);
    expect(run(crossAccountRule, input)).toEqual([
      {
        rule: "isolation/cross-account",
        file: "environments/estate.ts",
        path: "accounts.nonprod.secretStore",
        message: "ExternalSecret hub-credentials (the platform of account nonprod) reads from prod-vault, the secret store of account prod",
        fix: "read only from account nonprod's store (nonprod-vault)",
        environment: null,
        service: null,
        generated: { file: hubCredentials, path: "spec.secretStoreRef.name" },
      },
    ]);
  });
});

describe("secrets/store-scope", () => {
  const nonprodStore = "nonprod/platform/external-secrets/clustersecretstore-nonprod-vault.yaml";
  const vault = (o: Record<string, any>) => o.spec.provider.vault; // eslint-disable-line @typescript-eslint/no-explicit-any

  it("passes every account's store: the platform's Vault, its own path and auth mount", () => {
    const stores = cleanFixture().objects.filter((o) => o.object.kind === "ClusterSecretStore");
    expect(stores.map((o) => o.file).sort()).toEqual(["common/platform/external-secrets/clustersecretstore-common-vault.yaml", nonprodStore, "prod/platform/external-secrets/clustersecretstore-prod-vault.yaml"]);
    expect(run(storeScopeRule, cleanFixture())).toEqual([]);
  });

  it("fails a nonprod store reading prod's path or auth mount", () => {
    const input = withObject(cleanFixture(), nonprodStore, (o) => {
      vault(o).path = "prod";
      vault(o).auth.kubernetes.mountPath = "kubernetes-prod";
    });
    expect(run(storeScopeRule, input)).toMatchObject([
      { rule: "secrets/store-scope", file: "environments/estate.ts", path: "platform", message: expect.stringContaining("path is prod, which is account prod's"), generated: { file: nonprodStore, path: "spec.provider.vault.path" } },
      { message: expect.stringContaining("auth.kubernetes.mountPath is kubernetes-prod, which is account prod's"), generated: { path: "spec.provider.vault.auth.kubernetes.mountPath" } },
    ]);
  });

  it("fails a store whose path names no account, another server or provider, or another account's name", () => {
    expect(run(storeScopeRule, withObject(cleanFixture(), nonprodStore, (o) => (vault(o).path = "secret")))).toMatchObject([{ message: expect.stringContaining("names no account, so it may read any account's secrets") }]);
    expect(run(storeScopeRule, withObject(cleanFixture(), nonprodStore, (o) => (vault(o).server = "https://vault.example.org")))).toMatchObject([{ path: "platform.vault", generated: { path: "spec.provider.vault.server" } }]);
    expect(run(storeScopeRule, withObject(cleanFixture(), nonprodStore, (o) => (o.spec.provider = { aws: { service: "SecretsManager", region: "eu-west-1" } })))).toMatchObject([{ message: expect.stringContaining("from provider aws") }]);
    expect(run(storeScopeRule, withObject(cleanFixture(), nonprodStore, (o) => (o.metadata.name = "prod-vault")))).toMatchObject([{ path: "accounts.nonprod.secretStore", message: expect.stringContaining("is not account nonprod's store (ClusterSecretStore nonprod-vault)") }]);
  });
});
