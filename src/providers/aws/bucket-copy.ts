import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { inputError } from "../../errors.js";
import type { Chosen } from "./bucket-versions.js";
import { call } from "./errors.js";
import { listAll } from "./s3-url.js";
import { mapLimit } from "../../pool.js";

/** `key/with spaces` → `key/with%20spaces`: S3 wants the copy source URL-encoded, slashes kept. */
export const copySource = (bucket: string, object: Chosen) =>
  `${bucket}/${object.key.split("/").map(encodeURIComponent).join("/")}${object.versionId && object.versionId !== "null" ? `?versionId=${encodeURIComponent(object.versionId)}` : ""}`;

const MAX_SINGLE_COPY = 5 * 1024 ** 3;

export async function copyAll(
  s3: S3Client,
  from: string,
  to: string,
  chosen: Chosen[],
  o: { concurrency: number; signal: AbortSignal; progress(m: string): void },
): Promise<void> {
  const { CopyObjectCommand } = await import("@aws-sdk/client-s3");
  const big = chosen.find((c) => c.size > MAX_SINGLE_COPY);
  if (big)
    throw inputError(
      "S3_OBJECT_TOO_LARGE",
      `${big.key} is over 5 GiB: multipart copies are not supported yet`,
    );
  let done = 0;
  await mapLimit(chosen, o.concurrency, async (c) => {
    o.signal.throwIfAborted();
    await call(`copying ${c.key}`, () =>
      s3.send(new CopyObjectCommand({ Bucket: to, Key: c.key, CopySource: copySource(from, c) }), {
        abortSignal: o.signal,
      }),
    );
    if (++done % 50 === 0 || done === chosen.length)
      o.progress(`copied ${done}/${chosen.length} objects`);
  });
}

async function sha256(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<string> {
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const got = await s3.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ...(versionId && versionId !== "null" ? { VersionId: versionId } : {}),
    }),
  );
  const hash = createHash("sha256");
  for await (const chunk of got.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The staging bucket must hold exactly the chosen objects, each with the source version's
 * content: ETags compared where they are MD5s (single-part), SHA-256 computed on both sides
 * for multipart sources or when asked.
 */
export async function verifyCopies(
  s3: S3Client,
  from: string,
  to: string,
  chosen: Chosen[],
  mode: "etag" | "sha256",
): Promise<{ objects: number; computed: number; mismatches: string[] }> {
  const copies = new Map((await listAll(s3, to, "")).map((o) => [o.key, o]));
  const { HeadObjectCommand } = await import("@aws-sdk/client-s3");
  const mismatches: string[] = [];
  let computed = 0;
  if (copies.size !== chosen.length)
    mismatches.push(`${copies.size} objects in ${to}, expected ${chosen.length}`);
  for (const c of chosen) {
    if (!copies.has(c.key)) {
      mismatches.push(`${c.key}: missing`);
      continue;
    }
    if (mode === "etag" && !c.etag.includes("-")) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: to, Key: c.key }));
      if (head.ETag !== c.etag) mismatches.push(`${c.key}: ETag ${head.ETag} ≠ source ${c.etag}`);
    } else {
      computed++;
      const [a, b] = await Promise.all([
        sha256(s3, from, c.key, c.versionId),
        sha256(s3, to, c.key),
      ]);
      if (a !== b) mismatches.push(`${c.key}: SHA-256 differs from the source version`);
    }
  }
  return { objects: copies.size, computed, mismatches };
}
