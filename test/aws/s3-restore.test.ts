import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseAsOf, verifyCopies } from "../../src/providers/aws/bucket-restore.js";
import { deleteStagingBucket } from "../../src/providers/aws/staging-bucket.js";
import { runS3Restore, s3RestoreSchema } from "../../src/steps/s3-restore.js";
import type { StepContext } from "../../src/steps/types.js";
import { startS3rver } from "../helpers/s3rver.js";

const RUN = "20261128-170000-assets-dddd";

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
  const deferred: (() => Promise<void>)[] = [];
  const ctx = () =>
    ({
      runId: RUN,
      drill: { name: "assets", environment: "sandbox" },
      signal: new AbortController().signal,
      clock: { now: () => Date.now() },
      progress: () => {},
      defer: (_label: string, fn: () => Promise<void>) => deferred.push(fn),
    }) as unknown as StepContext;

  beforeAll(async () => {
    ({ s3, stop } = await startS3rver());
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
    const result = await runS3Restore(o, ctx(), s3);
    expect(result.outcome).toBe("passed");
    expect(result.details).toMatchObject({
      stagingBucket: "drill-20261128-170000-assets-dddd",
      objects: 40,
      bytes: 40 * 1000 + (39 * 40) / 2,
      verify: { mode: "sha256", objects: 40, sha256Computed: 40, mismatches: 0 },
    });
    expect(result.details.objectsPerSecond).toBeGreaterThan(0);

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
    const etag = await verifyCopies(
      s3,
      "prod-assets",
      "drill-20261128-170000-assets-dddd",
      chosen,
      "etag",
    );
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

  it("refuses a past time when the store keeps no versions", async () => {
    const o = s3RestoreSchema.parse({
      source: "s3://prod-assets/img/",
      asOf: "2020-01-01T00:00:00Z",
    });
    await expect(runS3Restore(o, ctx(), s3)).rejects.toMatchObject({
      code: "S3_NOT_VERSIONED",
      exitCode: 3,
    });
    expect(deferred).toHaveLength(0);
  });
});
