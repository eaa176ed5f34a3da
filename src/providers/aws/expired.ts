import type { AwsEnvironment } from "../../definitions/config.js";
import type { AwsClients } from "./clients.js";
import { call } from "./errors.js";
import { keptUntil, TAG, tagValue, type Tag } from "./guard.js";

/** A resource a run created that `drill cleanup` should delete: tagged, and expired or orphaned. */
export interface ExpiredResource {
  kind: "instance" | "cluster" | "snapshot" | "cluster-snapshot" | "bucket";
  id: string;
  runId: string;
  expiresAt: string | undefined;
  why: string;
}

export interface FindOptions {
  environmentName: string;
  now: number;
  /** Runs known dead (their runner's marker says so): their resources go before expiry. */
  deadRuns?: ReadonlySet<string>;
}

/**
 * Instances, Aurora clusters, snapshot copies (cross-account KMS) and staging buckets tagged
 * `drill:run` whose `drill:expires-at` passed (or whose run is known dead). Nothing untagged,
 * nothing of another environment, never production; instances inside a cluster go with their
 * cluster. A copy kept for the team (`drill:kept-until`, with `drill:expires-at` moved to the
 * same time) stays until then, also when its run died afterwards.
 */
export async function findExpiredResources(
  env: AwsEnvironment,
  clients: AwsClients,
  o: FindOptions,
): Promise<ExpiredResource[]> {
  const production = (
    "dbInstance" in env.production ? env.production.dbInstance : env.production.dbCluster
  ).toLowerCase();
  const sdk = await import("@aws-sdk/client-rds");
  const rds = await clients.rds();
  const found: ExpiredResource[] = [];
  const consider = (
    kind: ExpiredResource["kind"],
    id: string | undefined,
    tags: Tag[] | undefined,
    status?: string,
  ) => {
    const verdict = judge(tags, o);
    if (!id || !verdict || id.toLowerCase() === production || status === "deleting") return;
    found.push({ kind, id, ...verdict });
  };
  let marker: string | undefined;
  do {
    const page = await call("listing RDS instances", () =>
      rds.send(new sdk.DescribeDBInstancesCommand({ ...(marker ? { Marker: marker } : {}) })),
    );
    for (const i of page.DBInstances ?? [])
      if (!i.DBClusterIdentifier)
        consider("instance", i.DBInstanceIdentifier, i.TagList, i.DBInstanceStatus);
    marker = page.Marker;
  } while (marker);
  do {
    const page = await call("listing RDS clusters", () =>
      rds.send(new sdk.DescribeDBClustersCommand({ ...(marker ? { Marker: marker } : {}) })),
    );
    for (const c of page.DBClusters ?? [])
      consider("cluster", c.DBClusterIdentifier, c.TagList, c.Status);
    marker = page.Marker;
  } while (marker);
  // Only manual snapshots carry a run's tags: automated ones belong to their database.
  do {
    const page = await call("listing RDS snapshots", () =>
      rds.send(
        new sdk.DescribeDBSnapshotsCommand({
          SnapshotType: "manual",
          ...(marker ? { Marker: marker } : {}),
        }),
      ),
    );
    for (const s of page.DBSnapshots ?? [])
      consider("snapshot", s.DBSnapshotIdentifier, s.TagList, s.Status);
    marker = page.Marker;
  } while (marker);
  do {
    const page = await call("listing RDS cluster snapshots", () =>
      rds.send(
        new sdk.DescribeDBClusterSnapshotsCommand({
          SnapshotType: "manual",
          ...(marker ? { Marker: marker } : {}),
        }),
      ),
    );
    for (const s of page.DBClusterSnapshots ?? [])
      consider("cluster-snapshot", s.DBClusterSnapshotIdentifier, s.TagList, s.Status);
    marker = page.Marker;
  } while (marker);
  for (const b of await taggedBuckets(clients)) consider("bucket", b.name, b.tags);
  return found;
}

function judge(
  tags: Tag[] | undefined,
  o: FindOptions,
): Omit<ExpiredResource, "kind" | "id"> | undefined {
  const runId = tagValue(tags, TAG.run);
  if (!runId) return undefined;
  const environment = tagValue(tags, TAG.environment);
  if (environment !== undefined && environment !== o.environmentName) return undefined;
  const expiresAt = tagValue(tags, TAG.expiresAt);
  if (keptUntil(tags, o.now)) return undefined;
  if (o.deadRuns?.has(runId)) return { runId, expiresAt, why: `run ${runId} died` };
  const at = expiresAt === undefined ? NaN : Date.parse(expiresAt);
  if (Number.isFinite(at) && at <= o.now) return { runId, expiresAt, why: `expired ${expiresAt}` };
  return undefined;
}

/** Buckets named for a run (`<prefix><run id>`) with their tags; unreadable ones are skipped. */
async function taggedBuckets(clients: AwsClients): Promise<{ name: string; tags: Tag[] }[]> {
  const sdk = await import("@aws-sdk/client-s3");
  const s3 = await clients.s3();
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await call("listing S3 buckets", () =>
      s3.send(new sdk.ListBucketsCommand({ ...(token ? { ContinuationToken: token } : {}) })),
    );
    for (const b of page.Buckets ?? [])
      if (b.Name && /\d{8}-\d{6}-[a-z0-9-]+-[0-9a-f]{4}$/.test(b.Name)) names.push(b.Name);
    token = page.ContinuationToken;
  } while (token);
  const out: { name: string; tags: Tag[] }[] = [];
  for (const name of names) {
    // A bucket in another region, or one without tags, is not one this environment can judge.
    const tags = await s3
      .send(new sdk.GetBucketTaggingCommand({ Bucket: name }))
      .then((r) => r.TagSet)
      .catch(() => undefined);
    if (tags) out.push({ name, tags });
  }
  return out;
}
