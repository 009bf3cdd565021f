import { it } from "vitest";
import { stringify } from "yaml";
import { modelFor, validateWith } from "../src/index.ts";
import { cleanFixture } from "./fixture.ts";
it("debug", async () => {
  const objs = cleanFixture().objects;
  const pick = (f: string) => structuredClone(objs.find((o) => o.file === f)!.object) as any;
  const cases: [string, (o: any) => void][] = [
    ["prod/prod/api/servicemonitor.yaml", (o) => { o.spec.endpoints[0].intervall = "1m"; o.spec.selectr = {}; }],
    ["prod/prod/api/prometheusrule.yaml", (o) => { o.spec.groups[0].rules[0].fore = "5m"; o.spec.groups[0].rules[0].labels.x = "y"; o.spec.groups[0].intervl = "1m"; }],
    ["prod/platform/cert-manager/clusterissuer-letsencrypt.yaml", (o) => { o.spec.acme.solvers[0].http01.ingress.clas = "x"; o.spec.acme.emial = "x"; }],
    ["prod/platform/external-secrets/clustersecretstore-prod-vault.yaml", (o) => { o.spec.provider.vault.pth = "x"; o.spec.provider.vault.auth.kubernetes.rol = "x"; }],
    ["nonprod/dev/argocd/application-platform-prod-kube-prometheus-stack.yaml", (o) => { o.spec.sources[0].helm.valuesObject.anything = { goes: 1 }; o.spec.sources[0].helm.valueObject = {}; o.spec.sources[1].pth = "x"; }],
    ["nonprod/dev/argocd/application-platform-prod-cert-manager.yaml", (o) => { o.spec.syncPolicy.managedNamespaceMetadata.label = {}; }],
  ];
  for (const [f, edit] of cases) {
    const o = pick(f);
    const m = (await modelFor(o.apiVersion, o.kind))!;
    const clean = validateWith(m, o);
    edit(o);
    const broken = validateWith(m, o);
    console.log(f, JSON.stringify(clean), JSON.stringify(broken));
  }
  console.log(stringify(pick("prod/prod/api/prometheusrule.yaml")));
  console.log(stringify(pick("nonprod/dev/argocd/application-platform-prod-kube-prometheus-stack.yaml")));
});
