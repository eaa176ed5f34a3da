import type { S3Client } from "@aws-sdk/client-s3";
import type { ObjectStore, ObjectVersion, PlannedCall, StagingBucket } from "../types.js";
import { copyAll, verifyCopies } from "./bucket-copy.js";
import { chooseAsOf, ensureRestorable, listVersions } from "./bucket-versions.js";
import { runTags } from "./guard.js";
import { parseS3Url } from "./s3-url.js";
import { createStagingBucket, deleteStagingBucket, stagingBucketName } from "./staging-bucket.js";

/**
 * S3 as the `s3-restore` step uses it: each object's version as of a time (bucket-versions.ts),
 * copied into the run's staging bucket and proved to match its source (bucket-copy.ts). `ttlMs`
 * is the environment's: the staging bucket's `drill:expires-at` tag, after which `drill cleanup`
 * may take it.
 */
export function s3ObjectStore(s3: () => Promise<S3Client>, ttlMs: number): ObjectStore {
  return {
    planRestore(o): PlannedCall[] {
      const { bucket, key } = parseS3Url(o.source);
      return [
        { call: "ListObjectVersions", params: { Bucket: bucket, Prefix: key } },
        {
          call: "CreateBucket",
          params: { Bucket: o.stagingBucket },
          note: "tagged drill:run, public access blocked",
        },
        {
          call: "CopyObject",
          params: { CopySource: `${bucket}/<key>?versionId=<version>` },
          note: `${o.concurrency} at a time`,
        },
        {
          call: o.verify === "etag" ? "HeadObject" : "GetObject",
          note: "each copy checked against its source version",
        },
        { call: "DeleteObjects, DeleteBucket", note: "cleanup, only the run's bucket" },
      ];
    },
    async versionsAsOf(source, asOf) {
      const { bucket, key } = parseS3Url(source);
      const { entries, versioned } = await listVersions(await s3(), bucket, key);
      ensureRestorable(entries, asOf, versioned, source);
      return { objects: chooseAsOf(entries, asOf), versioned, versionsListed: entries.length };
    },
    async createStagingBucket(o): Promise<StagingBucket> {
      const client = await s3();
      const name = stagingBucketName(o.runId, o.prefix);
      const tags = runTags({ ...o, expiresAt: new Date(o.now + ttlMs) });
      const { tagged } = await createStagingBucket(client, name, tags);
      return {
        name,
        tagged,
        remove: async () => {
          await deleteStagingBucket(client, name, o.runId);
        },
      };
    },
    async copy(source, to, objects: ObjectVersion[], o) {
      await copyAll(await s3(), parseS3Url(source).bucket, to, objects, o);
    },
    async verify(source, to, objects, mode) {
      return verifyCopies(await s3(), parseS3Url(source).bucket, to, objects, mode);
    },
  };
}
