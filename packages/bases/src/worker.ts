import type { Construct } from "constructs";
import type { RenderableDeployment } from "@gitops/model";
import { NAME_LABEL, Workload, waves } from "./workload.ts";

/**
 * A background consumer: a Deployment with a health port for probes. Nothing calls it, so its Service exists only
 * for Prometheus to find the metrics endpoint (served on the health port), and the network policy admits only that.
 */
export class Worker extends Workload {
  constructor(scope: Construct, d: RenderableDeployment) {
    super(scope, d, "worker");
    this.renderCommon();
    this.renderDeployment({
      name: d.service,
      ports: [{ name: "health", containerPort: d.health!.port, protocol: "TCP" }],
      ...this.probes("health"),
    });
    if (d.observability.metrics) {
      this.add(waves.workload, {
        apiVersion: "v1",
        kind: "Service",
        spec: {
          type: "ClusterIP",
          selector: { [NAME_LABEL]: d.service },
          ports: [{ name: "metrics", port: d.observability.metrics.port, targetPort: "health", protocol: "TCP" as const }],
        },
      });
    }
    this.renderObservability("metrics");
  }
}
