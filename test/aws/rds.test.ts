import {
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DrillError } from "../../src/errors.js";
import { stagingIdentifier } from "../../src/providers/aws/guard.js";
import { RUNNER_SG, STAGING_SG } from "./fake-ec2.js";
import { awsEnv, fakeRds, makeProvider, restoreOpts } from "./fake-rds.js";
import { expectRdsTls } from "./rds-tls.js";

const RUN = "20261128-163012-orders-restore-3f9a";
const KEY = "arn:aws:kms:eu-west-1:111111111111:key/0b5c1f3e-aaaa-bbbb-cccc-123456789012";
const ID = stagingIdentifier(RUN);
const snap = (id: string, at: string, status = "available") => ({
  DBSnapshotIdentifier: id,
  DBSnapshotArn: `arn:aws:rds:eu-west-1:111111111111:snapshot:${id}`,
  SnapshotCreateTime: new Date(at),
  Status: status,
  Engine: "postgres",
  EngineVersion: "15.8",
});

let rds: ReturnType<typeof fakeRds>;
beforeEach(() => {
  rds = fakeRds();
  rds.mock.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: "prod-orders" }).resolves({
    DBSnapshots: [
      snap("rds:prod-orders-2026-11-27", "2026-11-27T03:00:00Z"),
      snap("rds:prod-orders-2026-11-28", "2026-11-28T03:00:00Z"),
      snap("manual-in-progress", "2026-11-28T09:00:00Z", "creating"),
    ],
  });
});
afterEach(() => rds.mock.restore());

const callsOf = (name: string) =>
  rds.mock.calls().filter((c) => c.args[0].constructor.name === `${name}Command`);
const inputOf = (name: string, i = 0) => callsOf(name)[i]?.args[0].input as Record<string, unknown>;

async function expectDrillError(p: Promise<unknown>, code: string, exit: number) {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DrillError);
  expect((e as DrillError).code).toBe(code);
  expect((e as DrillError).exitCode).toBe(exit);
}

describe("aws provider: RDS instance", () => {
  it("restores the newest available snapshot into the staging limits, resets the password, deletes", async () => {
    const provider = makeProvider(awsEnv({ hourlyPrice: 0.08 }));
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    expect(plan.source).toEqual({
      kind: "snapshot",
      id: "rds:prod-orders-2026-11-28",
      takenAt: "2026-11-28T03:00:00.000Z",
    });
    expect(inputOf("DescribeDBSnapshots")).toEqual({ DBInstanceIdentifier: "prod-orders" });

    const { opts, disposers, lines } = restoreOpts(RUN);
    let callsAtCreated = -1;
    const copy = await provider.restore(plan, {
      ...opts,
      onCreated: (d) => {
        callsAtCreated = rds.mock.calls().length;
        opts.onCreated(d);
      },
    });
    // Registered right after the create call returned, before any wait.
    const names = rds.mock.calls().map((c) => c.args[0].constructor.name);
    expect(names[callsAtCreated - 1]).toBe("RestoreDBInstanceFromDBSnapshotCommand");

    const restore = inputOf("RestoreDBInstanceFromDBSnapshot");
    const tags = restore.Tags as { Key: string; Value: string }[];
    expect({ ...restore, Tags: undefined }).toEqual({
      DBInstanceIdentifier: ID,
      DBSnapshotIdentifier: "rds:prod-orders-2026-11-28",
      DBInstanceClass: "db.t4g.medium",
      DBSubnetGroupName: "staging-isolated",
      VpcSecurityGroupIds: ["sg-0123456789abcdef0"],
      PubliclyAccessible: false,
      MultiAZ: false,
      DeletionProtection: false,
      AutoMinorVersionUpgrade: false,
      CopyTagsToSnapshot: false,
      Tags: undefined,
    });
    expect(Object.fromEntries(tags.map((t) => [t.Key, t.Value]))).toMatchObject({
      "drill:run": RUN,
      "drill:drill": "orders-restore",
      "drill:environment": "aws-staging",
    });
    const expires = Date.parse(tags.find((t) => t.Key === "drill:expires-at")!.Value);
    expect(Math.abs(expires - (Date.now() + 6 * 3_600_000))).toBeLessThan(60_000);

    const modify = inputOf("ModifyDBInstance");
    expect(modify).toEqual({
      DBInstanceIdentifier: ID,
      MasterUserPassword: copy.connection.password,
      ApplyImmediately: true,
    });
    expect(copy.connection.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // The password was awaited: the instance was seen resetting, then available.
    expect(lines.some((l) => l.includes("resetting-master-credentials"))).toBe(true);
    expect(copy.connection).toMatchObject({
      host: `${ID}.abc.eu-west-1.rds.amazonaws.com`,
      port: 5432,
      user: "app",
      database: "shop",
    });
    expectRdsTls(copy.connection, `${ID}.abc.eu-west-1.rds.amazonaws.com`);
    expect(copy.details).toMatchObject({ dbInstance: ID, instanceClass: "db.t4g.medium" });
    for (const k of ["restoreCallMs", "availableMs", "passwordResetMs"])
      expect(typeof copy.details[k]).toBe("number");
    const secret = copy.connection.password!;
    expect(JSON.stringify(copy.details)).not.toContain(secret);
    expect(lines.join("\n")).not.toContain(secret);
    expect(JSON.stringify(plan)).not.toContain(secret);

    expect(disposers).toHaveLength(1);
    await disposers[0]!();
    await copy.dispose(); // idempotent
    expect(callsOf("DeleteDBInstance")).toHaveLength(1);
    expect(inputOf("DeleteDBInstance")).toEqual({
      DBInstanceIdentifier: ID,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(rds.state.has(ID)).toBe(false);
    expect(copy.details.cost).toMatchObject({
      hourlyPrice: 0.08,
      instances: 1,
      final: true,
      estimateUsd: 0.01,
    });
  });

  it("restores a point in time with UseLatestRestorableTime or RestoreTime", async () => {
    rds.addProduction("prod-orders", "instance");
    const provider = makeProvider(
      awsEnv({}, { multiAz: true, parameterGroup: "pg15-drill", storageType: "gp3" }),
    );
    const plan = await provider.planRestore({ kind: "pointInTime", time: "latest" });
    expect(plan.source).toMatchObject({
      id: "point-in-time:latest",
      takenAt: "2026-11-28T10:00:00.000Z",
    });
    const { opts, disposers } = restoreOpts(RUN);
    await provider.restore(plan, opts);
    expect(inputOf("RestoreDBInstanceToPointInTime")).toMatchObject({
      SourceDBInstanceIdentifier: "prod-orders",
      TargetDBInstanceIdentifier: ID,
      UseLatestRestorableTime: true,
      MultiAZ: true,
      DBParameterGroupName: "pg15-drill",
      StorageType: "gp3",
      PubliclyAccessible: false,
    });
    await disposers[0]!();

    const at = await provider.planRestore({
      kind: "pointInTime",
      time: new Date("2026-11-28T08:00:00Z"),
    });
    const second = restoreOpts(`${RUN.slice(0, -4)}aaaa`);
    await provider.restore(at, second.opts);
    const input = callsOf("RestoreDBInstanceToPointInTime")[1]!.args[0]
      .input as RestoreDBInstanceToPointInTimeCommand["input"];
    expect(input.RestoreTime).toEqual(new Date("2026-11-28T08:00:00Z"));
    expect(input.UseLatestRestorableTime).toBeUndefined();
    await second.disposers[0]!();
    await expectDrillError(
      provider.planRestore({ kind: "pointInTime", time: new Date("2026-11-29T08:00:00Z") }),
      "POINT_IN_TIME_OUT_OF_RANGE",
      2,
    );
  });

  it("a failed restore (incompatible-restore) is reported and cleaned up", async () => {
    rds.restoreScript = ["creating", "incompatible-restore"];
    const provider = makeProvider(awsEnv());
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const { opts, disposers } = restoreOpts(RUN);
    const failed = provider.restore(plan, opts);
    await expectDrillError(failed, "AWS_RESTORE_FAILED", 3);
    await failed.catch((e: DrillError) => expect(e.message).toContain("incompatible-restore"));
    expect(callsOf("ModifyDBInstance")).toHaveLength(0);
    await disposers[0]!();
    expect(inputOf("DeleteDBInstance")).toEqual({
      DBInstanceIdentifier: ID,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(rds.state.has(ID)).toBe(false);
  });

  it("a restore that never becomes available times out and is cleaned up", async () => {
    rds.restoreScript = ["creating"];
    const provider = makeProvider(awsEnv());
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const { opts, disposers, lines } = restoreOpts(RUN);
    await expectDrillError(provider.restore(plan, opts), "AWS_WAIT_TIMEOUT", 3);
    expect(lines.at(-1)).toMatch(new RegExp(`restoring: ${ID} creating \\(`));
    await disposers[0]!();
    expect(callsOf("DeleteDBInstance")).toHaveLength(1);
  });

  it("a failed password reset still cleans up", async () => {
    rds.mock
      .on(ModifyDBInstanceCommand)
      .rejects(Object.assign(new Error("nope"), { name: "InvalidDBInstanceStateFault" }));
    const provider = makeProvider(awsEnv());
    const { opts, disposers } = restoreOpts(RUN);
    await expectDrillError(
      provider.restore(await provider.planRestore({ kind: "snapshot", snapshot: "latest" }), opts),
      "AWS_ERROR",
      3,
    );
    await disposers[0]!();
    expect(callsOf("DeleteDBInstance")).toHaveLength(1);
  });

  it("an unknown snapshot id is bad input; no snapshot at all is a platform error; nothing is created", async () => {
    rds.mock
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: "nope", IncludeShared: false })
      .rejects(Object.assign(new Error("not found"), { name: "DBSnapshotNotFoundFault" }));
    const provider = makeProvider(awsEnv());
    await expectDrillError(
      provider.planRestore({ kind: "snapshot", snapshot: "nope" }),
      "SNAPSHOT_NOT_FOUND",
      2,
    );
    await expectDrillError(
      provider.planRestore({ kind: "before", before: new Date("2026-01-01T00:00:00Z") }),
      "NO_SNAPSHOT",
      3,
    );
    expect(callsOf("RestoreDBInstanceFromDBSnapshot")).toHaveLength(0);
  });

  it("restores a snapshot shared from another account by its ARN", async () => {
    const arn = "arn:aws:rds:eu-west-1:222222222222:snapshot:backup-2026-11-28";
    rds.mock
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: arn, IncludeShared: true })
      .resolves({
        DBSnapshots: [{ ...snap("backup-2026-11-28", "2026-11-28T01:00:00Z"), DBSnapshotArn: arn }],
      });
    const provider = makeProvider(awsEnv());
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: arn });
    const { opts, disposers } = restoreOpts(RUN);
    await provider.restore(plan, opts);
    expect(inputOf("RestoreDBInstanceFromDBSnapshot").DBSnapshotIdentifier).toBe(arn);
    await disposers[0]!();
  });
});

describe("aws provider: guard", () => {
  it("refuses an instance class outside the allow-list before any call", async () => {
    const provider = makeProvider(awsEnv({}, { allowedInstanceClasses: ["db.t4g.medium"] }), {
      instanceClass: "db.r6g.16xlarge",
    });
    await expectDrillError(
      provider.planRestore({ kind: "snapshot", snapshot: "latest" }),
      "GUARD_INSTANCE_CLASS",
      2,
    );
    expect(rds.mock.calls()).toHaveLength(0);
  });

  it("refuses to restore onto an identifier configured as production: nothing created", async () => {
    const provider = makeProvider(awsEnv({ production: { dbInstance: ID.toUpperCase() } }));
    rds.mock
      .on(DescribeDBSnapshotsCommand)
      .resolves({ DBSnapshots: [snap("s1", "2026-11-28T03:00:00Z")] });
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const { opts, disposers } = restoreOpts(RUN);
    await expectDrillError(provider.restore(plan, opts), "GUARD_PRODUCTION", 2);
    expect(disposers).toHaveLength(0);
    expect(callsOf("RestoreDBInstanceFromDBSnapshot")).toHaveLength(0);
  });

  it("refuses to modify or delete an instance lacking this run's tag", async () => {
    const provider = makeProvider(awsEnv());
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const { opts, disposers } = restoreOpts(RUN);
    // Someone else's instance under the same name (another run's tag): never touched.
    rds.mock.on(RestoreDBInstanceFromDBSnapshotCommand).callsFake((i) => {
      rds.state.set(i.DBInstanceIdentifier, {
        kind: "instance",
        tags: [{ Key: "drill:run", Value: "other-run" }],
        script: ["available"],
      });
      return {};
    });
    await expectDrillError(provider.restore(plan, opts), "GUARD_UNTAGGED", 2);
    expect(callsOf("ModifyDBInstance")).toHaveLength(0);
    await expectDrillError(disposers[0]!(), "GUARD_UNTAGGED", 2);
    rds.state.get(ID)!.tags = [];
    await expectDrillError(disposers[0]!(), "GUARD_UNTAGGED", 2);
    expect(callsOf("DeleteDBInstance")).toHaveLength(0);
    expect(rds.state.has(ID)).toBe(true);
  });
});

describe("aws provider: plan --offline", () => {
  it("describes the calls with their parameters and makes none", async () => {
    const provider = makeProvider(awsEnv({}, { kmsKeyId: KEY }), { offline: true });
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    expect(rds.mock.calls()).toHaveLength(0);
    expect(rds.ec2.mock.calls()).toHaveLength(0);
    const calls = plan.details.calls as {
      call: string;
      params: Record<string, unknown>;
      note?: string;
    }[];
    expect(calls.map((c) => c.call)).toEqual([
      "DescribeDBSnapshots",
      "DescribeSecurityGroups",
      "CopyDBSnapshot",
      "DescribeDBSnapshots",
      "RestoreDBInstanceFromDBSnapshot",
      "DescribeDBInstances",
      "ModifyDBInstance",
      "DeleteDBInstance",
      "DeleteDBSnapshot",
    ]);
    expect(calls[0]!.params).toEqual({ DBInstanceIdentifier: "prod-orders" });
    expect(calls[1]!.params).toEqual({ GroupIds: [STAGING_SG] });
    expect(calls[1]!.note).toContain(RUNNER_SG);
    // Offline nothing says whether the snapshot is encrypted: the copy is listed as conditional.
    expect(calls[2]!.params).toMatchObject({
      TargetDBSnapshotIdentifier: "drill-<run id>",
      KmsKeyId: KEY,
      CopyTags: false,
    });
    expect(calls[2]!.note).toContain("if the snapshot is encrypted with another account's key");
    expect(calls[8]!.note).toContain("if the snapshot is encrypted with another account's key");
    expect(calls[4]!.params).toMatchObject({
      DBSnapshotIdentifier: "<found by the lookup above>, or its copy drill-<run id>",
      DBInstanceClass: "db.t4g.medium",
      PubliclyAccessible: false,
      DeletionProtection: false,
      MultiAZ: false,
    });
    expect(calls[7]!.params).toEqual({
      DBInstanceIdentifier: "drill-<run id>",
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(plan.description).toContain("offline");
    expect(await provider.prepare()).toEqual({ offline: true });
    expect(rds.mock.calls()).toHaveLength(0);
  });

  it("a point in time lists no snapshot copy", async () => {
    const provider = makeProvider(awsEnv(), { offline: true });
    const plan = await provider.planRestore({ kind: "pointInTime", time: "latest" });
    const calls = (plan.details.calls as { call: string }[]).map((c) => c.call);
    expect(calls).not.toContain("CopyDBSnapshot");
    expect(calls).not.toContain("DeleteDBSnapshot");
    expect(calls.slice(0, 3)).toEqual([
      "DescribeDBInstances",
      "DescribeSecurityGroups",
      "RestoreDBInstanceToPointInTime",
    ]);
  });
});
