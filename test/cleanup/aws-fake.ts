import {
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";

export interface FakeResource {
  kind: "instance" | "cluster" | "snapshot" | "cluster-snapshot" | "bucket";
  tags: Record<string, string>;
  cluster?: string;
  objects?: string[];
}

/**
 * An account as the SDK sees it through aws-sdk-client-mock: instances, Aurora clusters, manual
 * snapshots and buckets with tags, listed in pages, gone as soon as they are deleted.
 */
export function fakeAccount(resources: Record<string, FakeResource>) {
  const state = new Map(Object.entries(resources));
  const rds = mockClient(RDSClient);
  const s3 = mockClient(S3Client);
  const tagList = (r: FakeResource) =>
    Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value }));
  const of = (kind: FakeResource["kind"]) => [...state].filter(([, r]) => r.kind === kind);
  const notFound = (name: string) => Object.assign(new Error(name), { name });
  const instance = ([id, r]: [string, FakeResource]) => ({
    DBInstanceIdentifier: id,
    DBInstanceStatus: "available",
    TagList: tagList(r),
    ...(r.cluster ? { DBClusterIdentifier: r.cluster } : {}),
  });
  rds
    .on(DescribeDBInstancesCommand)
    .callsFake(async (i: { DBInstanceIdentifier?: string; Marker?: string }) => {
      if (i.DBInstanceIdentifier) {
        const r = state.get(i.DBInstanceIdentifier);
        if (r?.kind !== "instance") throw notFound("DBInstanceNotFoundFault");
        return { DBInstances: [instance([i.DBInstanceIdentifier, r])] };
      }
      // Two per page, so that listing must follow the marker.
      const all = of("instance");
      const from = Number(i.Marker ?? 0);
      const next = from + 2 < all.length ? String(from + 2) : undefined;
      return {
        DBInstances: all.slice(from, from + 2).map(instance),
        ...(next ? { Marker: next } : {}),
      };
    });
  rds.on(DescribeDBClustersCommand).callsFake(async (i: { DBClusterIdentifier?: string }) => {
    const list = of("cluster").filter(
      ([id]) => !i.DBClusterIdentifier || id === i.DBClusterIdentifier,
    );
    if (i.DBClusterIdentifier && list.length === 0) throw notFound("DBClusterNotFoundFault");
    return {
      DBClusters: list.map(([id, r]) => ({
        DBClusterIdentifier: id,
        Status: "available",
        TagList: tagList(r),
        DBClusterMembers: of("instance")
          .filter(([, m]) => m.cluster === id)
          .map(([m]) => ({ DBInstanceIdentifier: m })),
      })),
    };
  });
  // Manual snapshots only: that is all the listing asks for (SnapshotType: "manual").
  const snapshots = (kind: "snapshot" | "cluster-snapshot", id: string | undefined) => {
    const list = of(kind).filter(([s]) => !id || s === id);
    if (id && list.length === 0)
      throw notFound(
        kind === "snapshot" ? "DBSnapshotNotFoundFault" : "DBClusterSnapshotNotFoundFault",
      );
    return list.map(([s, r]) => ({ id: s, Status: "available", TagList: tagList(r) }));
  };
  rds.on(DescribeDBSnapshotsCommand).callsFake(async (i: { DBSnapshotIdentifier?: string }) => ({
    DBSnapshots: snapshots("snapshot", i.DBSnapshotIdentifier).map(({ id, ...s }) => ({
      DBSnapshotIdentifier: id,
      ...s,
    })),
  }));
  rds
    .on(DescribeDBClusterSnapshotsCommand)
    .callsFake(async (i: { DBClusterSnapshotIdentifier?: string }) => ({
      DBClusterSnapshots: snapshots("cluster-snapshot", i.DBClusterSnapshotIdentifier).map(
        ({ id, ...s }) => ({ DBClusterSnapshotIdentifier: id, ...s }),
      ),
    }));
  rds
    .on(DeleteDBSnapshotCommand)
    .callsFake(async (i) => state.delete(i.DBSnapshotIdentifier) && {});
  rds
    .on(DeleteDBClusterSnapshotCommand)
    .callsFake(async (i) => state.delete(i.DBClusterSnapshotIdentifier) && {});
  rds
    .on(DeleteDBInstanceCommand)
    .callsFake(async (i) => state.delete(i.DBInstanceIdentifier) && {});
  rds.on(DeleteDBClusterCommand).callsFake(async (i) => state.delete(i.DBClusterIdentifier) && {});
  s3.on(ListBucketsCommand).resolves({ Buckets: of("bucket").map(([Name]) => ({ Name })) });
  s3.on(GetBucketTaggingCommand).callsFake(async (i: { Bucket: string }) => ({
    TagSet: tagList(state.get(i.Bucket)!),
  }));
  s3.on(ListObjectVersionsCommand).callsFake(async (i: { Bucket: string }) => ({
    Versions: (state.get(i.Bucket)?.objects ?? []).map((Key) => ({ Key, VersionId: "v1" })),
  }));
  s3.on(DeleteObjectsCommand).callsFake(async (i: { Bucket: string }) => {
    state.get(i.Bucket)!.objects = [];
    return {};
  });
  s3.on(DeleteBucketCommand).callsFake(async (i) => state.delete(i.Bucket) && {});
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  const clients = {
    rds: async () => new RDSClient({ region: "eu-west-1", credentials }),
    s3: async () => new S3Client({ region: "eu-west-1", credentials }),
    ec2: () => Promise.reject(new Error("drill cleanup reads no security group")),
  };
  const calls = (name: string) =>
    [...rds.calls(), ...s3.calls()].filter((c) => c.args[0].constructor.name === `${name}Command`);
  return { state, rds, s3, clients, calls, restore: () => (rds.restore(), s3.restore()) };
}
