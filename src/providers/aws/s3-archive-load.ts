import { createWriteStream, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { loadPlainSql, runTool, type ToolResult } from "../feed-tool.js";
import type { findClientTools } from "../local/binaries.js";
import type { ArchiveInput, RestoreList } from "../local/archive-toc.js";
import { formatBytes } from "../local/files.js";
import type { RestoreOptions } from "../types.js";
import { call } from "./errors.js";
import { notDeclaredPlain } from "../local/archive.js";
import { gzipped, type S3Archive } from "./s3-archive-find.js";
import { listAll } from "./s3-url.js";

/**
 * Feed a pg_dump archive from S3 to pg_restore (custom, directory) or psql (plain). A custom or
 * plain dump is streamed from GetObject straight into the tool's stdin: nothing is written to
 * disk, at the price of one pg_restore job (parallel restore needs a seekable file). A directory
 * archive is a prefix of many objects that pg_restore must read as a folder: it is downloaded to
 * a temporary folder (removed after loading) and restored with `-j <cores>`.
 */
export async function loadS3Archive(
  s3: S3Client,
  a: S3Archive,
  o: {
    tools: Awaited<ReturnType<typeof findClientTools>>;
    env: Record<string, string>;
    /** pg_restore's connection and safety options (no owners, no privileges, stop at errors). */
    args: string[];
    /** What pg_restore is given of a custom or directory archive (see archive-toc.ts). */
    list(input: ArchiveInput): Promise<RestoreList>;
    /** `plain` when the source declares it: only then is an object that is not PGDMP fed to psql. */
    declared?: "plain" | undefined;
    opts: RestoreOptions;
  },
): Promise<{ format: string; streamed: number; result: ToolResult; toc?: RestoreList }> {
  const { tools, env, opts, args: common } = o;
  let toc: RestoreList | undefined;
  const where = `s3://${a.bucket}/${a.key}`;
  let streamed = 0;
  let format: string;
  let result: ToolResult;
  if (a.layout === "directory") {
    format = "directory";
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "drill-s3-archive-"));
    try {
      streamed = await download(s3, a, tmp, opts);
      toc = await o.list({ file: tmp });
      const jobs = String(Math.max(1, os.availableParallelism()));
      opts.progress(`pg_restore -j ${jobs} of ${where} (${formatBytes(streamed)})`);
      result = await runTool(
        tools.pg_restore,
        [...common, "-L", toc.listFile, "-j", jobs, tmp],
        env,
        undefined,
        opts.signal,
      );
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  } else {
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    const open = async () =>
      (
        await call(`reading ${where}`, () =>
          s3.send(new GetObjectCommand({ Bucket: a.bucket, Key: a.key }), {
            abortSignal: opts.signal,
          }),
        )
      ).Body as Readable;
    const body = await open();
    // One iterator for the whole body: leaving a `for await` early would destroy the stream.
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await chunks.next();
    const head = first.done ? Buffer.alloc(0) : first.value;
    format = head.subarray(0, 5).toString("latin1") === "PGDMP" ? "custom" : "plain";
    if (head[0] === 0x1f && head[1] === 0x8b) {
      body.destroy();
      throw gzipped(where);
    }
    if (format === "plain" && o.declared !== "plain") {
      body.destroy();
      throw notDeclaredPlain(where);
    }
    async function* counted(): AsyncGenerator<Buffer> {
      if (head.length > 0) {
        streamed += head.length;
        yield head;
      }
      for (let c = await chunks.next(); !c.done; c = await chunks.next()) {
        streamed += c.value.length;
        yield c.value;
      }
    }
    // The table of contents comes first in the object: reading it costs a request, not a copy.
    if (format === "custom")
      toc = await o.list({ stream: open }).catch((e: unknown) => {
        body.destroy();
        throw e;
      });
    opts.progress(
      `streaming ${where} (${formatBytes(a.bytes)}) into ${format === "custom" ? "pg_restore" : "psql"}`,
    );
    result = toc
      ? await runTool(
          tools.pg_restore,
          [...common, "-L", toc.listFile],
          env,
          () => Readable.from(counted()),
          opts.signal,
        )
      : await loadPlainSql(tools.psql, counted(), where, env, opts.signal);
  }
  return { format, streamed, result, ...(toc ? { toc } : {}) };
}

async function download(
  s3: S3Client,
  a: S3Archive,
  dir: string,
  opts: RestoreOptions,
): Promise<number> {
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  let bytes = 0;
  for (const o of await call("listing the archive", () => listAll(s3, a.bucket, a.key))) {
    const rel = o.key.slice(a.key.length);
    if (!rel || rel.includes("/") || rel.startsWith(".")) continue;
    const got = await call(`reading s3://${a.bucket}/${o.key}`, () =>
      s3.send(new GetObjectCommand({ Bucket: a.bucket, Key: o.key }), { abortSignal: opts.signal }),
    );
    await pipeline(got.Body as Readable, createWriteStream(path.join(dir, rel)));
    bytes += o.size;
    opts.progress(`downloaded ${rel} (${formatBytes(bytes)} of ${formatBytes(a.bytes)})`);
  }
  return bytes;
}
