import type { Construct } from "constructs";
import type { ResolvedDeployment } from "@gitops/model";
import { Workload } from "./workload.ts";

/** A background consumer: a Deployment with a health port for probes, and no Service — nothing calls it. */
export class Worker extends Workload {
  constructor(scope: Construct, d: ResolvedDeployment) {
    super(scope, d, "worker");
    this.renderCommon();
    this.renderDeployment({
      name: d.service,
      ports: [{ name: "health", containerPort: d.health!.port, protocol: "TCP" }],
      ...this.probes("health"),
    });
  }
}
