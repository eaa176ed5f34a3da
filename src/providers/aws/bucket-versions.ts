import type { S3Client } from "@aws-sdk/client-s3";
import { platformError } from "../../errors.js";
import type { ObjectVersion } from "../types.js";
import { listAll } from "./s3-url.js";

/** One object as it was at the chosen time: the version to copy. */
export type Chosen = ObjectVersion;

export interface Listed {
  key: string;
  versionId: string | undefined;
  etag: string | undefined;
  size: number;
  lastModified: Date;
  deleteMarker: boolean;
}

/** Per key, the newest version or delete marker at or before `asOf`; keys deleted then are absent. */
export function chooseAsOf(entries: Listed[], asOf: Date | "latest"): Chosen[] {
  const newest = new Map<string, Listed>();
  for (const e of entries) {
    if (asOf !== "latest" && e.lastModified > asOf) continue;
    const seen = newest.get(e.key);
    if (!seen || e.lastModified >= seen.lastModified) newest.set(e.key, e);
  }
  return [...newest.values()]
    .filter((e) => !e.deleteMarker)
    .map((e) => ({
      key: e.key,
      versionId: e.versionId,
      etag: e.etag ?? "",
      size: e.size,
      lastModified: e.lastModified,
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Every version and delete marker under the prefix. A store without the versions API (s3rver,
 * some S3-compatible stores) has only current objects: usable only for `latest` or a time after
 * every object's last change, which is checked.
 */
export async function listVersions(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ entries: Listed[]; versioned: boolean }> {
  const { ListObjectVersionsCommand } = await import("@aws-sdk/client-s3");
  const entries: Listed[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  try {
    do {
      const r = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      for (const v of r.Versions ?? [])
        if (v.Key)
          entries.push({
            key: v.Key,
            versionId: v.VersionId,
            etag: v.ETag,
            size: v.Size ?? 0,
            lastModified: v.LastModified ?? new Date(0),
            deleteMarker: false,
          });
      for (const d of r.DeleteMarkers ?? [])
        if (d.Key)
          entries.push({
            key: d.Key,
            versionId: d.VersionId,
            etag: undefined,
            size: 0,
            lastModified: d.LastModified ?? new Date(0),
            deleteMarker: true,
          });
      [keyMarker, versionMarker] = r.IsTruncated
        ? [r.NextKeyMarker, r.NextVersionIdMarker]
        : [undefined, undefined];
    } while (keyMarker);
    return { entries, versioned: true };
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name !== "MethodNotAllowed" && name !== "NotImplemented") throw e;
  }
  const { HeadObjectCommand } = await import("@aws-sdk/client-s3");
  for (const o of await listAll(s3, bucket, prefix)) {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: o.key }));
    entries.push({
      key: o.key,
      versionId: undefined,
      etag: head.ETag,
      size: o.size,
      lastModified: o.lastModified,
      deleteMarker: false,
    });
  }
  return { entries, versioned: false };
}

/** A past time needs object versions: a store without them is usable only if nothing changed since. */
export function ensureRestorable(
  entries: Listed[],
  asOf: Date | "latest",
  versioned: boolean,
  where: string,
) {
  if (versioned || asOf === "latest") return;
  const later = entries.find((e) => e.lastModified > asOf);
  if (later) {
    throw platformError(
      "S3_NOT_VERSIONED",
      `${where} has no object versions (the store does not list them) and ${later.key} changed after ${asOf.toISOString()}`,
      "enable versioning on the bucket to restore it as of a past time",
    );
  }
}
