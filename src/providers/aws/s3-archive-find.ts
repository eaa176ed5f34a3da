import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { inputError } from "../../errors.js";
import { formatBytes } from "../local/files.js";
import { notDeclaredPlain } from "../local/archive.js";
import type { RestorePlan } from "../types.js";
import { call, isNotFound } from "./errors.js";
import { listAll, parseS3Url } from "./s3-url.js";

export const gzipped = (where: string) =>
  inputError("ARCHIVE_FORMAT", `${where} is gzip-compressed: dump with pg_dump -Fc instead`);

/** A pg_dump archive found in S3: one object, or a directory archive (a prefix with toc.dat). */
export interface S3Archive {
  bucket: string;
  key: string;
  layout: "file" | "directory";
  bytes: number;
  lastModified: string;
}

/**
 * `s3://b/k` is one object, or a directory archive if `k/toc.dat` exists. `s3://b/p/` is the
 * newest archive under the prefix: a single object, or a folder holding toc.dat.
 */
export async function findS3Archive(s3: S3Client, url: string): Promise<S3Archive> {
  const { HeadObjectCommand } = await import("@aws-sdk/client-s3");
  const { bucket, key } = parseS3Url(url);
  if (key !== "" && !key.endsWith("/")) {
    const head = await s3
      .send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
      .catch((e: unknown) => {
        if (
          isNotFound(e) ||
          (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
        )
          return undefined;
        throw e;
      });
    if (head) {
      return {
        bucket,
        key,
        layout: "file",
        bytes: head.ContentLength ?? 0,
        lastModified: (head.LastModified ?? new Date(0)).toISOString(),
      };
    }
  }
  const prefix = key === "" || key.endsWith("/") ? key : `${key}/`;
  const objects = await listAll(s3, bucket, prefix);
  const dirs = new Map<string, S3Archive>();
  for (const o of objects) {
    if (path.posix.basename(o.key) !== "toc.dat") continue;
    const dir = o.key.slice(0, -"toc.dat".length);
    dirs.set(dir, {
      bucket,
      key: dir,
      layout: "directory",
      bytes: 0,
      lastModified: o.lastModified.toISOString(),
    });
  }
  const files: S3Archive[] = [];
  for (const o of objects) {
    const dir = [...dirs.keys()].find((d) => o.key.startsWith(d));
    if (dir !== undefined) dirs.get(dir)!.bytes += o.size;
    else if (!o.key.endsWith("/"))
      files.push({
        bucket,
        key: o.key,
        layout: "file",
        bytes: o.size,
        lastModified: o.lastModified.toISOString(),
      });
  }
  // The prefix itself a directory archive, or `s3://b/k` naming one: that one, not the newest.
  const exact = dirs.get(prefix);
  const pool = exact
    ? [exact]
    : key !== "" && !key.endsWith("/")
      ? []
      : [...files, ...dirs.values()];
  const newest = pool.sort((a, b) => b.lastModified.localeCompare(a.lastModified))[0];
  if (!newest) {
    throw inputError(
      "ARCHIVE_NOT_FOUND",
      `no pg_dump archive at ${url}`,
      "give s3://bucket/key of a dump, or s3://bucket/prefix/ to take the newest under it",
    );
  }
  return newest;
}

/** The plan for an S3 archive; offline it names the calls instead. */
export async function planS3Archive(
  url: string,
  s3: S3Client | undefined,
  declared?: "plain",
): Promise<RestorePlan> {
  const { bucket, key } = parseS3Url(url);
  // Checked again as the object streams in: it may be replaced between plan and restore.
  const plain = declared === "plain" ? { declared } : {};
  if (!s3) {
    return {
      source: { kind: "archive", id: url },
      description: `pg_dump archive ${url} streamed from S3 into pg_restore → new local cluster [offline: nothing looked up]`,
      details: {
        offline: true,
        ...plain,
        calls: [
          key === "" || key.endsWith("/")
            ? {
                call: "ListObjectsV2",
                params: { Bucket: bucket, Prefix: key },
                note: "newest archive under the prefix",
              }
            : { call: "HeadObject", params: { Bucket: bucket, Key: key } },
          {
            call: "GetObject",
            params: { Bucket: bucket, Key: key || "<newest>" },
            note: "streamed into pg_restore",
          },
        ],
      },
    };
  }
  const a = await call(`looking up ${url}`, () => findS3Archive(s3, url));
  const where = `s3://${a.bucket}/${a.key}`;
  if (a.layout === "file") await assertLoadable(s3, a, where, declared);
  return {
    source: { kind: "archive", id: where, takenAt: a.lastModified },
    description: `pg_dump ${a.layout === "directory" ? "directory archive" : "archive"} ${where} (${formatBytes(a.bytes)}, ${a.lastModified}) → new local cluster`,
    details: { s3: a, ...plain },
  };
}

/**
 * Refuse, before any cluster is made, an object that is gzip, or plain SQL not declared plain:
 * its first bytes say which (one ranged GetObject).
 */
async function assertLoadable(
  s3: S3Client,
  a: S3Archive,
  where: string,
  declared: "plain" | undefined,
): Promise<void> {
  if (a.bytes === 0) {
    if (declared !== "plain") throw notDeclaredPlain(where);
    return;
  }
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const got = await call(`reading the start of ${where}`, () =>
    s3.send(new GetObjectCommand({ Bucket: a.bucket, Key: a.key, Range: "bytes=0-4" })),
  );
  const head = Buffer.from((await got.Body?.transformToByteArray()) ?? []).subarray(0, 5);
  if (head[0] === 0x1f && head[1] === 0x8b) throw gzipped(where);
  if (head.toString("latin1") !== "PGDMP" && declared !== "plain") throw notDeclaredPlain(where);
}
