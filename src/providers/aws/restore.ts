import type { AwsEnvironment } from "../../definitions/config.js";
import type { RestoredCopy, RestoreOptions, RestorePlan } from "../types.js";
import type { AwsClients } from "./clients.js";
import { costEstimate } from "./cost.js";
import { restoreDb } from "./db-restore.js";
import { drillOfRunId } from "../../run-id.js";
import { assertNotProduction, runTags, stagingIdentifier } from "./guard.js";
import type { CreateSpec } from "./params.js";
import { plannedCalls } from "./plan.js";
import { askedOf, describeFrom, sourceOf, wantedBack } from "./plan-source.js";
import { assertQuarantined, runnerGroupOf } from "./quarantine.js";
import { copySnapshot, snapshotCopyNeed } from "./snapshot-copy.js";
import {
  isCluster,
  productionId,
  resolveSource,
  type ResolvedSource,
  type Wanted,
} from "./source.js";
import type { WaitSettings } from "./wait.js";

/** What the AWS provider hands its restore: the environment, its name (for messages), clients. */
export interface AwsContext {
  env: AwsEnvironment;
  envName: string;
  drill: string | undefined;
  clients: AwsClients;
  waits: WaitSettings;
  offline: boolean;
}

/**
 * Resolve the source (unless offline), decide whether the snapshot must be copied into this
 * account first, check the staging groups' quarantine, and list every call a restore makes.
 * Configuration mistakes are refused here already, so that `drill plan` shows them.
 */
export async function planDbRestore(
  ctx: AwsContext,
  instanceClass: string,
  wanted: Wanted,
): Promise<RestorePlan> {
  const { env } = ctx;
  runnerGroupOf(env, ctx.envName);
  const resolved = ctx.offline
    ? undefined
    : await resolveSource(env, await ctx.clients.rds(), wanted);
  const copy = resolved ? snapshotCopyNeed(env, ctx.envName, resolved) : undefined;
  if (!ctx.offline) await assertQuarantined(env, ctx.envName, await ctx.clients.ec2());
  const id = "drill-<run id>";
  // Offline nothing says whether the snapshot is encrypted with another account's key.
  const copies = resolved ? copy : wanted.kind === "pointInTime" ? undefined : "maybe";
  const calls = plannedCalls(env, wanted, resolved, { id, instanceClass, tags: [] }, copies);
  const what = isCluster(env) ? "Aurora cluster" : "RDS instance";
  const via = copy ? `, copied into this account under ${copy.kmsKeyId}` : "";
  return {
    source: sourceOf(resolved, wanted),
    description: `${describeFrom(wanted, resolved)}${via} of ${productionId(env)} → new ${what} ${id} (${instanceClass}, private, ${env.region})${ctx.offline ? " [offline: nothing looked up]" : ""}`,
    details: {
      asked: askedOf(wanted),
      ...(resolved ? { resolved } : { offline: true }),
      ...(copy ? { snapshotCopy: copy } : {}),
      calls,
    },
  };
}

/**
 * Restore into the staging limits. In order, nothing created before the last check: the
 * runner's group is configured, the copy's name is not production's, the source resolves (a
 * shared encrypted snapshot needs `staging.kmsKeyId`), the staging groups admit only the runner.
 * Then the snapshot is copied into this account if it must be, and the copy restored from it.
 */
export async function restoreDbFromPlan(
  ctx: AwsContext,
  instanceClass: string,
  plan: RestorePlan,
  opts: RestoreOptions,
): Promise<RestoredCopy> {
  const { env } = ctx;
  runnerGroupOf(env, ctx.envName);
  const id = stagingIdentifier(opts.runId);
  assertNotProduction(env, id, "restore onto");
  const rds = await ctx.clients.rds();
  const resolved =
    (plan.details.resolved as ResolvedSource | undefined) ??
    (await resolveSource(env, rds, wantedBack(plan)));
  const need = snapshotCopyNeed(env, ctx.envName, resolved);
  await assertQuarantined(env, ctx.envName, await ctx.clients.ec2());

  const kind = isCluster(env) ? "cluster" : "instance";
  const run = { env, rds, runId: opts.runId, waits: ctx.waits };
  const tags = runTags({
    runId: opts.runId,
    drill: ctx.drill ?? drillOfRunId(opts.runId) ?? "unknown",
    environment: ctx.envName,
    expiresAt: new Date(Date.now() + env.staging.ttl),
  });
  // The copy is named like the database it becomes (snapshots have a namespace of their own).
  const copy = need ? await copySnapshot(run, kind, need, id, tags, opts) : undefined;
  const spec: CreateSpec = {
    id,
    instanceClass,
    tags,
    from: copy
      ? { snapshot: copy.id }
      : resolved.kind === "snapshot"
        ? { snapshot: resolved.snapshot }
        : { pointInTime: resolved.time },
    engine: resolved.engine,
    engineVersion: resolved.engineVersion,
  };
  const restored = await restoreDb(
    run,
    kind,
    spec,
    { ...plan, source: sourceOf(resolved, undefined) },
    opts,
    (ms, keptUntil) => costEstimate(env, ms, keptUntil),
  );
  if (!copy || !need) return restored;
  // The copy is a phase of its own in the breakdown: it counts towards the RTO like the restore.
  const { id: copyId, ms } = copy;
  return {
    ...restored,
    details: {
      snapshotCopy: { id: copyId, from: need.source, kmsKeyId: need.kmsKeyId, reason: need.reason },
      snapshotCopyMs: ms,
      ...restored.details,
    },
  };
}
