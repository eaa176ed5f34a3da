import type { S3Client } from "@aws-sdk/client-s3";
import { inputError } from "../../errors.js";
import { call, isNotFound } from "./errors.js";
import { tagValue, TAG } from "./guard.js";

/** `drill-<run id>`: S3 names are lowercase, 3–63 characters, global, so the run id goes in. */
export function stagingBucketName(runId: string, prefix = "drill-"): string {
  return `${prefix}${runId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 63)
    .replace(/-$/, "");
}

const notImplemented = (e: unknown) => (e as { name?: string }).name === "NotImplemented";

/** Create the run's bucket and tag it (a store without bucket tagging keeps only the name). */
export async function createStagingBucket(
  s3: S3Client,
  name: string,
  tags: { Key: string; Value: string }[],
): Promise<{ tagged: boolean }> {
  const { CreateBucketCommand, PutBucketTaggingCommand, PutPublicAccessBlockCommand } =
    await import("@aws-sdk/client-s3");
  const region = await s3.config.region();
  await call(`creating bucket ${name}`, () =>
    s3.send(
      new CreateBucketCommand({
        Bucket: name,
        ...(region && region !== "us-east-1"
          ? { CreateBucketConfiguration: { LocationConstraint: region as never } }
          : {}),
      }),
    ),
  );
  await call(`blocking public access to ${name}`, () =>
    s3
      .send(
        new PutPublicAccessBlockCommand({
          Bucket: name,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: true,
          },
        }),
      )
      .catch((e: unknown) => {
        if (!notImplemented(e)) throw e;
      }),
  );
  return call(`tagging bucket ${name}`, () =>
    s3.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: tags } })).then(
      () => ({ tagged: true }),
      (e: unknown) => {
        if (notImplemented(e)) return { tagged: false };
        throw e;
      },
    ),
  );
}

/** Empty (every version) and delete the run's bucket; refuses any other bucket. */
export async function deleteStagingBucket(
  s3: S3Client,
  name: string,
  runId: string,
): Promise<{ deletedObjects: number }> {
  const sdk = await import("@aws-sdk/client-s3");
  if (
    name !==
    stagingBucketName(runId, name.slice(0, name.length - stagingBucketName(runId, "").length))
  ) {
    throw inputError(
      "GUARD_BUCKET",
      `refusing to delete bucket ${name}: it is not named for run ${runId}`,
    );
  }
  const tags = await s3.send(new sdk.GetBucketTaggingCommand({ Bucket: name })).then(
    (r) => r.TagSet,
    (e: unknown) => {
      if (notImplemented(e) || isNotFound(e) || (e as { name?: string }).name === "NoSuchTagSet")
        return undefined;
      throw e;
    },
  );
  if (tags && tagValue(tags, TAG.run) !== runId) {
    throw inputError(
      "GUARD_UNTAGGED",
      `refusing to delete bucket ${name}: its ${TAG.run} tag is not ${runId}`,
    );
  }
  const { listVersions } = await import("./bucket-versions.js");
  let deleted = 0;
  for (;;) {
    const { entries } = await listVersions(s3, name, "").catch((e: unknown) => {
      if (isNotFound(e)) return { entries: [] };
      throw e;
    });
    if (entries.length === 0) break;
    const batch = entries.slice(0, 1000);
    await s3.send(
      new sdk.DeleteObjectsCommand({
        Bucket: name,
        Delete: {
          Objects: batch.map((e) => ({
            Key: e.key,
            ...(e.versionId && e.versionId !== "null" ? { VersionId: e.versionId } : {}),
          })),
          Quiet: true,
        },
      }),
    );
    deleted += batch.length;
  }
  await s3.send(new sdk.DeleteBucketCommand({ Bucket: name })).catch((e: unknown) => {
    if (!isNotFound(e)) throw e;
  });
  return { deletedObjects: deleted };
}
