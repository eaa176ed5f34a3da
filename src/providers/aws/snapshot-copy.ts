import type { AwsEnvironment } from "../../definitions/config.js";
import { inputError, platformError } from "../../errors.js";
import type { RestoreOptions } from "../types.js";
import { once, type DbKind, type RdsRun } from "./db.js";
import { call, isNotFound } from "./errors.js";
import { assertOwned, type Tag } from "./guard.js";
import type { ResolvedSource } from "./source.js";
import { waitFor } from "./wait.js";

/** A snapshot to copy into this account, re-encrypted with the staging key, before the restore. */
export interface CopyNeed {
  /** The source snapshot's ARN (a shared snapshot can only be named by it). */
  source: string;
  kmsKeyId: string;
  reason: string;
}

/** A key ARN or a bare key id → the key id; aliases name a key only KMS can resolve: undefined. */
const keyIdOf = (k: string): string | undefined =>
  /^arn:[^:]+:kms:[^:]*:\d{12}:key\/(.+)$/.exec(k)?.[1] ??
  (/^(mrk-)?[0-9a-f-]{32,36}$/i.test(k) ? k : undefined);

/** Two ARNs compare whole (the account counts); an ARN and a bare id (this account's) by id. */
function differentKeys(a: string, b: string): boolean {
  const [x, y] = [keyIdOf(a), keyIdOf(b)];
  if (!x || !y) return false;
  return a.startsWith("arn:") && b.startsWith("arn:") ? a !== b : x !== y;
}

/**
 * Whether the chosen snapshot must be copied first. AWS restores an encrypted snapshot shared
 * from another account only after it is copied into this account with a key of this account;
 * one encrypted with another key than `staging.kmsKeyId` is copied so the copy uses the staging
 * key. A shared encrypted snapshot without `kmsKeyId` is refused (exit 2) before anything exists.
 */
export function snapshotCopyNeed(
  env: AwsEnvironment,
  envName: string,
  resolved: ResolvedSource,
): CopyNeed | undefined {
  if (resolved.kind !== "snapshot" || !resolved.encrypted) return undefined;
  const key = env.staging.kmsKeyId;
  const source = resolved.arn ?? resolved.snapshot;
  if (resolved.sharedFrom) {
    if (!key) {
      throw inputError(
        "KMS_KEY_MISSING",
        `snapshot ${resolved.snapshot} is encrypted and shared from account ${resolved.sharedFrom}: it must be copied into this account with a key of this account, and environments.${envName}.staging.kmsKeyId is not set`,
        `set environments.${envName}.staging.kmsKeyId to the ARN of a KMS key of this account, and let this account use the backup account's key (its key policy)`,
      );
    }
    return { source, kmsKeyId: key, reason: `shared from account ${resolved.sharedFrom}` };
  }
  if (key && resolved.kmsKeyId && differentKeys(resolved.kmsKeyId, key))
    return { source, kmsKeyId: key, reason: `encrypted with ${resolved.kmsKeyId}` };
  return undefined;
}

/**
 * Copy the snapshot into this account under the staging key, tagged like everything a run makes,
 * and wait until the copy is available. Its removal is registered as soon as the copy exists.
 */
export async function copySnapshot(
  run: RdsRun,
  kind: DbKind,
  need: CopyNeed,
  target: string,
  tags: { Key: string; Value: string }[],
  opts: RestoreOptions,
): Promise<{ id: string; ms: number }> {
  const sdk = await import("@aws-sdk/client-rds");
  const start = Date.now();
  const command = kind === "cluster" ? "CopyDBClusterSnapshot" : "CopyDBSnapshot";
  opts.progress(`${command} ${need.source} → ${target} (${need.reason})`);
  const common = { KmsKeyId: need.kmsKeyId, Tags: tags, CopyTags: false };
  await call(command, async () => {
    try {
      if (kind === "cluster") {
        const input = {
          SourceDBClusterSnapshotIdentifier: need.source,
          TargetDBClusterSnapshotIdentifier: target,
          ...common,
        };
        await run.rds.send(new sdk.CopyDBClusterSnapshotCommand(input));
      } else {
        const input = {
          SourceDBSnapshotIdentifier: need.source,
          TargetDBSnapshotIdentifier: target,
          ...common,
        };
        await run.rds.send(new sdk.CopyDBSnapshotCommand(input));
      }
    } catch (e) {
      if ((e as { name?: string }).name !== "KMSKeyNotAccessibleFault") throw e;
      throw platformError(
        "KMS_KEY_NOT_ACCESSIBLE",
        `${command} ${need.source}: a KMS key it needs is not accessible to this account`,
        "the backup account's key policy must allow this account (kms:CreateGrant, kms:Decrypt, kms:DescribeKey, kms:GenerateDataKey*), and the runner's role must have the same on staging.kmsKeyId",
        e,
      );
    }
  });
  opts.onCreated(
    once(() =>
      deleteSnapshotCopy(run, kind, target, { progress: opts.progress }).then(() => undefined),
    ),
  );
  await waitFor(
    run.rds,
    kind === "cluster" ? "cluster-snapshot-available" : "snapshot-available",
    target,
    {
      waits: run.waits,
      timeoutMs: run.waits.copyMs,
      signal: opts.signal,
      progress: opts.progress,
      phase: "copying snapshot",
    },
  );
  return { id: target, ms: Date.now() - start };
}

/**
 * Delete a snapshot copy this run made; refuses (GUARD_UNTAGGED) one without this run's tag.
 * Not waited for: nothing depends on the copy being gone, and RDS finishes deleting it alone.
 */
export async function deleteSnapshotCopy(
  run: RdsRun,
  kind: DbKind,
  id: string,
  o: { progress(m: string): void },
): Promise<"deleted" | "absent"> {
  const sdk = await import("@aws-sdk/client-rds");
  const found = await call(`describing snapshot ${id}`, async () => {
    try {
      if (kind === "cluster") {
        const r = await run.rds.send(
          new sdk.DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }),
        );
        const s = r.DBClusterSnapshots?.[0];
        return s && { status: s.Status, tags: s.TagList as Tag[] | undefined };
      }
      const s = (
        await run.rds.send(new sdk.DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))
      ).DBSnapshots?.[0];
      return s && { status: s.Status, tags: s.TagList as Tag[] | undefined };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  });
  if (!found) return "absent";
  assertOwned(run.env, id, found.tags, run.runId, "delete");
  if (found.status === "deleting") return "deleted";
  o.progress(`deleting snapshot copy ${id}`);
  await call(`deleting snapshot ${id}`, async () => {
    try {
      if (kind === "cluster")
        await run.rds.send(
          new sdk.DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: id }),
        );
      else await run.rds.send(new sdk.DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  });
  return "deleted";
}
