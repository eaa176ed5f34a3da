import { DescribeDBClusterSnapshotsCommand } from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DrillError } from "../../src/errors.js";
import { stagingIdentifier } from "../../src/providers/aws/guard.js";
import { awsEnv, fakeRds, makeProvider, restoreOpts } from "./fake-rds.js";
import { expectRdsTls } from "./rds-tls.js";

const RUN = "20261128-163012-orders_aurora-3f9a";
const ID = stagingIdentifier(RUN);
const env = () =>
  awsEnv(
    { production: { dbCluster: "prod-aurora" } },
    {
      instanceClass: "db.r6g.large",
      parameterGroup: "aurora-pg15-drill",
      kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:key/abc",
      storageType: "aurora-iopt1",
    },
  );

let rds: ReturnType<typeof fakeRds>;
beforeEach(() => {
  rds = fakeRds();
  rds.mock.on(DescribeDBClusterSnapshotsCommand, { DBClusterIdentifier: "prod-aurora" }).resolves({
    DBClusterSnapshots: [
      {
        DBClusterSnapshotIdentifier: "rds:prod-aurora-2026-11-28",
        SnapshotCreateTime: new Date("2026-11-28T03:00:00Z"),
        Status: "available",
        Engine: "aurora-postgresql",
        EngineVersion: "15.4",
        StorageEncrypted: true,
      },
    ],
  });
});
afterEach(() => rds.mock.restore());

const inputOf = (name: string) =>
  rds.mock.calls().find((c) => c.args[0].constructor.name === `${name}Command`)?.args[0]
    .input as Record<string, unknown>;
const order = () =>
  rds.mock
    .calls()
    .map((c) => c.args[0].constructor.name.replace(/Command$/, ""))
    .filter((n) => !n.startsWith("Describe"));

describe("aws provider: Aurora", () => {
  it("restores the cluster, creates one instance, resets the password, deletes instance then cluster", async () => {
    expect(ID).toBe("drill-20261128-163012-orders-aurora-3f9a");
    const provider = makeProvider(env());
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const { opts, disposers } = restoreOpts(RUN);
    const copy = await provider.restore(plan, opts);
    const restore = inputOf("RestoreDBClusterFromSnapshot");
    expect({ ...restore, Tags: undefined }).toEqual({
      DBClusterIdentifier: ID,
      SnapshotIdentifier: "rds:prod-aurora-2026-11-28",
      Engine: "aurora-postgresql",
      EngineVersion: "15.4",
      DBSubnetGroupName: "staging-isolated",
      VpcSecurityGroupIds: ["sg-0123456789abcdef0"],
      DBClusterParameterGroupName: "aurora-pg15-drill",
      KmsKeyId: "arn:aws:kms:eu-west-1:111111111111:key/abc",
      StorageType: "aurora-iopt1",
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      Tags: undefined,
    });
    expect((restore.Tags as { Key: string }[]).map((t) => t.Key).sort()).toEqual([
      "drill:drill",
      "drill:environment",
      "drill:expires-at",
      "drill:run",
    ]);
    expect({ ...inputOf("CreateDBInstance"), Tags: undefined }).toEqual({
      DBInstanceIdentifier: `${ID}-1`,
      DBClusterIdentifier: ID,
      Engine: "aurora-postgresql",
      DBInstanceClass: "db.r6g.large",
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: false,
      Tags: undefined,
    });
    expect(inputOf("ModifyDBCluster")).toEqual({
      DBClusterIdentifier: ID,
      MasterUserPassword: copy.connection.password,
      ApplyImmediately: true,
    });
    expect(copy.connection).toMatchObject({
      host: `${ID}.cluster-abc.eu-west-1.rds.amazonaws.com`,
      user: "app",
      database: "shop",
    });
    expectRdsTls(copy.connection, `${ID}.cluster-abc.eu-west-1.rds.amazonaws.com`);
    expect(copy.details).toMatchObject({ dbCluster: ID, dbInstance: `${ID}-1` });

    await disposers[0]!();
    expect(order()).toEqual([
      "RestoreDBClusterFromSnapshot",
      "CreateDBInstance",
      "ModifyDBCluster",
      "DeleteDBInstance",
      "DeleteDBCluster",
    ]);
    expect(inputOf("DeleteDBInstance")).toEqual({ DBInstanceIdentifier: `${ID}-1` });
    expect(inputOf("DeleteDBCluster")).toEqual({
      DBClusterIdentifier: ID,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(rds.state.size).toBe(0);
  });

  it("point in time: RestoreDBClusterToPointInTime with UseLatestRestorableTime", async () => {
    rds.addProduction("prod-aurora", "cluster");
    const provider = makeProvider(env());
    const plan = await provider.planRestore({ kind: "pointInTime", time: "latest" });
    const { opts, disposers } = restoreOpts(RUN);
    await provider.restore(plan, opts);
    expect(inputOf("RestoreDBClusterToPointInTime")).toMatchObject({
      DBClusterIdentifier: ID,
      SourceDBClusterIdentifier: "prod-aurora",
      UseLatestRestorableTime: true,
      DeletionProtection: false,
    });
    await disposers[0]!();
    expect(rds.state.has(ID)).toBe(false);
    expect(rds.state.has("prod-aurora")).toBe(true);
  });

  it("a cluster that fails to restore is deleted (no instance was created)", async () => {
    rds.restoreScript = ["creating", "failed"];
    const provider = makeProvider(env());
    const { opts, disposers } = restoreOpts(RUN);
    const e = await provider
      .restore(await provider.planRestore({ kind: "snapshot", snapshot: "latest" }), opts)
      .catch((x: unknown) => x);
    expect((e as DrillError).code).toBe("AWS_RESTORE_FAILED");
    expect(order()).toEqual(["RestoreDBClusterFromSnapshot"]);
    await disposers[0]!();
    expect(order()).toEqual(["RestoreDBClusterFromSnapshot", "DeleteDBCluster"]);
  });
});
