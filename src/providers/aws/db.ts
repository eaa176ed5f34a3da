import { randomBytes } from "node:crypto";
import type { DBCluster, DBInstance, RDSClient } from "@aws-sdk/client-rds";
import type { AwsEnvironment } from "../../definitions/config.js";
import { call, isNotFound } from "./errors.js";
import type { Tag } from "./guard.js";
import type { WaitSettings } from "./wait.js";

/** What a run's calls need: the environment (for the guards), the client, the run, the limits. */
export interface RdsRun {
  env: AwsEnvironment;
  rds: RDSClient;
  runId: string;
  waits: WaitSettings;
}

/** A staging copy is an RDS instance, or an Aurora cluster (with one instance in it). */
export type DbKind = "instance" | "cluster";

/**
 * An instance or a cluster under one set of names: the two describe calls answer the same
 * questions (status, tags, pending password, security groups, endpoint) in different fields.
 */
export interface DbState {
  arn: string | undefined;
  status: string;
  tags: Tag[] | undefined;
  passwordPending: boolean;
  securityGroups: { id: string; status: string }[];
  /** Aurora: the instances in the cluster. */
  members: string[];
  host: string;
  port: number;
  user: string;
  database: string;
  engine: string | undefined;
  engineVersion: string | undefined;
}

const fromInstance = (i: DBInstance): DbState => ({
  arn: i.DBInstanceArn,
  status: i.DBInstanceStatus ?? "unknown",
  tags: i.TagList,
  passwordPending: i.PendingModifiedValues?.MasterUserPassword !== undefined,
  securityGroups: (i.VpcSecurityGroups ?? []).map((g) => ({
    id: g.VpcSecurityGroupId ?? "",
    status: g.Status ?? "unknown",
  })),
  members: [],
  host: i.Endpoint?.Address ?? "",
  port: i.Endpoint?.Port ?? 5432,
  user: i.MasterUsername ?? "postgres",
  database: i.DBName ?? "postgres",
  engine: i.Engine,
  engineVersion: i.EngineVersion,
});

const fromCluster = (c: DBCluster): DbState => ({
  arn: c.DBClusterArn,
  status: c.Status ?? "unknown",
  tags: c.TagList,
  passwordPending: c.PendingModifiedValues?.MasterUserPassword !== undefined,
  securityGroups: (c.VpcSecurityGroups ?? []).map((g) => ({
    id: g.VpcSecurityGroupId ?? "",
    status: g.Status ?? "unknown",
  })),
  members: (c.DBClusterMembers ?? []).flatMap((m) =>
    m.DBInstanceIdentifier ? [m.DBInstanceIdentifier] : [],
  ),
  host: c.Endpoint ?? "",
  port: c.Port ?? 5432,
  user: c.MasterUsername ?? "postgres",
  database: c.DatabaseName ?? "postgres",
  engine: c.Engine,
  engineVersion: c.EngineVersion,
});

/** The instance or cluster, or undefined when it does not exist (any more). */
export async function describeDb(
  rds: RDSClient,
  kind: DbKind,
  id: string,
): Promise<DbState | undefined> {
  const sdk = await import("@aws-sdk/client-rds");
  return call(`describing ${id}`, async () => {
    try {
      if (kind === "cluster") {
        const c = (await rds.send(new sdk.DescribeDBClustersCommand({ DBClusterIdentifier: id })))
          .DBClusters?.[0];
        return c && fromCluster(c);
      }
      const i = (await rds.send(new sdk.DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
        .DBInstances?.[0];
      return i && fromInstance(i);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  });
}

/** RDS wants 8–41 printable characters without / " @ or space: base64url has none of those. */
export const newMasterPassword = () => randomBytes(24).toString("base64url");

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
