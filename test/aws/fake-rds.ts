import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type Tag,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import type { AwsEnvironment } from "../../src/definitions/config.js";
import { AwsProvider } from "../../src/providers/aws/provider.js";
import type { RestoreOptions } from "../../src/providers/types.js";
import { ec2Client, fakeEc2, RUNNER_SG, STAGING_SG } from "./fake-ec2.js";

/**
 * RDS as the SDK sees it, through aws-sdk-client-mock: a resource goes through the statuses in
 * `script` one describe at a time (the last one sticks), a delete makes it "deleting" then gone.
 * Snapshot copies (CopyDB*Snapshot) live in `snapshots`; a security group change shows the groups
 * "adding" for two describes, the second one already "available". The staging groups (EC2) are faked too: `ec2`, admitting only the runner.
 */
export interface Resource {
  kind: "instance" | "cluster";
  tags: Tag[];
  script: string[];
  pending?: boolean;
  members?: string[];
  groups?: string[];
  /** Describes left that show the new groups "adding" (RDS may say available before they are). */
  groupsAdding?: number;
}

export interface SnapshotCopy {
  kind: "snapshot" | "cluster-snapshot";
  tags: Tag[];
  script: string[];
  input: Record<string, unknown>;
}

export const ACCOUNT = "111111111111";
const arnOf = (kind: Resource["kind"], id: string) =>
  `arn:aws:rds:eu-west-1:${ACCOUNT}:${kind === "instance" ? "db" : "cluster"}:${id}`;

export function fakeRds() {
  const mock = mockClient(RDSClient);
  const ec2 = fakeEc2();
  const state = new Map<string, Resource>();
  const snapshots = new Map<string, SnapshotCopy>();
  const notFound = (kind: string) => Object.assign(new Error(`${kind} not found`), { name: kind });
  const step = (r: Resource) => (r.script.length > 1 ? r.script.shift()! : r.script[0]!);
  const describe = (id: string | undefined, kind: Resource["kind"]) => {
    const r = state.get(id ?? "");
    if (!r || r.kind !== kind)
      throw notFound(kind === "instance" ? "DBInstanceNotFoundFault" : "DBClusterNotFoundFault");
    const status = step(r);
    if (status === "gone") {
      state.delete(id!);
      throw notFound(kind === "instance" ? "DBInstanceNotFoundFault" : "DBClusterNotFoundFault");
    }
    const pending = r.pending ? { MasterUserPassword: "****" } : {};
    if (status === "available") r.pending = false;
    const VpcSecurityGroups = (r.groups ?? [STAGING_SG]).map((g) => ({
      VpcSecurityGroupId: g,
      Status: r.groupsAdding ? "adding" : "active",
    }));
    r.groupsAdding = Math.max(0, (r.groupsAdding ?? 0) - 1);
    return { status, pending, tags: r.tags, members: r.members ?? [], VpcSecurityGroups };
  };
  mock.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    const d = describe(input.DBInstanceIdentifier, "instance");
    return {
      DBInstances: [
        {
          DBInstanceIdentifier: input.DBInstanceIdentifier,
          DBInstanceArn: arnOf("instance", input.DBInstanceIdentifier ?? ""),
          DBInstanceStatus: d.status,
          VpcSecurityGroups: d.VpcSecurityGroups,
          PendingModifiedValues: d.pending,
          TagList: d.tags,
          Engine: "postgres",
          EngineVersion: "15.8",
          MasterUsername: "app",
          DBName: "shop",
          Endpoint: {
            Address: `${input.DBInstanceIdentifier}.abc.eu-west-1.rds.amazonaws.com`,
            Port: 5432,
          },
          LatestRestorableTime: new Date("2026-11-28T10:00:00Z"),
        },
      ],
    };
  });
  mock.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier?: string }) => {
    const d = describe(input.DBClusterIdentifier, "cluster");
    return {
      DBClusters: [
        {
          DBClusterIdentifier: input.DBClusterIdentifier,
          DBClusterArn: arnOf("cluster", input.DBClusterIdentifier ?? ""),
          Status: d.status,
          VpcSecurityGroups: d.VpcSecurityGroups,
          PendingModifiedValues: d.pending,
          TagList: d.tags,
          DBClusterMembers: d.members.map((m) => ({ DBInstanceIdentifier: m })),
          Engine: "aurora-postgresql",
          EngineVersion: "15.4",
          MasterUsername: "app",
          DatabaseName: "shop",
          Endpoint: `${input.DBClusterIdentifier}.cluster-abc.eu-west-1.rds.amazonaws.com`,
          Port: 5432,
          LatestRestorableTime: new Date("2026-11-28T10:00:00Z"),
          EarliestRestorableTime: new Date("2026-11-21T10:00:00Z"),
        },
      ],
    };
  });
  const create =
    (kind: Resource["kind"], script: () => string[]) => (input: { Tags?: Tag[] }, id: string) => {
      state.set(id, { kind, tags: input.Tags ?? [], script: script() });
    };
  const fakes = {
    mock,
    state,
    /** Statuses the next created resource goes through (default: creating → available). */
    restoreScript: ["creating", "creating", "available"] as string[],
    /** Statuses a snapshot copy goes through (default: creating → available). */
    copyScript: ["creating", "available"] as string[],
    snapshots,
    ec2,
    /** The production instance/cluster, as prepare and point-in-time lookups see it. */
    addProduction(id: string, kind: Resource["kind"]) {
      state.set(id, { kind, tags: [], script: ["available"] });
    },
  };
  const restored = create("instance", () => [...fakes.restoreScript]);
  const restoredCluster = create("cluster", () => [...fakes.restoreScript]);
  mock
    .on(RestoreDBInstanceFromDBSnapshotCommand)
    .callsFake((i) => (restored(i, i.DBInstanceIdentifier), {}));
  mock
    .on(RestoreDBInstanceToPointInTimeCommand)
    .callsFake((i) => (restored(i, i.TargetDBInstanceIdentifier), {}));
  mock
    .on(RestoreDBClusterFromSnapshotCommand)
    .callsFake((i) => (restoredCluster(i, i.DBClusterIdentifier), {}));
  mock
    .on(RestoreDBClusterToPointInTimeCommand)
    .callsFake((i) => (restoredCluster(i, i.DBClusterIdentifier), {}));
  mock.on(CreateDBInstanceCommand).callsFake((i) => {
    state.set(i.DBInstanceIdentifier, {
      kind: "instance",
      tags: i.Tags ?? [],
      script: ["creating", "available"],
    });
    const c = state.get(i.DBClusterIdentifier);
    if (c) c.members = [...(c.members ?? []), i.DBInstanceIdentifier];
    return {};
  });
  const modify = (id: string | undefined, i: { VpcSecurityGroupIds?: string[] }) => {
    const r = state.get(id ?? "");
    if (!r) throw notFound("DBInstanceNotFoundFault");
    if (i.VpcSecurityGroupIds) {
      r.groups = i.VpcSecurityGroupIds;
      r.groupsAdding = 2;
      r.script = ["modifying", "available"];
      return {};
    }
    r.pending = true;
    r.script = ["available", "resetting-master-credentials", "available"];
    return {};
  };
  mock.on(ModifyDBInstanceCommand).callsFake((i) => modify(i.DBInstanceIdentifier, i));
  mock.on(ModifyDBClusterCommand).callsFake((i) => modify(i.DBClusterIdentifier, i));
  mock.on(AddTagsToResourceCommand).callsFake((i: { ResourceName: string; Tags: Tag[] }) => {
    const id = i.ResourceName.split(":").at(-1)!;
    const r = state.get(id);
    if (!r) throw notFound("DBInstanceNotFoundFault");
    const keys = new Set(i.Tags.map((t) => t.Key));
    r.tags = [...r.tags.filter((t) => !keys.has(t.Key)), ...i.Tags];
    return {};
  });
  const del = (id: string | undefined) => {
    const r = state.get(id ?? "");
    if (r) r.script = ["deleting", "gone"];
    return {};
  };
  mock.on(DeleteDBInstanceCommand).callsFake((i) => del(i.DBInstanceIdentifier));
  mock.on(DeleteDBClusterCommand).callsFake((i) => {
    const r = state.get(i.DBClusterIdentifier ?? "");
    if (r?.members?.some((m) => state.has(m)))
      throw Object.assign(new Error("has instances"), { name: "InvalidDBClusterStateFault" });
    return del(i.DBClusterIdentifier);
  });
  // Copies: created by CopyDB*Snapshot, described by id (other lookups: none, unless a test says).
  const copied = (kind: SnapshotCopy["kind"], id: string, input: { Tags?: Tag[] }) => {
    snapshots.set(id, { kind, tags: input.Tags ?? [], script: [...fakes.copyScript], input });
    return {};
  };
  mock
    .on(CopyDBSnapshotCommand)
    .callsFake((i) => copied("snapshot", i.TargetDBSnapshotIdentifier, i));
  mock
    .on(CopyDBClusterSnapshotCommand)
    .callsFake((i) => copied("cluster-snapshot", i.TargetDBClusterSnapshotIdentifier, i));
  const describeCopy = (kind: SnapshotCopy["kind"], id: string | undefined) => {
    const c = snapshots.get(id ?? "");
    if (!id) return [];
    if (!c || c.kind !== kind)
      throw notFound(
        kind === "snapshot" ? "DBSnapshotNotFoundFault" : "DBClusterSnapshotNotFoundFault",
      );
    return [{ Status: c.script.length > 1 ? c.script.shift()! : c.script[0]!, TagList: c.tags }];
  };
  mock.on(DescribeDBSnapshotsCommand).callsFake((i: { DBSnapshotIdentifier?: string }) => ({
    DBSnapshots: describeCopy("snapshot", i.DBSnapshotIdentifier).map((s) => ({
      ...s,
      DBSnapshotIdentifier: i.DBSnapshotIdentifier,
    })),
  }));
  mock
    .on(DescribeDBClusterSnapshotsCommand)
    .callsFake((i: { DBClusterSnapshotIdentifier?: string }) => ({
      DBClusterSnapshots: describeCopy("cluster-snapshot", i.DBClusterSnapshotIdentifier).map(
        (s) => ({ ...s, DBClusterSnapshotIdentifier: i.DBClusterSnapshotIdentifier }),
      ),
    }));
  mock.on(DeleteDBSnapshotCommand).callsFake((i) => (snapshots.delete(i.DBSnapshotIdentifier), {}));
  mock
    .on(DeleteDBClusterSnapshotCommand)
    .callsFake((i) => (snapshots.delete(i.DBClusterSnapshotIdentifier), {}));
  return fakes;
}

export const FAST = {
  minDelaySec: 0.001,
  maxDelaySec: 0.002,
  availableMs: 2_000,
  passwordMs: 2_000,
  deletedMs: 2_000,
  copyMs: 2_000,
};

export const awsEnv = (
  over: Partial<AwsEnvironment> = {},
  staging: Partial<AwsEnvironment["staging"]> = {},
): AwsEnvironment => ({
  provider: "aws",
  region: "eu-west-1",
  production: { dbInstance: "prod-orders" },
  staging: {
    instanceClass: "db.t4g.medium",
    subnetGroup: "staging-isolated",
    securityGroups: [STAGING_SG],
    runnerSecurityGroup: RUNNER_SG,
    multiAz: false,
    ttl: 6 * 3_600_000,
    ...staging,
  },
  ...over,
});

export function makeProvider(
  env: AwsEnvironment,
  o: { offline?: boolean; instanceClass?: string; root?: string } = {},
) {
  const rds = new RDSClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const ec2 = ec2Client();
  return new AwsProvider({
    root: "/nonexistent",
    environment: env,
    environmentName: "aws-staging",
    clients: {
      rds: async () => rds,
      ec2: async () => ec2,
      s3: () => Promise.reject(new Error("no S3 in RDS tests")),
    },
    waits: FAST,
    ...o,
  });
}

export function restoreOpts(runId: string) {
  const disposers: (() => Promise<void>)[] = [];
  const lines: string[] = [];
  const opts: RestoreOptions = {
    runId,
    signal: new AbortController().signal,
    progress: (m) => lines.push(m),
    onCreated: (d) => disposers.push(d),
  };
  return { opts, disposers, lines };
}
