import { describe, expect, it } from "vitest";
import { goFloat, goJson, goPrint, renderTemplate, templateOptions } from "../src/template.ts";

const strict = templateOptions(["missingkey=error"]);
const lax = templateOptions([]);
const params = { env: "dev", path: { basename: "api", segments: ["generated", "nonprod", "dev", "api"] }, list: ["A=1", "B=2"], on: true, off: false, nothing: null, labels: { "team.io/name": "core" } };

describe("renderTemplate: the Go text/template subset our ApplicationSets use", () => {
  it("renders field chains, index and toJson", () => {
    expect(renderTemplate("{{.env}}-{{.path.basename}}", params, strict)).toBe("dev-api");
    expect(renderTemplate("{{index .path.segments 2}}", params, strict)).toBe("dev");
    expect(renderTemplate('{{ index .labels "team.io/name" }}', params, strict)).toBe("core");
    expect(renderTemplate("{{ toJson .list }}", params, strict)).toBe('["A=1","B=2"]');
    expect(renderTemplate("allowEmpty: {{ .on }}/{{ .off }}", params, strict)).toBe("allowEmpty: true/false");
    expect(renderTemplate("no actions", params, strict)).toBe("no actions");
  });

  it("prints like Go's %v: slices, maps with sorted keys, nil", () => {
    expect(renderTemplate("{{.list}}", params, strict)).toBe("[A=1 B=2]");
    expect(renderTemplate("{{.labels}}", params, strict)).toBe("map[team.io/name:core]");
    expect(renderTemplate("{{.nothing}}", params, strict)).toBe("<no value>");
    expect(goPrint([1, null])).toBe("[1 <nil>]");
  });

  it("trims around {{- and -}} only with the space Go requires", () => {
    expect(renderTemplate("a  {{- .env -}}  b", params, strict)).toBe("adevb");
    expect(renderTemplate("a {{-3}}", params, strict)).toBe("a -3");
  });

  it("missingkey=error fails on a missing key; without it the key renders silently as <no value>", () => {
    expect(() => renderTemplate("{{.nope}}", params, strict)).toThrow('map has no entry for key "nope"');
    expect(() => renderTemplate("{{.path.nope}}", params, strict)).toThrow('map has no entry for key "nope"');
    expect(renderTemplate("{{.nope}}", params, lax)).toBe("<no value>");
    expect(() => renderTemplate("{{.env.x}}", params, lax)).toThrow("can't evaluate field x");
  });

  it("index follows Go: a missing map key is the zero value even under missingkey=error; slices check bounds", () => {
    expect(renderTemplate('{{ index .labels "nope" }}', params, strict)).toBe("<no value>");
    expect(() => renderTemplate("{{index .path.segments 9}}", params, strict)).toThrow("index out of range: 9");
  });

  it("refuses what it does not implement rather than guess, and unclosed actions", () => {
    expect(() => renderTemplate('{{ default "x" .nope }}', params, strict)).toThrow("unsupported template action");
    expect(() => renderTemplate("{{ .env | upper }}", params, strict)).toThrow("pipelines");
    expect(() => renderTemplate("{{ .env", params, strict)).toThrow("unclosed action");
    expect(() => templateOptions(["missingkey=maybe"])).toThrow("missingkey");
    expect(() => templateOptions(["other=1"])).toThrow("unrecognized");
  });

  it("scans each text once, yet renders every call from its own data and fails every call the same way", () => {
    const text = "{{- .env -}} / {{ .path.basename }}";
    expect(renderTemplate(text, params, strict)).toBe("dev/ api");
    expect(renderTemplate(text, { env: "prod", path: { basename: "web" } }, strict)).toBe("prod/ web");
    for (let i = 0; i < 2; i++) {
      expect(() => renderTemplate(text, { env: "prod", path: {} }, strict)).toThrow('map has no entry for key "basename"');
      expect(() => renderTemplate("{{.env}} {{.path", params, strict)).toThrow("unclosed action");
      // Go parses a template whole before executing it: the parse error wins over an earlier action's.
      expect(() => renderTemplate("{{.missing}} {{.path", params, strict)).toThrow("unclosed action");
    }
  });
});

describe("Go's value formats", () => {
  it("toJson is json.Marshal: sorted keys, HTML characters escaped", () => {
    expect(goJson({ b: 1, a: ["<x>&"] })).toBe('{"a":["\\u003cx\\u003e\\u0026"],"b":1}');
  });

  it("numbers print as float64 with %v (JSON numbers decode to float64)", () => {
    expect([2, -1, 0.5, 100000, 1e6, 1234567, 1e-5, 0.0001].map(goFloat)).toEqual(["2", "-1", "0.5", "100000", "1e+06", "1.234567e+06", "1e-05", "0.0001"]);
  });
});
