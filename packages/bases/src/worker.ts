import type { Construct } from "constructs";
import type { RenderableDeployment } from "@gitops/model";
import { Workload } from "./workload.ts";

/**
 * A background consumer: a Deployment with a health port for probes, where it also serves its metrics. Nothing calls
 * it, so it has no Service: its PodMonitor scrapes the pods, and the network policy admits only that.
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
    this.renderObservability("health");
  }
}
