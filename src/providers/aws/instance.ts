import { randomBytes } from "node:crypto";
import type { DBInstance, RDSClient } from "@aws-sdk/client-rds";
import type { AwsEnvironment } from "../../definitions/config.js";
import type { RestoredCopy, RestoreOptions, RestorePlan } from "../types.js";
import { call, isNotFound, sendRestore } from "./errors.js";
import { assertOwned } from "./guard.js";
import { instanceRestoreParams, type CreateSpec } from "./params.js";
import { pollUntil, waitFor, type WaitSettings } from "./wait.js";

export interface RdsRun {
  env: AwsEnvironment;
  rds: RDSClient;
  runId: string;
  waits: WaitSettings;
}

/** RDS wants 8–41 printable characters without / " @ or space: base64url has none of those. */
export const newMasterPassword = () => randomBytes(24).toString("base64url");

export async function describeInstance(
  rds: RDSClient,
  id: string,
): Promise<DBInstance | undefined> {
  const { DescribeDBInstancesCommand } = await import("@aws-sdk/client-rds");
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
      .DBInstances?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Delete an instance this run made, with no final snapshot and no retained backups, and wait
 * until it is gone. Refuses (GUARD_UNTAGGED) anything without this run's tag.
 */
export async function deleteInstance(
  run: RdsRun,
  id: string,
  o: { signal: AbortSignal; progress(m: string): void; aurora?: boolean },
): Promise<void> {
  const { DeleteDBInstanceCommand } = await import("@aws-sdk/client-rds");
  const found = await call(`describing ${id}`, () => describeInstance(run.rds, id));
  if (!found) return;
  assertOwned(run.env, id, found.TagList, run.runId, "delete");
  if (found.DBInstanceStatus !== "deleting") {
    await call(`deleting ${id}`, async () => {
      try {
        await run.rds.send(
          new DeleteDBInstanceCommand(
            // Aurora instances have no snapshots or backups of their own; the cluster does.
            o.aurora
              ? { DBInstanceIdentifier: id }
              : { DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
          ),
        );
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    });
  }
  await waitFor(run.rds, "instance-deleted", id, {
    ...o,
    waits: run.waits,
    timeoutMs: run.waits.deletedMs,
    phase: "deleting",
  });
}

/** Idempotent, like every dispose: the engine's cleanup and a failed restore may both call it. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => {
    p ??= fn().catch((e: unknown) => {
      p = undefined;
      throw e;
    });
    return p;
  };
}

/** Reset the copy's master password (it came with production's) and wait until it is in effect. */
export async function resetInstancePassword(
  run: RdsRun,
  id: string,
  o: { signal: AbortSignal; progress(m: string): void },
): Promise<{ password: string; ms: number }> {
  const { ModifyDBInstanceCommand } = await import("@aws-sdk/client-rds");
  const before = await call(`describing ${id}`, () => describeInstance(run.rds, id));
  assertOwned(run.env, id, before?.TagList, run.runId, "modify");
  const password = newMasterPassword();
  const start = Date.now();
  await call(`resetting the master password of ${id}`, () =>
    run.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        MasterUserPassword: password,
        ApplyImmediately: true,
      }),
    ),
  );
  // Right after the call the instance may still say "available": wait to see the reset start
  // (status or pending value) or two polls pass, then until it is available with nothing pending.
  let seen = false;
  let polls = 0;
  await pollUntil(
    async () => {
      const i = await call(`describing ${id}`, () => describeInstance(run.rds, id));
      const pending = i?.PendingModifiedValues?.MasterUserPassword !== undefined;
      const status = i?.DBInstanceStatus ?? "gone";
      seen ||= pending || status === "resetting-master-credentials";
      polls++;
      return { done: status === "available" && !pending && (seen || polls > 2), status };
    },
    { ...o, waits: run.waits, timeoutMs: run.waits.passwordMs, phase: `password reset of ${id}` },
  );
  return { password, ms: Date.now() - start };
}

/** Restore an RDS instance into the staging limits; see params.ts for what is sent. */
export async function restoreInstance(
  run: RdsRun,
  spec: CreateSpec,
  plan: RestorePlan,
  opts: RestoreOptions,
  cost: (ms: number) => Record<string, unknown>,
): Promise<RestoredCopy> {
  const { command, input } = instanceRestoreParams(run.env, spec);
  const start = Date.now();
  opts.progress(`${command} ${spec.id} (${spec.instanceClass})`);
  await sendRestore(run.rds, command, input);
  const restoreCallMs = Date.now() - start;
  const billing = { ...cost(0) };
  const dispose = once(async () => {
    await deleteInstance(run, spec.id, {
      signal: AbortSignal.timeout(run.waits.deletedMs),
      progress: opts.progress,
    });
    Object.assign(billing, cost(Date.now() - start));
  });
  opts.onCreated(dispose);

  const availableMs = await waitFor(run.rds, "instance-available", spec.id, {
    waits: run.waits,
    timeoutMs: run.waits.availableMs,
    signal: opts.signal,
    progress: opts.progress,
    phase: "restoring",
  });
  const reset = await resetInstancePassword(run, spec.id, opts);
  const ready = await call(`describing ${spec.id}`, () => describeInstance(run.rds, spec.id));
  return {
    connection: {
      host: ready?.Endpoint?.Address ?? "",
      port: ready?.Endpoint?.Port ?? 5432,
      user: ready?.MasterUsername ?? "postgres",
      password: reset.password,
      database: ready?.DBName ?? "postgres",
    },
    source: plan.source,
    details: {
      dbInstance: spec.id,
      instanceClass: spec.instanceClass,
      engine: ready?.Engine,
      engineVersion: ready?.EngineVersion,
      restoreCallMs,
      availableMs,
      passwordResetMs: reset.ms,
      cost: billing,
    },
    dispose,
  };
}
