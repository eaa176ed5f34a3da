import type { AwsEnvironment } from "../../definitions/config.js";
import { TAG } from "./guard.js";
import {
  clusterInstanceParams,
  clusterRestoreParams,
  instanceRestoreParams,
  type CreateSpec,
} from "./params.js";
import { isCluster, productionId, type ResolvedSource, type Wanted } from "./source.js";

export interface PlannedCall {
  call: string;
  params: Record<string, unknown>;
  note?: string;
}

const HIDDEN_PASSWORD = "(random, generated for the run, kept in memory)";

/**
 * The AWS calls a restore makes, in order, with their parameters: what `drill plan` shows. With
 * `resolved` unknown (offline) the lookup call is listed and the snapshot named by its role.
 */
export function plannedCalls(
  env: AwsEnvironment,
  wanted: Wanted,
  resolved: ResolvedSource | undefined,
  spec: Omit<CreateSpec, "from" | "engine" | "engineVersion">,
): PlannedCall[] {
  const cluster = isCluster(env);
  const prod = productionId(env);
  const calls: PlannedCall[] = [];
  if (!resolved) calls.push(lookupCall(cluster, prod, wanted));
  const from =
    wanted.kind === "pointInTime"
      ? { pointInTime: wanted.time === "latest" ? "latest" : wanted.time.toISOString() }
      : {
          snapshot:
            resolved?.kind === "snapshot" ? resolved.snapshot : "<found by the lookup above>",
        };
  const full: CreateSpec = {
    ...spec,
    from,
    engine: resolved?.engine ?? (cluster ? "aurora-postgresql" : "postgres"),
    engineVersion: resolved?.engineVersion,
  };
  const tagged = (p: Record<string, unknown>) => ({
    ...p,
    Tags: `${TAG.run}, ${TAG.drill}, ${TAG.environment}, ${TAG.expiresAt} (now + ttl)`,
  });
  if (cluster) {
    const r = clusterRestoreParams(env, full);
    const i = clusterInstanceParams(full);
    calls.push(
      { call: r.command, params: tagged(r.input) },
      {
        call: "DescribeDBClusters",
        params: { DBClusterIdentifier: spec.id },
        note: "waiter: until available",
      },
      { call: i.command, params: tagged(i.input) },
      {
        call: "DescribeDBInstances",
        params: { DBInstanceIdentifier: i.input.DBInstanceIdentifier },
        note: "waiter: until available",
      },
      {
        call: "ModifyDBCluster",
        params: {
          DBClusterIdentifier: spec.id,
          MasterUserPassword: HIDDEN_PASSWORD,
          ApplyImmediately: true,
        },
        note: "after checking the cluster carries this run's tags; polled until applied",
      },
      {
        call: "DeleteDBInstance",
        params: { DBInstanceIdentifier: i.input.DBInstanceIdentifier },
        note: "cleanup",
      },
      {
        call: "DeleteDBCluster",
        params: {
          DBClusterIdentifier: spec.id,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        },
        note: "cleanup, after checking the tags; waits until gone",
      },
    );
    return calls;
  }
  const r = instanceRestoreParams(env, full);
  calls.push(
    { call: r.command, params: tagged(r.input) },
    {
      call: "DescribeDBInstances",
      params: { DBInstanceIdentifier: spec.id },
      note: "waiter: until available",
    },
    {
      call: "ModifyDBInstance",
      params: {
        DBInstanceIdentifier: spec.id,
        MasterUserPassword: HIDDEN_PASSWORD,
        ApplyImmediately: true,
      },
      note: "after checking the instance carries this run's tags; polled until applied",
    },
    {
      call: "DeleteDBInstance",
      params: {
        DBInstanceIdentifier: spec.id,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      },
      note: "cleanup, after checking the tags; waits until gone",
    },
  );
  return calls;
}

function lookupCall(cluster: boolean, prod: string, wanted: Wanted): PlannedCall {
  if (wanted.kind === "pointInTime") {
    return cluster
      ? {
          call: "DescribeDBClusters",
          params: { DBClusterIdentifier: prod },
          note: "restorable window",
        }
      : {
          call: "DescribeDBInstances",
          params: { DBInstanceIdentifier: prod },
          note: "latest restorable time",
        };
  }
  const explicit = wanted.kind === "snapshot" && wanted.id !== "latest" ? wanted.id : undefined;
  const shared = explicit?.startsWith("arn:") ?? false;
  const note =
    wanted.kind === "before"
      ? `newest available taken before ${wanted.before.toISOString()}`
      : explicit
        ? "must be available"
        : "newest available (automated or manual)";
  if (cluster) {
    return {
      call: "DescribeDBClusterSnapshots",
      params: explicit
        ? { DBClusterSnapshotIdentifier: explicit, IncludeShared: shared }
        : { DBClusterIdentifier: prod },
      note,
    };
  }
  return {
    call: "DescribeDBSnapshots",
    params: explicit
      ? { DBSnapshotIdentifier: explicit, IncludeShared: shared }
      : { DBInstanceIdentifier: prod },
    note,
  };
}
