import type { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { stepBase, strict } from "../definitions/common.js";
import { defineStep, type StepContext } from "./types.js";

const s3Url = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, {
  message: "expected s3://bucket or s3://bucket/prefix/",
});

export const s3RestoreSchema = strict({
  source: s3Url.meta({
    description: "a versioned bucket, or a prefix of one: s3://bucket/prefix/",
  }),
  asOf: z
    .union([
      z.literal("latest"),
      z.iso.datetime({ offset: true, message: 'expected "latest" or an ISO 8601 time' }),
    ])
    .meta({
      description:
        'the moment to restore: each object\'s newest version at or before it ("latest": now)',
    }),
  stagingBucketPrefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,20}$/, { message: "expected lowercase letters, digits, '-'" })
    .default("drill-")
    .meta({
      description:
        "the staging bucket is `<prefix><run id>`, made for the run and deleted by cleanup",
    }),
  verify: z.enum(["etag", "sha256"]).default("etag").meta({
    description:
      "etag: compare MD5 ETags, computing SHA-256 for multipart objects; sha256: always compute",
  }),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(8)
    .meta({ description: "objects copied and verified at once" }),
  ...stepBase,
}).meta({
  description:
    "AWS: restores a versioned S3 bucket or prefix as of a time into a staging bucket, and verifies the object count and every object's checksum against its source version.",
});

type Options = z.output<typeof s3RestoreSchema>;

/** The aws provider's S3 client (its region), else one from the SDK's default chain. */
async function s3For(ctx: { provider: object }): Promise<S3Client> {
  const own = (ctx.provider as { s3Client?: () => Promise<S3Client> }).s3Client;
  if (own) return own.call(ctx.provider);
  const { defaultClients } = await import("../providers/aws/clients.js");
  return defaultClients(undefined).s3();
}

export const s3Restore = defineStep({
  kind: "s3-restore",
  schema: s3RestoreSchema,
  defaultTimeoutMs: 60 * 60_000,
  measures: [],
  async plan(o) {
    const { parseS3Url } = await import("../providers/aws/s3-url.js");
    const { bucket, key } = parseS3Url(o.source);
    return {
      plan: `objects of ${o.source} as of ${o.asOf} → new bucket ${o.stagingBucketPrefix}<run id>, verified by ${o.verify}`,
      calls: [
        { call: "ListObjectVersions", params: { Bucket: bucket, Prefix: key } },
        {
          call: "CreateBucket",
          params: { Bucket: `${o.stagingBucketPrefix}<run id>` },
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
      ],
    };
  },
  async run(o, ctx) {
    return runS3Restore(o, ctx, await s3For(ctx));
  },
});

export async function runS3Restore(o: Options, ctx: StepContext, s3: S3Client) {
  const aws = await import("../providers/aws/bucket-restore.js");
  const { parseS3Url } = await import("../providers/aws/s3-url.js");
  const staging = await import("../providers/aws/staging-bucket.js");
  const { runTags, drillOfRunId } = await import("../providers/aws/guard.js");
  const { bucket, key } = parseS3Url(o.source);
  const asOf = o.asOf === "latest" ? "latest" : new Date(o.asOf);
  const start = ctx.clock.now();
  ctx.progress(`listing versions of ${o.source}`);
  const { entries, versioned } = await aws.listVersions(s3, bucket, key);
  aws.ensureRestorable(entries, asOf, versioned, o.source);
  const chosen = aws.chooseAsOf(entries, asOf);
  const name = staging.stagingBucketName(ctx.runId, o.stagingBucketPrefix);
  const { tagged } = await staging.createStagingBucket(
    s3,
    name,
    runTags({
      runId: ctx.runId,
      drill: ctx.drill.name ?? drillOfRunId(ctx.runId),
      environment: ctx.drill.environment,
      expiresAt: new Date(Date.now() + 24 * 3_600_000),
    }),
  );
  ctx.defer(`staging bucket ${name}`, async () => {
    await staging.deleteStagingBucket(s3, name, ctx.runId);
  });
  const bytes = chosen.reduce((n, c) => n + c.size, 0);
  const copyAt = ctx.clock.now();
  await aws.copyAll(s3, bucket, name, chosen, {
    concurrency: o.concurrency,
    signal: ctx.signal,
    progress: ctx.progress,
  });
  const copyMs = Math.max(1, ctx.clock.now() - copyAt);
  ctx.progress(`verifying ${chosen.length} objects (${o.verify})`);
  const check = await aws.verifyCopies(s3, bucket, name, chosen, o.verify);
  const details = {
    source: o.source,
    asOf: asOf === "latest" ? "latest" : asOf.toISOString(),
    stagingBucket: name,
    bucketTagged: tagged,
    versioned,
    versionsListed: entries.length,
    objects: chosen.length,
    bytes,
    copyMs,
    objectsPerSecond: Number(((chosen.length * 1000) / copyMs).toFixed(1)),
    bytesPerSecond: Math.round((bytes * 1000) / copyMs),
    verify: {
      mode: o.verify,
      objects: check.objects,
      sha256Computed: check.computed,
      mismatches: check.mismatches.length,
    },
    totalMs: ctx.clock.now() - start,
  };
  if (check.mismatches.length > 0) {
    return {
      outcome: "failed" as const,
      details,
      findings: check.mismatches.slice(0, 20).map((m) => `s3-restore: ${m}`),
    };
  }
  return { outcome: "passed" as const, details };
}
