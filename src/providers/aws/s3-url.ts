import { inputError } from "../../errors.js";

/** `s3://bucket/key`, or `s3://bucket/prefix/` (trailing slash: a prefix). */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m?.[1]) {
    throw inputError("S3_URL", `${url} is not an S3 URL such as s3://bucket/dumps/shop.dump`);
  }
  return { bucket: m[1], key: m[2] ?? "" };
}

export interface S3Entry {
  key: string;
  size: number;
  lastModified: Date;
}

/** Every object under a prefix (ListObjectsV2, all pages). */
export async function listAll(
  s3: import("@aws-sdk/client-s3").S3Client,
  bucket: string,
  prefix: string,
): Promise<S3Entry[]> {
  const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const out: S3Entry[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? [])
      if (o.Key)
        out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}
