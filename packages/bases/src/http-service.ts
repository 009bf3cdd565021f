import type { Construct } from "constructs";
import type { RenderableDeployment } from "@gitops/model";
import { deliveryServiceName } from "./delivery.ts";
import { NAME_LABEL, Workload, waves } from "./workload.ts";

/** A service that answers HTTP: Deployment, ClusterIP Service on port 80, and an Ingress with TLS when public. */
export class HttpService extends Workload {
  constructor(scope: Construct, d: RenderableDeployment) {
    super(scope, d, "http-service");
    const port = d.port!;
    const health = d.health!;
    this.renderCommon();
    this.renderDeployment({
      name: d.service,
      ports: [
        { name: "http", containerPort: port, protocol: "TCP" as const },
        ...(health.port !== port ? [{ name: "health", containerPort: health.port, protocol: "TCP" as const }] : []),
      ],
      ...this.probes(health.port !== port ? "health" : "http"),
    });
    const service = {
      apiVersion: "v1",
      kind: "Service",
      spec: {
        type: "ClusterIP",
        selector: { [NAME_LABEL]: d.service },
        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" as const }],
      },
    };
    this.add(waves.workload, service);
    // A blue-green preview's own Service (Argo Rollouts points it at the new version): where it can be reached
    // before the switch. Nothing scrapes through it: the PodMonitor scrapes the pods.
    const deliveryService = deliveryServiceName(d);
    if (deliveryService) this.add(waves.workload, service, deliveryService);
    this.renderObservability("http");
    if (d.ingress) {
      this.add(waves.after, {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { annotations: { "cert-manager.io/cluster-issuer": d.ingress.clusterIssuer } },
        spec: {
          ingressClassName: d.ingress.className,
          tls: [{ hosts: [d.ingress.host], secretName: `${d.service}-tls` }],
          rules: [
            {
              host: d.ingress.host,
              http: { paths: [{ path: d.ingress.path, pathType: "Prefix", backend: { service: { name: d.service, port: { name: "http" } } } }] },
            },
          ],
        },
      });
    }
  }
}
