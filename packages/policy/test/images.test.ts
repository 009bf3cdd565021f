import { describe, expect, it } from "vitest";
import { immutableRule, parseImage, pinnedRule, registryRule } from "../src/index.ts";
import { cleanFixture, fixture, run, withObject } from "./fixture.ts";

const digest = `sha256:${"a".repeat(64)}`;

describe("parseImage", () => {
  it("splits registry, repository, tag and digest", () => {
    expect(parseImage("registry.common.example.dev:5000/core/api:1.2.3@" + digest)).toEqual({ registry: "registry.common.example.dev:5000", repository: "core/api", tag: "1.2.3", digest });
    expect(parseImage("nginx")).toEqual({ registry: "", repository: "nginx" });
    expect(parseImage("library/nginx:latest")).toEqual({ registry: "", repository: "library/nginx", tag: "latest" });
  });
});

describe("images/pinned", () => {
  it("passes explicit versions", () => {
    expect(run(pinnedRule, cleanFixture())).toEqual([]);
  });

  it("fails latest, at the override that set it", () => {
    const input = fixture({ services: (s) => (s.worker!.environments.dev = { version: "latest" }) });
    expect(run(pinnedRule, input)).toMatchObject([{ rule: "images/pinned", file: "services/worker/service.ts", path: "environments.dev.version", environment: "dev" }]);
  });

  it("fails an image without a tag", () => {
    const input = withObject(cleanFixture(), "nonprod/dev/api/deployment.yaml", (o) => (o.spec.template.spec.containers[0].image = "registry.common.example.dev/core/api"));
    expect(run(pinnedRule, input)).toMatchObject([{ file: "services/api/service.ts", path: "version", message: expect.stringContaining("has no tag") }]);
  });
});

describe("images/registry", () => {
  it("passes images from the estate's registry", () => {
    expect(run(registryRule, cleanFixture())).toEqual([]);
  });

  it("fails an image from elsewhere", () => {
    const input = withObject(cleanFixture(), "prod/prod/report/cronjob.yaml", (o) => (o.spec.jobTemplate.spec.template.spec.containers[0].image = "docker.io/library/busybox:1.36.1"));
    expect(run(registryRule, input)).toMatchObject([{ rule: "images/registry", file: "services/report/service.ts", path: "image", environment: "prod" }]);
  });
});

describe("images/immutable", () => {
  it("passes release tags and digests in prod, and prereleases where the tier allows them", () => {
    const input = fixture({
      services: (s) => {
        s.api!.environments = { dev: { version: "1.3.0-rc.1" }, staging: { version: "1.3.0-rc.1" }, prod: { version: `1.3.0-rc.1@${digest}` } };
      },
    });
    expect(run(immutableRule, input)).toEqual([]);
  });

  it("fails a prerelease in prod, at the version it came from", () => {
    const input = fixture({ services: (s) => (s.worker!.version = "2.1.0-beta.1") });
    expect(run(immutableRule, input)).toMatchObject([{ rule: "images/immutable", file: "services/worker/service.ts", path: "version", environment: "prod", message: expect.stringContaining("prereleases stay out") }]);
  });

  it("fails a moving tag such as a branch name in prod", () => {
    const input = fixture({ services: (s) => (s.report!.environments.prod = { version: "main" }) });
    expect(run(immutableRule, input)).toMatchObject([{ path: "environments.prod.version" }]);
  });
});
