import type { Wanted } from "./source.js";

export interface PlannedCall {
  call: string;
  params: Record<string, unknown>;
  note?: string;
}

/** The call that finds the source: a snapshot (newest, before a time, by id/ARN) or the window. */
export function lookupCall(cluster: boolean, prod: string, wanted: Wanted): PlannedCall {
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
