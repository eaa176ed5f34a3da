import type { RDSClient } from "@aws-sdk/client-rds";
import { inputError, platformError } from "../errors.js";
import type { FailoverPair, FailoverResult } from "../providers/types.js";
import type { ConnectionInfo } from "../types.js";
import { sleep } from "../sleep.js";

/** What to fail over: an RDS Multi-AZ instance, or an Aurora cluster (optionally to a reader). */
export type AwsFailoverTarget =
  { dbInstance: string } | { dbCluster: string; targetInstance?: string };

export interface AwsFailoverOptions {
  signal: AbortSignal;
  progress(message: string): void;
  /** Give up waiting for the database to be available again after this (default 30 min). */
  timeoutMs?: number;
  /** Poll interval (seconds) while waiting; tests set it low. */
  pollSeconds?: number;
}

export interface AwsEvent {
  at: string;
  message: string;
}

/**
 * RDS Multi-AZ: `RebootDBInstance { ForceFailover }`; Aurora: `FailoverDBCluster`. Waits until
 * the database is available again and returns the failover's own RDS events, to be put beside
 * the probe's timings (the probe sees the endpoint's DNS flip, RDS says when it switched).
 */
export async function awsFailover(
  client: RDSClient,
  target: AwsFailoverTarget,
  o: AwsFailoverOptions,
): Promise<FailoverResult & { events: AwsEvent[] }> {
  const rds = await import("@aws-sdk/client-rds");
  const timeoutMs = o.timeoutMs ?? 30 * 60_000;
  const poll = o.pollSeconds ?? 15;
  const isCluster = "dbCluster" in target;
  const id = isCluster ? target.dbCluster : target.dbInstance;
  let triggeredAt: number;
  let oldWriter: string | undefined;
  if (!isCluster) {
    const out = await client.send(
      new rds.DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
      { abortSignal: o.signal },
    );
    const db = out.DBInstances?.[0];
    if (!db) throw inputError("UNKNOWN_DB_INSTANCE", `no RDS instance "${id}"`);
    if (!db.MultiAZ)
      throw inputError(
        "NOT_MULTI_AZ",
        `RDS instance "${id}" is not Multi-AZ: it has no standby to fail over to`,
        "enable Multi-AZ on the instance, or drop the failover step",
      );
    if (db.DBInstanceStatus !== "available") throw inProgress(id, db.DBInstanceStatus);
    o.progress(`rebooting ${id} with failover`);
    triggeredAt = Date.now();
    await client
      .send(new rds.RebootDBInstanceCommand({ DBInstanceIdentifier: id, ForceFailover: true }), {
        abortSignal: o.signal,
      })
      .catch((e: unknown) => {
        throw (e as { name?: string }).name === "InvalidDBInstanceStateFault"
          ? inProgress(id, "rebooting")
          : e;
      });
    const wait = await rds.waitUntilDBInstanceAvailable(
      {
        client,
        maxWaitTime: timeoutMs / 1000,
        minDelay: poll,
        maxDelay: poll * 2,
        abortSignal: o.signal,
      },
      { DBInstanceIdentifier: id },
    );
    if (wait.state !== "SUCCESS") throw notBack(id, timeoutMs);
  } else {
    const before = await describeCluster(client, id, o.signal);
    if (before.Status !== "available") throw inProgress(id, before.Status);
    oldWriter = before.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
    const readers = (before.DBClusterMembers ?? []).filter((m) => !m.IsClusterWriter);
    if (readers.length === 0)
      throw inputError("NO_READER", `Aurora cluster "${id}" has no reader to fail over to`);
    const to = target.targetInstance;
    if (to && !readers.some((m) => m.DBInstanceIdentifier === to))
      throw inputError(
        "UNKNOWN_READER",
        `"${to}" is not a reader of Aurora cluster "${id}" (readers: ${readers.map((m) => m.DBInstanceIdentifier).join(", ")})`,
      );
    o.progress(`failing over Aurora cluster ${id}${to ? ` to ${to}` : ""}`);
    triggeredAt = Date.now();
    await client
      .send(
        new rds.FailoverDBClusterCommand({
          DBClusterIdentifier: id,
          ...(to ? { TargetDBInstanceIdentifier: to } : {}),
        }),
        { abortSignal: o.signal },
      )
      .catch((e: unknown) => {
        throw (e as { name?: string }).name === "InvalidDBClusterStateFault"
          ? inProgress(id, "failing-over")
          : e;
      });
    // The cluster may stay "available" throughout: done when another member is the writer.
    for (;;) {
      o.signal.throwIfAborted();
      const now = await describeCluster(client, id, o.signal);
      const writer = now.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
      if (now.Status === "available" && writer && writer !== oldWriter) break;
      if (Date.now() - triggeredAt > timeoutMs) throw notBack(id, timeoutMs);
      await sleep(poll * 1000);
    }
  }
  const completedAt = Date.now();
  const events = await failoverEvents(client, id, isCluster, triggeredAt, o.signal);
  const started = events.find((e) => /started/i.test(e.message));
  const done = events.findLast((e) => /complete/i.test(e.message));
  return {
    triggeredAt,
    completedAt,
    // RDS's own account when it gives one; else what we waited.
    promoteMs:
      started && done ? Date.parse(done.at) - Date.parse(started.at) : completedAt - triggeredAt,
    events,
    details: {
      [isCluster ? "dbCluster" : "dbInstance"]: id,
      ...(oldWriter ? { oldWriter } : {}),
      events,
    },
  };
}

async function describeCluster(client: RDSClient, id: string, signal: AbortSignal) {
  const rds = await import("@aws-sdk/client-rds");
  const out = await client.send(new rds.DescribeDBClustersCommand({ DBClusterIdentifier: id }), {
    abortSignal: signal,
  });
  const c = out.DBClusters?.[0];
  if (!c) throw inputError("UNKNOWN_DB_CLUSTER", `no Aurora cluster "${id}"`);
  return c;
}

async function failoverEvents(
  client: RDSClient,
  id: string,
  isCluster: boolean,
  since: number,
  signal: AbortSignal,
): Promise<AwsEvent[]> {
  const rds = await import("@aws-sdk/client-rds");
  const out = await client.send(
    new rds.DescribeEventsCommand({
      SourceIdentifier: id,
      SourceType: isCluster ? "db-cluster" : "db-instance",
      // RDS event times are its own clock: a minute of slack each side of ours.
      StartTime: new Date(since - 60_000),
      EventCategories: ["failover"],
    }),
    { abortSignal: signal },
  );
  return (out.Events ?? []).map((e) => ({
    at: (e.Date ?? new Date(0)).toISOString(),
    message: e.Message ?? "",
  }));
}

const inProgress = (id: string, status: string | undefined) =>
  platformError(
    "FAILOVER_IN_PROGRESS",
    `"${id}" is ${status ?? "busy"}, not available: a failover or maintenance is already in progress`,
    "wait until it is available, then run the drill again",
  );

const notBack = (id: string, ms: number) =>
  platformError("FAILOVER_TIMEOUT", `"${id}" was not available again within ${ms / 60_000} min`);

/** A Multi-AZ database as a failover pair: one endpoint whose DNS follows the primary. */
export function awsFailoverPair(
  client: RDSClient,
  target: AwsFailoverTarget,
  endpoint: ConnectionInfo,
  o: AwsFailoverOptions,
): FailoverPair {
  const id = "dbCluster" in target ? target.dbCluster : target.dbInstance;
  return {
    description: `${"dbCluster" in target ? "Aurora cluster" : "RDS Multi-AZ instance"} ${id}`,
    details: {},
    primary: () => endpoint,
    nodes: () => [endpoint],
    replication: async () => ({ lagBytes: null, lagMs: null, state: null }),
    failover: () => awsFailover(client, target, o),
    // RDS rebuilds the old primary as the new standby itself.
    repair: async () => ({ method: "managed by RDS" }),
  };
}
