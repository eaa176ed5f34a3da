import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { classifyWal } from "../local/recovery/wal-folder.js";
import { targetText } from "../local/restore-physical.js";
import type { PhysicalBackupSource, RestorePlan } from "../types.js";
import { call } from "./errors.js";
import { parseS3Url } from "./s3-url.js";

/**
 * The WAL files a restore downloads from an archive listing: every history file, and every
 * segment at or after the base backup's start position on any timeline (a later timeline's
 * segments carry on from the same positions). Only names PostgreSQL itself writes are taken,
 * so no object name picks a path in the spool. No start known: the whole archive.
 */
export function walToFetch(
  names: Map<string, number>,
  startSegment: string | undefined,
  prefix: string,
): { key: string; name: string; size: number }[] {
  const from = startSegment?.slice(8) ?? "";
  const out: { key: string; name: string; size: number }[] = [];
  for (const [name, size] of names) {
    const c = classifyWal([name]);
    const take =
      c.histories.length > 0 || (c.segments.length > 0 && c.segments[0]!.slice(8) >= from);
    if (take) out.push({ key: prefix + name, name, size });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A small object (a `.backup` history file) as text. */
export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const got = await call(`reading s3://${bucket}/${key}`, () =>
    s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
  );
  const chunks: Buffer[] = [];
  for await (const c of got.Body as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `drill plan --offline`: the S3 calls a pg_basebackup restore would make, none made. */
export function offlineBasebackupPlan(
  source: Extract<PhysicalBackupSource, { kind: "basebackup" }>,
  now: number,
): RestorePlan {
  const calls: Record<string, unknown>[] = [];
  if (source.base.startsWith("s3://")) {
    const { bucket, key } = parseS3Url(source.base);
    calls.push(
      { call: "HeadObject", params: { Bucket: bucket, Key: key } },
      {
        call: "GetObject",
        params: { Bucket: bucket, Key: key },
        note: "the tar's head only (backup_label, PG_VERSION); whole at restore",
      },
    );
  }
  if (source.wal.startsWith("s3://")) {
    const { bucket, key } = parseS3Url(source.wal);
    calls.push(
      { call: "ListObjectsV2", params: { Bucket: bucket, Prefix: key }, note: "WAL archive" },
      { call: "GetObject", params: { Bucket: bucket }, note: "WAL from the backup's start on" },
    );
  }
  return {
    source: { kind: "basebackup", id: source.base },
    description: `pg_basebackup ${source.base} + WAL ${source.wal} → new local cluster, replayed to ${targetText(source.target, now)} [offline: nothing looked up]`,
    details: { offline: true, calls, target: source.target },
  };
}
