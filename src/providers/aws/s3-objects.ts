import { createWriteStream } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { Parser, type ReadEntry } from "tar";
import { inputError } from "../../errors.js";
import { mapLimit } from "../../pool.js";
import { call, isNotFound } from "./errors.js";
import { listAll } from "./s3-url.js";

/**
 * The S3 reads a physical backup in a bucket needs: one object's size, the names beside it, the
 * small files at the head of a tar, and many objects downloaded into a local folder.
 */

export interface S3Object {
  bucket: string;
  key: string;
}

export const urlOf = (o: S3Object) => `s3://${o.bucket}/${o.key}`;

const is404 = (e: unknown) =>
  isNotFound(e) ||
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

/** Size and time of one object; undefined when it is not there. */
export async function headObject(s3: S3Client, o: S3Object, signal: AbortSignal) {
  const { HeadObjectCommand } = await import("@aws-sdk/client-s3");
  const head = await call(`looking up ${urlOf(o)}`, () =>
    s3
      .send(new HeadObjectCommand({ Bucket: o.bucket, Key: o.key }), { abortSignal: signal })
      .catch((e: unknown) => {
        if (is404(e)) return undefined;
        throw e;
      }),
  );
  return head
    ? { bytes: head.ContentLength ?? 0, lastModified: head.LastModified?.toISOString() }
    : undefined;
}

/** The object names directly under `prefix` (one level, as a folder's readdir; all pages). */
export async function namesUnder(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal: AbortSignal,
): Promise<Map<string, number>> {
  const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const r = await call(`listing s3://${bucket}/${prefix}`, () =>
      s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          Delimiter: "/",
          ContinuationToken: token,
        }),
        { abortSignal: signal },
      ),
    );
    for (const c of r.Contents ?? []) {
      const name = c.Key?.slice(prefix.length);
      if (name) out.set(name, c.Size ?? 0);
    }
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** A WAL prefix: every name under it (archive_command writes one level, no folders). */
export async function listPrefix(s3: S3Client, bucket: string, prefix: string) {
  const all = await call(`listing s3://${bucket}/${prefix}`, () => listAll(s3, bucket, prefix));
  return new Map(
    all.map((o) => [o.key.slice(prefix.length), o.size] as const).filter(([n]) => !n.includes("/")),
  );
}

/**
 * Small files at the head of a tar (backup_label, tablespace_map, PG_VERSION) read from a
 * streamed GetObject that is cut as soon as `required` are all found: pg_basebackup writes
 * backup_label first and tablespace_map right after it, then the data folder in directory
 * order, so only what comes before PG_VERSION is read. A .gz tar is unzipped by the parser.
 */
export async function readTarHead(
  s3: S3Client,
  o: S3Object,
  required: string[],
  wanted: string[],
  signal: AbortSignal,
): Promise<{ files: Map<string, string>; bytesRead: number }> {
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const cut = new AbortController();
  const both = AbortSignal.any([signal, cut.signal]);
  const got = await call(`reading ${urlOf(o)}`, () =>
    s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: o.key }), { abortSignal: both }),
  );
  const body = got.Body as Readable;
  const files = new Map<string, string>();
  let bytesRead = 0;
  return new Promise((resolve, reject) => {
    const done = () => {
      cut.abort();
      body.destroy();
      resolve({ files, bytesRead });
    };
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        const name = entry.path.replace(/^\.\//, "");
        if (!wanted.includes(name) || entry.size > 1 << 20) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => {
          files.set(name, Buffer.concat(chunks).toString("utf8"));
          if (required.every((r) => files.has(r))) done();
        });
      },
    });
    parser.on("end", () => resolve({ files, bytesRead }));
    parser.on("error", reject);
    body.on("error", (e) => (cut.signal.aborted ? undefined : reject(e)));
    body.on("data", (c: Buffer) => {
      bytesRead += c.length;
      parser.write(c);
    });
    body.on("end", () => parser.end());
  });
}

/**
 * Download objects into `dir` under their names, at most `jobs` at once. Names are checked by
 * the caller (PostgreSQL's own file names): nothing from the bucket picks a path.
 */
export async function download(
  s3: S3Client,
  bucket: string,
  items: { key: string; name: string; size: number }[],
  dir: string,
  o: { signal: AbortSignal; jobs: number; progress(done: number, bytes: number): void },
): Promise<number> {
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  let bytes = 0;
  let done = 0;
  await mapLimit(items, o.jobs, async (item) => {
    const got = await call(`reading s3://${bucket}/${item.key}`, () =>
      s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: item.key }), { abortSignal: o.signal })
        .catch((e: unknown) => {
          if (is404(e))
            throw inputError(
              "S3_OBJECT_GONE",
              `s3://${bucket}/${item.key} was listed but is gone`,
              "the archive changed during the restore (expired by a lifecycle rule?): run again",
            );
          throw e;
        }),
    );
    await pipeline(got.Body as Readable, createWriteStream(path.join(dir, item.name)), {
      signal: o.signal,
    });
    bytes += item.size;
    o.progress(++done, bytes);
  });
  return bytes;
}
