import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutObjectCommand,
  type PutBucketTaggingCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsProvider } from "../../src/providers/aws/provider.js";
import { chooseAsOf } from "../../src/providers/aws/bucket-versions.js";
import { LocalS3Provider } from "../../src/providers/aws/local-s3.js";
import { deleteStagingBucket } from "../../src/providers/aws/staging-bucket.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { RUN_TTL_MS } from "../../src/providers/local/owner.js";
import type { Provider } from "../../src/providers/types.js";
import { s3Restore, s3RestoreSchema } from "../../src/steps/s3-restore.js";
import type { StepContext } from "../../src/steps/types.js";
import { localEnv } from "../local/util.js";
import { awsEnv } from "./fake-rds.js";
import { startS3rver } from "../helpers/s3rver.js";

const RUN = "20261128-170000-assets-dddd";
/** The run's clock: the bucket's expiry is counted from it, not from the machine's. */
const NOW = Date.parse("2026-11-28T17:00:00Z");
const TTL = 2 * 3_600_000;

describe("s3-restore: choosing versions as of a time", () => {
  const v = (key: string, id: string, at: string, deleteMarker = false) => ({
    key,
    versionId: id,
    etag: `"${id}"`,
    size: 1,
    lastModified: new Date(at),
    deleteMarker,
  });
  it("takes each key's newest version at or before the time; deleted keys are absent", () => {
    const entries = [
      v("a", "a1", "2026-11-01T00:00:00Z"),
      v("a", "a2", "2026-11-10T00:00:00Z"),
      v("b", "b1", "2026-11-01T00:00:00Z"),
      v("b", "del", "2026-11-05T00:00:00Z", true),
      v("c", "c1", "2026-11-20T00:00:00Z"),
    ];
    const at = chooseAsOf(entries, new Date("2026-11-06T00:00:00Z"));
    expect(at.map((c) => [c.key, c.versionId])).toEqual([["a", "a1"]]);
    const latest = chooseAsOf(entries, "latest");
    expect(latest.map((c) => [c.key, c.versionId])).toEqual([
      ["a", "a2"],
      ["c", "c1"],
    ]);
  });
});

describe("s3-restore against s3rver", () => {
  let s3: S3Client;
  let stop: () => Promise<void>;
  let aws: AwsProvider;
  const deferred: (() => Promise<void>)[] = [];
  const ctx = (provider: Provider, runId = RUN) =>
    ({
      runId,
      provider,
      drill: { name: "assets", environment: "sandbox" },
      signal: new AbortController().signal,
      clock: { now: () => NOW },
      progress: () => {},
      defer: (_label: string, fn: () => Promise<void>) => deferred.push(fn),
    }) as unknown as StepContext;
  /**
   * The tags each PutBucketTagging asked for, by bucket: s3rver answers NotImplemented (so the
   * step reports bucketTagged: false), but the request drill made is what the test is about.
   */
  const tagged = new Map<string, Record<string, string | undefined>>();
  const tagsOf = (bucket: string) => tagged.get(bucket);

  beforeAll(async () => {
    ({ s3, stop } = await startS3rver());
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "PutBucketTaggingCommand") {
          const input = args.input as PutBucketTaggingCommandInput;
          const tags = input.Tagging?.TagSet?.map((t) => [t.Key, t.Value]) ?? [];
          tagged.set(input.Bucket!, Object.fromEntries(tags));
        }
        return next(args);
      },
      { step: "initialize" },
    );
    aws = new AwsProvider({
      root: "/nonexistent",
      environment: awsEnv({}, { ttl: TTL }),
      environmentName: "aws-staging",
      clients: {
        s3: async () => s3,
        rds: () => Promise.reject(new Error("no RDS in s3-restore")),
        ec2: () => Promise.reject(new Error("no EC2 in s3-restore")),
      },
    });
    await s3.send(new CreateBucketCommand({ Bucket: "prod-assets" }));
    for (let i = 0; i < 40; i++)
      await s3.send(
        new PutObjectCommand({
          Bucket: "prod-assets",
          Key: `img/${i} photo.jpg`,
          Body: Buffer.alloc(1000 + i, i),
        }),
      );
    await s3.send(
      new PutObjectCommand({ Bucket: "prod-assets", Key: "other/x", Body: "not in the prefix" }),
    );
  });
  afterAll(async () => {
    for (const d of deferred) await d().catch(() => {});
    await stop?.();
  });

  it("copies the prefix into a run bucket, verifies every object, and cleanup deletes only that bucket", async () => {
    const o = s3RestoreSchema.parse({
      source: "s3://prod-assets/img/",
      asOf: "latest",
      verify: "sha256",
    });
    const result = await s3Restore.run(o, ctx(aws));
    expect(result.outcome).toBe("passed");
    expect(result.details).toMatchObject({
      stagingBucket: "drill-20261128-170000-assets-dddd",
      bucketTagged: false,
      objects: 40,
      bytes: 40 * 1000 + (39 * 40) / 2,
      verify: { mode: "sha256", objects: 40, sha256Computed: 40, mismatches: 0 },
    });
    expect(result.details.objectsPerSecond).toBeGreaterThan(0);
    // Expiry: the run's clock plus the environment's staging ttl.
    expect(tagsOf("drill-20261128-170000-assets-dddd")).toEqual({
      "drill:run": RUN,
      "drill:drill": "assets",
      "drill:environment": "sandbox",
      "drill:expires-at": new Date(NOW + TTL).toISOString(),
    });

    // Verification can fail: a copy changed behind our back is found.
    const chosen = chooseAsOf(
      [
        {
          key: "img/0 photo.jpg",
          versionId: undefined,
          etag: '"0"',
          size: 1000,
          lastModified: new Date(0),
          deleteMarker: false,
        },
      ],
      "latest",
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: "drill-20261128-170000-assets-dddd",
        Key: "img/0 photo.jpg",
        Body: "tampered",
      }),
    );
    const etag = await aws
      .objectStore()
      .verify("s3://prod-assets/img/", "drill-20261128-170000-assets-dddd", chosen, "etag");
    expect(etag.mismatches).toContain(
      "40 objects in drill-20261128-170000-assets-dddd, expected 1",
    );
    expect(etag.mismatches.some((m) => m.startsWith("img/0 photo.jpg: ETag"))).toBe(true);

    await expect(deleteStagingBucket(s3, "prod-assets", RUN)).rejects.toMatchObject({
      code: "GUARD_BUCKET",
    });
    expect(deferred).toHaveLength(1);
    await deferred.pop()!();
    await expect(
      s3.send(new HeadBucketCommand({ Bucket: "drill-20261128-170000-assets-dddd" })),
    ).rejects.toThrow();
    await s3.send(new HeadBucketCommand({ Bucket: "prod-assets" }));
  });

  it("a local environment restores through its own object store; its bucket expires like a run folder", async () => {
    const local = new LocalS3Provider(
      { root: "/nonexistent", environment: localEnv() },
      { clients: { s3: async () => s3 } },
    );
    const run = "20261128-170000-assets-eeee";
    const o = s3RestoreSchema.parse({ source: "s3://prod-assets/other/", asOf: "latest" });
    const result = await s3Restore.run(o, ctx(local, run));
    expect(result).toMatchObject({ outcome: "passed", details: { objects: 1 } });
    expect(tagsOf("drill-20261128-170000-assets-eeee")?.["drill:expires-at"]).toBe(
      new Date(NOW + RUN_TTL_MS).toISOString(),
    );
    await deferred.pop()!();
  });

  it("drill plan lists the calls the provider's object store would make", async () => {
    const o = s3RestoreSchema.parse({ source: "s3://prod-assets/img/", asOf: "latest" });
    const plan = await s3Restore.plan(o, ctx(aws));
    expect(plan.calls).toEqual(
      expect.arrayContaining([
        { call: "ListObjectVersions", params: { Bucket: "prod-assets", Prefix: "img/" } },
        expect.objectContaining({ call: "CreateBucket", params: { Bucket: "drill-<run id>" } }),
      ]),
    );
  });

  it("a provider without an object store is refused as bad input", async () => {
    const bare = new LocalProvider({ root: "/nonexistent", environment: localEnv() });
    const o = s3RestoreSchema.parse({ source: "s3://prod-assets/img/", asOf: "latest" });
    const refused = { code: "OBJECT_STORE_UNSUPPORTED", exitCode: 2 };
    await expect(s3Restore.run(o, ctx(bare))).rejects.toMatchObject(refused);
    await expect(s3Restore.plan(o, ctx(bare))).rejects.toMatchObject(refused);
  });

  it("refuses a past time when the store keeps no versions", async () => {
    const o = s3RestoreSchema.parse({
      source: "s3://prod-assets/img/",
      asOf: "2020-01-01T00:00:00Z",
    });
    await expect(s3Restore.run(o, ctx(aws))).rejects.toMatchObject({
      code: "S3_NOT_VERSIONED",
      exitCode: 3,
    });
    expect(deferred).toHaveLength(0);
  });
});
