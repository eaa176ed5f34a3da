import { z } from "zod";
import { stepBase, strict } from "../definitions/common.js";
import { inputError } from "../errors.js";
import type { ObjectStore, Provider } from "../providers/types.js";
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

/** The provider's object store; a provider without one cannot run this step (exit 2). */
function storeOf(ctx: { provider: Provider }): ObjectStore {
  const store = ctx.provider.objectStore?.();
  if (!store) {
    throw inputError(
      "OBJECT_STORE_UNSUPPORTED",
      `s3-restore: the ${ctx.provider.name} provider has no object store`,
      "run the drill in an environment whose provider reaches S3 (aws or local)",
    );
  }
  return store;
}

export const s3Restore = defineStep({
  kind: "s3-restore",
  schema: s3RestoreSchema,
  defaultTimeoutMs: 60 * 60_000,
  measures: [],
  async plan(o, ctx) {
    const stagingBucket = `${o.stagingBucketPrefix}<run id>`;
    return {
      plan: `objects of ${o.source} as of ${o.asOf} → new bucket ${stagingBucket}, verified by ${o.verify}`,
      calls: storeOf(ctx).planRestore({ ...o, stagingBucket }),
    };
  },
  async run(o, ctx) {
    return runS3Restore(o, ctx, storeOf(ctx));
  },
});

async function runS3Restore(options: Options, ctx: StepContext, store: ObjectStore) {
  const asOf = options.asOf === "latest" ? "latest" : new Date(options.asOf);
  const start = ctx.clock.now();
  ctx.progress(`listing versions of ${options.source}`);
  const { objects, versioned, versionsListed } = await store.versionsAsOf(options.source, asOf);
  const bucket = await store.createStagingBucket({
    runId: ctx.runId,
    prefix: options.stagingBucketPrefix,
    drill: ctx.drill.name,
    environment: ctx.drill.environment,
    now: ctx.clock.now(),
  });
  const name = bucket.name;
  ctx.defer(`staging bucket ${name}`, () => bucket.remove());
  const bytes = objects.reduce((n, c) => n + c.size, 0);
  const copyAt = ctx.clock.now();
  await store.copy(options.source, name, objects, {
    concurrency: options.concurrency,
    signal: ctx.signal,
    progress: ctx.progress,
  });
  const copyMs = Math.max(1, ctx.clock.now() - copyAt);
  ctx.progress(`verifying ${objects.length} objects (${options.verify})`);
  const check = await store.verify(options.source, name, objects, options.verify);
  const details = {
    source: options.source,
    asOf: asOf === "latest" ? "latest" : asOf.toISOString(),
    stagingBucket: name,
    bucketTagged: bucket.tagged,
    versioned,
    versionsListed,
    objects: objects.length,
    bytes,
    copyMs,
    objectsPerSecond: Number(((objects.length * 1000) / copyMs).toFixed(1)),
    bytesPerSecond: Math.round((bytes * 1000) / copyMs),
    verify: {
      mode: options.verify,
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
