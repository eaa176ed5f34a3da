import { spawn } from "node:child_process";
import { createWriteStream, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { inputError } from "../../errors.js";
import type { findClientTools } from "../local/binaries.js";
import { formatBytes } from "../local/files.js";
import type { RestoreOptions } from "../types.js";
import { call } from "./errors.js";
import type { S3Archive } from "./s3-archive-find.js";
import { listAll } from "./s3-url.js";

interface ToolResult {
  code: number | null;
  stderrTail: string[];
}

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
    opts: RestoreOptions;
  },
): Promise<{ format: string; streamed: number; result: ToolResult }> {
  const { tools, env, opts, args: common } = o;
  const where = `s3://${a.bucket}/${a.key}`;
  let streamed = 0;
  let format: string;
  let result: ToolResult;
  if (a.layout === "directory") {
    format = "directory";
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "drill-s3-archive-"));
    try {
      streamed = await download(s3, a, tmp, opts);
      const jobs = String(Math.max(1, os.availableParallelism()));
      opts.progress(`pg_restore -j ${jobs} of ${where} (${formatBytes(streamed)})`);
      result = await runTool(
        tools.pg_restore,
        [...common, "-j", jobs, tmp],
        env,
        undefined,
        opts.signal,
      );
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  } else {
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    const got = await call(`reading ${where}`, () =>
      s3.send(new GetObjectCommand({ Bucket: a.bucket, Key: a.key }), { abortSignal: opts.signal }),
    );
    const body = got.Body as Readable;
    // One iterator for the whole body: leaving a `for await` early would destroy the stream.
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await chunks.next();
    const head = first.done ? Buffer.alloc(0) : first.value;
    format = head.subarray(0, 5).toString("latin1") === "PGDMP" ? "custom" : "plain";
    if (head[0] === 0x1f && head[1] === 0x8b) {
      body.destroy();
      throw inputError(
        "ARCHIVE_FORMAT",
        `${where} is gzip-compressed: dump with pg_dump -Fc instead`,
      );
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
    opts.progress(
      `streaming ${where} (${formatBytes(a.bytes)}) into ${format === "custom" ? "pg_restore" : "psql"}`,
    );
    const input = Readable.from(counted());
    result =
      format === "custom"
        ? await runTool(tools.pg_restore, common, env, input, opts.signal)
        : await runTool(
            tools.psql,
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
            env,
            input,
            opts.signal,
          );
  }
  return { format, streamed, result };
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

/** Run pg_restore/psql with the archive on stdin (or none), keeping stderr's tail. */
function runTool(
  file: string,
  args: string[],
  env: Record<string, string>,
  input: Readable | undefined,
  signal: AbortSignal,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      signal,
      cwd: "/",
      stdio: [input ? "pipe" : "ignore", "ignore", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", ...env },
    });
    const tail: string[] = [];
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      tail.push(...chunk.split("\n").filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20));
    });
    // A download cut short must fail the restore even when the tool, seeing EOF, exits 0 with
    // half the data loaded.
    let cut = false;
    const fed =
      input && child.stdin
        ? pipeline(input, child.stdin).catch((e: unknown) => {
            // The tool exiting early (a bad archive) closes stdin: its error, not the pipe's.
            if ((e as { code?: string }).code === "EPIPE") return;
            cut = true;
            tail.push(`reading the archive: ${String(e)}`);
          })
        : Promise.resolve();
    child.on("error", reject);
    child.on(
      "close",
      (code) =>
        void fed.then(() => resolve({ code: cut && code === 0 ? 1 : code, stderrTail: tail })),
    );
  });
}
