/**
 * Velero's Schedule and Restore (velero.io/v1). No model package exists for Velero's CRDs (there is no
 * @kubernetes-models/velero, and the chart is not on npm), so these are strict schemas of the fields the Velero
 * v1.15 API reference defines for what we render (BackupSpec, ScheduleSpec, RestoreSpec), written out here: any other
 * field is reported as unknown, and types and required fields are checked, as the model packages do for other kinds.
 */
import { z } from "zod";
import type { ObjPath } from "../context.ts";
import type { SchemaResult } from "./schema.ts";

const duration = z.string().regex(/^(\d+(\.\d+)?(h|m|s|ms))+$/, "must be a Go duration such as 720h or 30m");
const labels = z.record(z.string(), z.string());
const metadata = z.strictObject({ name: z.string().min(1).optional(), generateName: z.string().min(1).optional(), namespace: z.string().optional(), labels: labels.optional(), annotations: labels.optional() }).refine((m) => (m.name === undefined) !== (m.generateName === undefined), { message: "must have a name or a generateName" });
const selector = z.strictObject({
  matchLabels: labels.optional(),
  matchExpressions: z.array(z.strictObject({ key: z.string(), operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]), values: z.array(z.string()).optional() })).optional(),
});
const names = z.array(z.string());

/** BackupSpec: what a scheduled backup takes. */
const backupSpec = z.strictObject({
  includedNamespaces: names.optional(),
  excludedNamespaces: names.optional(),
  includedResources: names.optional(),
  excludedResources: names.optional(),
  includeClusterResources: z.boolean().nullable().optional(),
  labelSelector: selector.optional(),
  ttl: duration.optional(),
  storageLocation: z.string().optional(),
  volumeSnapshotLocations: names.optional(),
  snapshotVolumes: z.boolean().nullable().optional(),
  defaultVolumesToFsBackup: z.boolean().nullable().optional(),
  snapshotMoveData: z.boolean().nullable().optional(),
  csiSnapshotTimeout: duration.optional(),
  itemOperationTimeout: duration.optional(),
  orderedResources: labels.optional(),
});

const schedule = z.strictObject({
  apiVersion: z.literal("velero.io/v1"),
  kind: z.literal("Schedule"),
  metadata,
  spec: z.strictObject({
    schedule: z.string().regex(/^(@every \S+|@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$/, "must be a cron expression of five fields"),
    template: backupSpec,
    useOwnerReferencesInBackup: z.boolean().optional(),
    paused: z.boolean().optional(),
    skipImmediately: z.boolean().optional(),
  }),
});

const restore = z.strictObject({
  apiVersion: z.literal("velero.io/v1"),
  kind: z.literal("Restore"),
  metadata,
  spec: z
    .strictObject({
      backupName: z.string().optional(),
      scheduleName: z.string().optional(),
      includedNamespaces: names.optional(),
      excludedNamespaces: names.optional(),
      includedResources: names.optional(),
      excludedResources: names.optional(),
      namespaceMapping: labels.optional(),
      labelSelector: selector.optional(),
      restorePVs: z.boolean().nullable().optional(),
      preserveNodePorts: z.boolean().nullable().optional(),
      includeClusterResources: z.boolean().nullable().optional(),
      existingResourcePolicy: z.enum(["none", "update"]).optional(),
      itemOperationTimeout: duration.optional(),
    })
    .refine((s) => (s.backupName === undefined) !== (s.scheduleName === undefined), { message: "must name exactly one of backupName and scheduleName" }),
});

const schemas: Readonly<Record<string, z.ZodType>> = { Schedule: schedule, Restore: restore };

/** The local schema for a velero.io/v1 kind, or undefined. */
export const veleroSchema = (apiVersion: string, kind: string): z.ZodType | undefined => (apiVersion === "velero.io/v1" ? schemas[kind] : undefined);

/** Validates with a local schema: unrecognized keys are unknown fields, everything else an error at its path. */
export function validateLocal(schema: z.ZodType, object: unknown): SchemaResult {
  const result = schema.safeParse(object);
  if (result.success) return { errors: [], unknown: [] };
  const errors: { path: ObjPath; message: string }[] = [];
  const unknown: ObjPath[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") for (const key of issue.keys) unknown.push([...path, key]);
    else errors.push({ path, message: issue.message });
  }
  return { errors, unknown };
}
