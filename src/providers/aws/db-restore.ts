import type { RestoredCopy, RestoreOptions, RestorePlan } from "../types.js";
import { deleteDb } from "./db-delete.js";
import { resetPassword } from "./db-modify.js";
import { once, type DbKind, type RdsRun } from "./db.js";
import { call, sendRestore } from "./errors.js";
import {
  clusterInstanceParams,
  clusterRestoreParams,
  instanceRestoreParams,
  type CreateSpec,
} from "./params.js";
import { rdsTls } from "./tls.js";
import { waitFor } from "./wait.js";

/** The estimate for a copy that existed `ms`, or was kept until `keptUntil` (see cost.ts). */
export type CostOf = (ms: number, keptUntil?: string) => Record<string, unknown>;

/**
 * Restore an RDS instance, or an Aurora cluster and one instance in it, into the staging limits
 * (see params.ts for what is sent), then reset its master password. The copy's removal is
 * registered the moment the create call returns, before any wait.
 */
export async function restoreDb(
  run: RdsRun,
  kind: DbKind,
  spec: CreateSpec,
  plan: RestorePlan,
  opts: RestoreOptions,
  cost: CostOf,
): Promise<RestoredCopy> {
  const sdk = await import("@aws-sdk/client-rds");
  const { command, input } =
    kind === "cluster" ? clusterRestoreParams(run.env, spec) : instanceRestoreParams(run.env, spec);
  const start = Date.now();
  const wait = { waits: run.waits, signal: opts.signal, progress: opts.progress };
  opts.progress(`${command} ${spec.id}${kind === "instance" ? ` (${spec.instanceClass})` : ""}`);
  await sendRestore(run.rds, command, input);
  const restoreCallMs = Date.now() - start;
  const billing = { ...cost(0) };
  const dispose = once(async () => {
    const { keptUntil } = await deleteDb(run, kind, spec.id, {
      // An Aurora copy is two deletes in a row: its instance, then the cluster.
      signal: AbortSignal.timeout(run.waits.deletedMs * (kind === "cluster" ? 2 : 1)),
      progress: opts.progress,
      sparesKept: true,
    });
    Object.assign(billing, cost(Date.now() - start, keptUntil));
  });
  opts.onCreated(dispose);

  const availableMs = await waitFor(run.rds, `${kind}-available`, spec.id, {
    ...wait,
    timeoutMs: run.waits.availableMs,
    phase: kind === "cluster" ? "restoring cluster" : "restoring",
  });
  let instance: { id: string; availableMs: number } | undefined;
  if (kind === "cluster") {
    // Aurora: the cluster has no compute until one instance is created in it.
    const inst = clusterInstanceParams(spec);
    const id = inst.input.DBInstanceIdentifier;
    opts.progress(`CreateDBInstance ${id} (${spec.instanceClass})`);
    await call("CreateDBInstance", () => run.rds.send(new sdk.CreateDBInstanceCommand(inst.input)));
    const ms = await waitFor(run.rds, "instance-available", id, {
      ...wait,
      timeoutMs: run.waits.availableMs,
      phase: "creating instance",
    });
    instance = { id, availableMs: ms };
  }
  const reset = await resetPassword(run, kind, spec.id, opts);
  const ready = reset.ready;
  const host = ready?.host ?? "";
  return {
    connection: {
      host,
      port: ready?.port ?? 5432,
      user: ready?.user ?? "postgres",
      password: reset.password,
      database: ready?.database ?? "postgres",
      tls: await rdsTls(host),
    },
    source: plan.source,
    details: {
      ...(kind === "cluster"
        ? { dbCluster: spec.id, dbInstance: instance?.id }
        : { dbInstance: spec.id }),
      instanceClass: spec.instanceClass,
      engine: ready?.engine,
      engineVersion: ready?.engineVersion ?? spec.engineVersion,
      restoreCallMs,
      availableMs,
      ...(instance ? { instanceAvailableMs: instance.availableMs } : {}),
      passwordResetMs: reset.ms,
      cost: billing,
    },
    dispose,
  };
}
