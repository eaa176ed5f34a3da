import type { RDSClient } from "@aws-sdk/client-rds";
import { describeDb } from "./db.js";

/** One snapshot of production (or one named by id/ARN), as a restore needs to judge it. */
export interface Snap {
  id: string;
  arn: string | undefined;
  takenAt: Date | undefined;
  status: string | undefined;
  engine: string | undefined;
  engineVersion: string | undefined;
  encrypted: boolean;
  /** "automated", "manual", "shared" (from another account), "public", "awsbackup". */
  type: string | undefined;
  kmsKeyId: string | undefined;
}

/** Snapshots of production (automated and manual), or one by id/ARN, newest first. */
export async function listSnapshots(
  rds: RDSClient,
  production: { cluster: boolean; id: string },
  id?: string,
): Promise<Snap[]> {
  const sdk = await import("@aws-sdk/client-rds");
  const shared = id?.startsWith("arn:") ?? false;
  const out: Snap[] = [];
  let marker: string | undefined;
  do {
    if (production.cluster) {
      const r = await rds.send(
        new sdk.DescribeDBClusterSnapshotsCommand(
          id
            ? { DBClusterSnapshotIdentifier: id, IncludeShared: shared }
            : { DBClusterIdentifier: production.id, Marker: marker },
        ),
      );
      marker = r.Marker;
      for (const s of r.DBClusterSnapshots ?? [])
        out.push({
          id: s.DBClusterSnapshotIdentifier ?? "",
          arn: s.DBClusterSnapshotArn,
          takenAt: s.SnapshotCreateTime,
          status: s.Status,
          engine: s.Engine,
          engineVersion: s.EngineVersion,
          encrypted: s.StorageEncrypted ?? false,
          type: s.SnapshotType,
          kmsKeyId: s.KmsKeyId,
        });
    } else {
      const r = await rds.send(
        new sdk.DescribeDBSnapshotsCommand(
          id
            ? { DBSnapshotIdentifier: id, IncludeShared: shared }
            : { DBInstanceIdentifier: production.id, Marker: marker },
        ),
      );
      marker = r.Marker;
      for (const s of r.DBSnapshots ?? [])
        out.push({
          id: s.DBSnapshotIdentifier ?? "",
          arn: s.DBSnapshotArn,
          takenAt: s.SnapshotCreateTime,
          status: s.Status,
          engine: s.Engine,
          engineVersion: s.EngineVersion,
          encrypted: s.Encrypted ?? false,
          type: s.SnapshotType,
          kmsKeyId: s.KmsKeyId,
        });
    }
  } while (marker && !id);
  return out.sort((a, b) => (b.takenAt?.getTime() ?? 0) - (a.takenAt?.getTime() ?? 0));
}

/** arn:aws:rds:eu-west-1:123456789012:snapshot:x → 123456789012 */
export const accountOfArn = (arn: string | undefined): string | undefined =>
  /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(arn ?? "")?.[1];

/**
 * The account a snapshot was shared from, or undefined when it is this account's own. RDS says
 * "shared" for a snapshot another account shared with us; a snapshot named by an ARN is also
 * compared with the account production lives in (the caller's: production is described by
 * name, which works only in one's own account). Snapshots listed as production's are our own.
 */
export async function sharedFrom(
  rds: RDSClient,
  production: { cluster: boolean; id: string },
  snap: Snap,
  named: boolean,
): Promise<string | undefined> {
  const owner = accountOfArn(snap.arn);
  if (snap.type === "shared") return owner ?? "another account";
  if (!named || !owner || !snap.encrypted) return undefined;
  const prod = await describeDb(rds, production.cluster ? "cluster" : "instance", production.id);
  const mine = accountOfArn(prod?.arn);
  return mine !== undefined && mine !== owner ? owner : undefined;
}
