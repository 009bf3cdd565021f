import type { Construct } from "constructs";
import type { RenderableDeployment } from "@gitops/model";
import { Workload, waves } from "./workload.ts";

/** A CronJob: never overlaps itself, runs in UTC whatever the cluster's zone, and keeps a short history. */
export class ScheduledJob extends Workload {
  constructor(scope: Construct, d: RenderableDeployment) {
    super(scope, d, "scheduled-job");
    this.renderCommon();
    const template = this.podTemplate({ name: d.service }, { restartPolicy: "Never" });
    this.add(waves.workload, {
      apiVersion: "batch/v1",
      kind: "CronJob",
      spec: {
        schedule: d.schedule!,
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 300,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels: template.metadata.labels },
          spec: { backoffLimit: 2, activeDeadlineSeconds: 3600, template },
        },
      },
    });
    this.renderObservability();
  }
}
