import type { DBCluster, RDSClient } from "@aws-sdk/client-rds";
import type { RestoredCopy, RestoreOptions, RestorePlan } from "../types.js";
import { call, isNotFound, sendRestore } from "./errors.js";
import { assertOwned } from "./guard.js";
import {
  deleteInstance,
  describeInstance,
  newMasterPassword,
  once,
  type RdsRun,
} from "./instance.js";
import { clusterInstanceParams, clusterRestoreParams, type CreateSpec } from "./params.js";
import { pollUntil, waitFor } from "./wait.js";

export async function describeCluster(rds: RDSClient, id: string): Promise<DBCluster | undefined> {
  const { DescribeDBClustersCommand } = await import("@aws-sdk/client-rds");
  try {
    return (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })))
      .DBClusters?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Delete the cluster's instances (each checked for this run's tag), then the cluster. */
export async function deleteCluster(
  run: RdsRun,
  id: string,
  o: { signal: AbortSignal; progress(m: string): void },
): Promise<void> {
  const { DeleteDBClusterCommand } = await import("@aws-sdk/client-rds");
  const found = await call(`describing ${id}`, () => describeCluster(run.rds, id));
  if (!found) return;
  assertOwned(run.env, id, found.TagList, run.runId, "delete");
  const members = new Set([`${id}-1`]);
  for (const m of found.DBClusterMembers ?? [])
    if (m.DBInstanceIdentifier) members.add(m.DBInstanceIdentifier);
  for (const member of members) await deleteInstance(run, member, { ...o, aurora: true });
  if (found.Status !== "deleting") {
    await call(`deleting ${id}`, async () => {
      try {
        await run.rds.send(
          new DeleteDBClusterCommand({
            DBClusterIdentifier: id,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: true,
          }),
        );
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    });
  }
  await waitFor(run.rds, "cluster-deleted", id, {
    ...o,
    waits: run.waits,
    timeoutMs: run.waits.deletedMs,
    phase: "deleting",
  });
}

/** Aurora: restore the cluster, create one instance in it, reset the master password. */
export async function restoreCluster(
  run: RdsRun,
  spec: CreateSpec,
  plan: RestorePlan,
  opts: RestoreOptions,
  cost: (ms: number) => Record<string, unknown>,
): Promise<RestoredCopy> {
  const sdk = await import("@aws-sdk/client-rds");
  const { command, input } = clusterRestoreParams(run.env, spec);
  const start = Date.now();
  const wait = { waits: run.waits, signal: opts.signal, progress: opts.progress };
  opts.progress(`${command} ${spec.id}`);
  await sendRestore(run.rds, command, input);
  const restoreCallMs = Date.now() - start;
  const billing = { ...cost(0) };
  const dispose = once(async () => {
    await deleteCluster(run, spec.id, {
      signal: AbortSignal.timeout(run.waits.deletedMs * 2),
      progress: opts.progress,
    });
    Object.assign(billing, cost(Date.now() - start));
  });
  opts.onCreated(dispose);

  const clusterMs = await waitFor(run.rds, "cluster-available", spec.id, {
    ...wait,
    timeoutMs: run.waits.availableMs,
    phase: "restoring cluster",
  });
  const inst = clusterInstanceParams(spec);
  opts.progress(`CreateDBInstance ${inst.input.DBInstanceIdentifier} (${spec.instanceClass})`);
  await call("CreateDBInstance", () => run.rds.send(new sdk.CreateDBInstanceCommand(inst.input)));
  const instanceMs = await waitFor(run.rds, "instance-available", inst.input.DBInstanceIdentifier, {
    ...wait,
    timeoutMs: run.waits.availableMs,
    phase: "creating instance",
  });

  const before = await call(`describing ${spec.id}`, () => describeCluster(run.rds, spec.id));
  assertOwned(run.env, spec.id, before?.TagList, run.runId, "modify");
  const password = newMasterPassword();
  const resetAt = Date.now();
  await call(`resetting the master password of ${spec.id}`, () =>
    run.rds.send(
      new sdk.ModifyDBClusterCommand({
        DBClusterIdentifier: spec.id,
        MasterUserPassword: password,
        ApplyImmediately: true,
      }),
    ),
  );
  let seen = false;
  let polls = 0;
  let ready: DBCluster | undefined;
  await pollUntil(
    async () => {
      ready = await call(`describing ${spec.id}`, () => describeCluster(run.rds, spec.id));
      const pending = ready?.PendingModifiedValues?.MasterUserPassword !== undefined;
      const status = ready?.Status ?? "gone";
      seen ||= pending || status === "resetting-master-credentials";
      polls++;
      return { done: status === "available" && !pending && (seen || polls > 2), status };
    },
    { ...wait, timeoutMs: run.waits.passwordMs, phase: `password reset of ${spec.id}` },
  );
  const passwordResetMs = Date.now() - resetAt;
  const instance = await call("describing the instance", () =>
    describeInstance(run.rds, inst.input.DBInstanceIdentifier),
  );
  return {
    connection: {
      host: ready?.Endpoint ?? "",
      port: ready?.Port ?? 5432,
      user: ready?.MasterUsername ?? "postgres",
      password,
      database: ready?.DatabaseName ?? "postgres",
    },
    source: plan.source,
    details: {
      dbCluster: spec.id,
      dbInstance: inst.input.DBInstanceIdentifier,
      instanceClass: spec.instanceClass,
      engine: ready?.Engine,
      engineVersion: ready?.EngineVersion ?? instance?.EngineVersion,
      restoreCallMs,
      availableMs: clusterMs,
      instanceAvailableMs: instanceMs,
      passwordResetMs,
      cost: billing,
    },
    dispose,
  };
}
