import {
  CopyDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
} from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DrillError } from "../../src/errors.js";
import { stagingIdentifier } from "../../src/providers/aws/guard.js";
import type { RestorePlan } from "../../src/providers/types.js";
import { awsEnv, fakeRds, makeProvider, restoreOpts } from "./fake-rds.js";

/** An encrypted snapshot shared from a backup account is copied in under our key first. */
const RUN = "20261128-163012-orders-restore-3f9a";
const ID = stagingIdentifier(RUN);
const KEY = "arn:aws:kms:eu-west-1:111111111111:key/0b5c1f3e-aaaa-bbbb-cccc-123456789012";
const BACKUP_KEY = "arn:aws:kms:eu-west-1:222222222222:key/9f9f9f9f-1111-2222-3333-444444444444";
const ARN = "arn:aws:rds:eu-west-1:222222222222:snapshot:backup-2026-11-28";
const CLUSTER_ARN = "arn:aws:rds:eu-west-1:222222222222:cluster-snapshot:backup-2026-11-28";
const snapshot = (over: Record<string, unknown> = {}) => ({
  DBSnapshotIdentifier: "backup-2026-11-28",
  DBSnapshotArn: ARN,
  SnapshotCreateTime: new Date("2026-11-28T01:00:00Z"),
  Status: "available",
  Engine: "postgres",
  EngineVersion: "15.8",
  Encrypted: true,
  KmsKeyId: BACKUP_KEY,
  SnapshotType: "shared",
  ...over,
});

let rds: ReturnType<typeof fakeRds>;
beforeEach(() => {
  rds = fakeRds();
  rds.mock
    .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: ARN, IncludeShared: true })
    .resolves({ DBSnapshots: [snapshot()] });
});
afterEach(() => rds.mock.restore());

const callsOf = (name: string) =>
  rds.mock.calls().filter((c) => c.args[0].constructor.name === `${name}Command`);
const inputOf = (name: string, i = 0) => callsOf(name)[i]?.args[0].input as Record<string, unknown>;
/** Every call that is not a Describe: what a run wrote, in order. */
const writes = () =>
  rds.mock
    .calls()
    .map((c) => c.args[0].constructor.name.replace(/Command$/, ""))
    .filter((n) => !n.startsWith("Describe"));
const tagsOf = (input: Record<string, unknown>) =>
  Object.fromEntries((input.Tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));

async function drillError(p: Promise<unknown>): Promise<DrillError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DrillError);
  return e as DrillError;
}

/** Dispose as the engine does: newest registration first. */
const disposeAll = async (disposers: (() => Promise<void>)[]) => {
  for (const d of [...disposers].reverse()) await d();
};

describe("aws provider: encrypted snapshot shared from another account", () => {
  it("copies it under staging.kmsKeyId, restores the copy, deletes the copy at cleanup", async () => {
    rds.copyScript = ["creating", "copying", "available"];
    const provider = makeProvider(awsEnv({ hourlyPrice: 0.08 }, { kmsKeyId: KEY }));
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: ARN });
    expect(plan.details.snapshotCopy).toEqual({
      source: ARN,
      kmsKeyId: KEY,
      reason: "shared from account 222222222222",
    });
    const planned = plan.details.calls as { call: string; params: Record<string, unknown> }[];
    expect(planned.find((c) => c.call === "CopyDBSnapshot")?.params).toMatchObject({
      SourceDBSnapshotIdentifier: ARN,
      KmsKeyId: KEY,
      CopyTags: false,
    });
    expect(plan.description).toContain(`copied into this account under ${KEY}`);
    expect(writes()).toEqual([]);

    const { opts, disposers, lines } = restoreOpts(RUN);
    const copy = await provider.restore(plan, opts);
    expect(writes()).toEqual([
      "CopyDBSnapshot",
      "RestoreDBInstanceFromDBSnapshot",
      "ModifyDBInstance",
    ]);
    const copied = inputOf("CopyDBSnapshot");
    expect({ ...copied, Tags: undefined }).toEqual({
      SourceDBSnapshotIdentifier: ARN,
      TargetDBSnapshotIdentifier: ID,
      KmsKeyId: KEY,
      CopyTags: false,
      Tags: undefined,
    });
    expect(tagsOf(copied)).toMatchObject({
      "drill:run": RUN,
      "drill:drill": "orders-restore",
      "drill:environment": "aws-staging",
    });
    const expires = Date.parse(tagsOf(copied)["drill:expires-at"]!);
    expect(Math.abs(expires - (Date.now() + 6 * 3_600_000))).toBeLessThan(60_000);
    // Restored from the copy, with the same tags; the record still names the shared snapshot.
    expect(inputOf("RestoreDBInstanceFromDBSnapshot")).toMatchObject({
      DBInstanceIdentifier: ID,
      DBSnapshotIdentifier: ID,
    });
    expect(tagsOf(inputOf("RestoreDBInstanceFromDBSnapshot"))).toEqual(tagsOf(copied));
    expect(copy.source.id).toBe(ARN);
    // The restore waited for the copy: available before the restore call, with progress.
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(new RegExp(`^copying snapshot: ${ID} copying \\(`))).toBeGreaterThan(0);
    expect(at(new RegExp(`^copying snapshot: ${ID} available`))).toBeLessThan(
      at(/^RestoreDBInstanceFromDBSnapshot /),
    );
    // Its own phase in the breakdown, before the restore's.
    expect(copy.details.snapshotCopy).toEqual({
      id: ID,
      from: ARN,
      kmsKeyId: KEY,
      reason: "shared from account 222222222222",
    });
    expect(typeof copy.details.snapshotCopyMs).toBe("number");
    expect(Object.keys(copy.details).indexOf("snapshotCopyMs")).toBeLessThan(
      Object.keys(copy.details).indexOf("restoreCallMs"),
    );

    expect(disposers).toHaveLength(2);
    await disposeAll(disposers);
    expect(writes().slice(3)).toEqual(["DeleteDBInstance", "DeleteDBSnapshot"]);
    expect(inputOf("DeleteDBSnapshot")).toEqual({ DBSnapshotIdentifier: ID });
    expect(rds.snapshots.size).toBe(0);
    expect(rds.state.has(ID)).toBe(false);
    expect(copy.details.cost).toMatchObject({ final: true });
  });

  it("never deletes a copy whose tags lack this run", async () => {
    const provider = makeProvider(awsEnv({}, { kmsKeyId: KEY }));
    const { opts, disposers } = restoreOpts(RUN);
    await provider.restore(await provider.planRestore({ kind: "snapshot", snapshot: ARN }), opts);
    rds.snapshots.get(ID)!.tags = [
      { Key: "drill:run", Value: "20261128-100000-other-aaaa" },
      { Key: "drill:drill", Value: "other" },
    ];
    await disposers[1]!();
    const e = await drillError(disposers[0]!());
    expect([e.code, e.exitCode]).toEqual(["GUARD_UNTAGGED", 2]);
    rds.snapshots.get(ID)!.tags = [];
    expect((await drillError(disposers[0]!())).code).toBe("GUARD_UNTAGGED");
    expect(callsOf("DeleteDBSnapshot")).toHaveLength(0);
    expect(rds.snapshots.has(ID)).toBe(true);
  });

  it("a copy that fails restores nothing, and cleanup still deletes the copy", async () => {
    rds.copyScript = ["creating", "failed"];
    const provider = makeProvider(awsEnv({}, { kmsKeyId: KEY }));
    const { opts, disposers } = restoreOpts(RUN);
    const e = await drillError(
      provider.restore(await provider.planRestore({ kind: "snapshot", snapshot: ARN }), opts),
    );
    expect([e.code, e.exitCode]).toEqual(["AWS_RESTORE_FAILED", 3]);
    expect(e.message).toBe(`copying snapshot: ${ID} went to status "failed"`);
    expect(writes()).toEqual(["CopyDBSnapshot"]);
    expect(disposers).toHaveLength(1);
    await disposeAll(disposers);
    expect(writes()).toEqual(["CopyDBSnapshot", "DeleteDBSnapshot"]);
    expect(inputOf("DeleteDBSnapshot")).toEqual({ DBSnapshotIdentifier: ID });
  });

  it("a copy AWS refuses (the backup key is not shared) creates nothing and names the key policy", async () => {
    rds.mock
      .on(CopyDBSnapshotCommand)
      .rejects(
        Object.assign(new Error("key not accessible"), { name: "KMSKeyNotAccessibleFault" }),
      );
    const provider = makeProvider(awsEnv({}, { kmsKeyId: KEY }));
    const { opts, disposers } = restoreOpts(RUN);
    const e = await drillError(
      provider.restore(await provider.planRestore({ kind: "snapshot", snapshot: ARN }), opts),
    );
    expect([e.code, e.exitCode]).toEqual(["KMS_KEY_NOT_ACCESSIBLE", 3]);
    expect(e.hint).toContain("backup account's key policy must allow this account");
    expect(disposers).toHaveLength(0);
    expect(callsOf("RestoreDBInstanceFromDBSnapshot")).toHaveLength(0);
  });

  it("without staging.kmsKeyId: exit 2 naming the field, before any write (plan and restore)", async () => {
    const provider = makeProvider(awsEnv());
    const e = await drillError(provider.planRestore({ kind: "snapshot", snapshot: ARN }));
    expect([e.code, e.exitCode]).toEqual(["KMS_KEY_MISSING", 2]);
    expect(e.message).toContain("environments.aws-staging.staging.kmsKeyId is not set");
    expect(e.message).not.toContain("\n");
    // A plan made offline is resolved at restore: refused there, equally before anything exists.
    const offline = makeProvider(awsEnv(), { offline: true });
    const plan: RestorePlan = await offline.planRestore({ kind: "snapshot", snapshot: ARN });
    const { opts, disposers } = restoreOpts(RUN);
    expect((await drillError(provider.restore(plan, opts))).code).toBe("KMS_KEY_MISSING");
    expect(writes()).toEqual([]);
    expect(disposers).toHaveLength(0);
    expect(rds.ec2.mock.calls()).toHaveLength(0);
  });

  it("an ARN of another account is compared with production's account when RDS does not say shared", async () => {
    rds.addProduction("prod-orders", "instance");
    rds.mock
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: ARN, IncludeShared: true })
      .resolves({ DBSnapshots: [snapshot({ SnapshotType: "manual" })] });
    const plan = await makeProvider(awsEnv({}, { kmsKeyId: KEY })).planRestore({
      kind: "snapshot",
      snapshot: ARN,
    });
    expect(inputOf("DescribeDBInstances")).toEqual({ DBInstanceIdentifier: "prod-orders" });
    expect(plan.details.snapshotCopy).toMatchObject({ reason: "shared from account 222222222222" });
  });
});

describe("aws provider: this account's encrypted snapshots", () => {
  const own = (over: Record<string, unknown>) =>
    rds.mock.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: "prod-orders" }).resolves({
      DBSnapshots: [
        snapshot({
          DBSnapshotIdentifier: "rds:prod-orders-2026-11-28",
          DBSnapshotArn: "arn:aws:rds:eu-west-1:111111111111:snapshot:rds:prod-orders-2026-11-28",
          SnapshotType: "automated",
          ...over,
        }),
      ],
    });
  const planned = async (kmsKeyId?: string) =>
    (
      await makeProvider(awsEnv({}, kmsKeyId ? { kmsKeyId } : {})).planRestore({
        kind: "snapshot",
        snapshot: "latest",
      })
    ).details;

  it("copies one encrypted with another key than the staging key", async () => {
    const other = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555";
    own({ KmsKeyId: other });
    expect((await planned(KEY)).snapshotCopy).toEqual({
      source: "arn:aws:rds:eu-west-1:111111111111:snapshot:rds:prod-orders-2026-11-28",
      kmsKeyId: KEY,
      reason: `encrypted with ${other}`,
    });
  });

  it("restores directly when it already uses the staging key (ARN or bare id), or no key is set", async () => {
    own({ KmsKeyId: KEY });
    expect((await planned(KEY)).snapshotCopy).toBeUndefined();
    expect((await planned("0b5c1f3e-aaaa-bbbb-cccc-123456789012")).snapshotCopy).toBeUndefined();
    expect((await planned(undefined)).snapshotCopy).toBeUndefined();
    own({ Encrypted: false, KmsKeyId: undefined });
    expect((await planned(KEY)).snapshotCopy).toBeUndefined();
    const calls = (await planned(KEY)).calls as { call: string }[];
    expect(calls.map((c) => c.call)).not.toContain("CopyDBSnapshot");
  });
});

describe("aws provider: Aurora, encrypted cluster snapshot shared from another account", () => {
  it("CopyDBClusterSnapshot under the staging key, the cluster restored from the copy, all deleted", async () => {
    rds.mock
      .on(DescribeDBClusterSnapshotsCommand, {
        DBClusterSnapshotIdentifier: CLUSTER_ARN,
        IncludeShared: true,
      })
      .resolves({
        DBClusterSnapshots: [
          {
            DBClusterSnapshotIdentifier: "backup-2026-11-28",
            DBClusterSnapshotArn: CLUSTER_ARN,
            SnapshotCreateTime: new Date("2026-11-28T01:00:00Z"),
            Status: "available",
            Engine: "aurora-postgresql",
            EngineVersion: "15.4",
            StorageEncrypted: true,
            KmsKeyId: BACKUP_KEY,
            SnapshotType: "shared",
          },
        ],
      });
    const provider = makeProvider(
      awsEnv({ production: { dbCluster: "prod-aurora" } }, { kmsKeyId: KEY }),
    );
    const { opts, disposers } = restoreOpts(RUN);
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: CLUSTER_ARN });
    const copy = await provider.restore(plan, opts);
    const copied = inputOf("CopyDBClusterSnapshot");
    expect({ ...copied, Tags: undefined }).toEqual({
      SourceDBClusterSnapshotIdentifier: CLUSTER_ARN,
      TargetDBClusterSnapshotIdentifier: ID,
      KmsKeyId: KEY,
      CopyTags: false,
      Tags: undefined,
    });
    expect(tagsOf(copied)["drill:run"]).toBe(RUN);
    expect(inputOf("RestoreDBClusterFromSnapshot")).toMatchObject({
      DBClusterIdentifier: ID,
      SnapshotIdentifier: ID,
      KmsKeyId: KEY,
    });
    expect(copy.details).toMatchObject({
      dbCluster: ID,
      snapshotCopy: { id: ID, from: CLUSTER_ARN },
    });
    await disposeAll(disposers);
    expect(writes()).toEqual([
      "CopyDBClusterSnapshot",
      "RestoreDBClusterFromSnapshot",
      "CreateDBInstance",
      "ModifyDBCluster",
      "DeleteDBInstance",
      "DeleteDBCluster",
      "DeleteDBClusterSnapshot",
    ]);
    expect(inputOf("DeleteDBClusterSnapshot")).toEqual({ DBClusterSnapshotIdentifier: ID });
    expect(rds.snapshots.size).toBe(0);
  });
});
