import { CopyObjectCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { copyAll } from "../../src/providers/aws/bucket-copy.js";
import { chooseAsOf, listVersions } from "../../src/providers/aws/bucket-versions.js";

// s3rver has no versions API: the versioned requests are checked at the SDK boundary.
describe("s3-restore: versioned listing and copies (aws-sdk-client-mock)", () => {
  const mock = mockClient(S3Client);
  afterEach(() => mock.reset());
  // Test files share a worker (isolate: false): later files talk to s3rver with the real send().
  afterAll(() => mock.restore());

  it("pages through ListObjectVersions and copies each chosen VersionId", async () => {
    mock
      .on(ListObjectVersionsCommand, {
        Bucket: "prod",
        Prefix: "img/",
        KeyMarker: undefined,
        VersionIdMarker: undefined,
      })
      .resolves({
        IsTruncated: true,
        NextKeyMarker: "img/a",
        NextVersionIdMarker: "v1",
        Versions: [
          {
            Key: "img/a",
            VersionId: "v2",
            ETag: '"e2"',
            Size: 3,
            LastModified: new Date("2026-11-10T00:00:00Z"),
          },
        ],
      })
      .on(ListObjectVersionsCommand, {
        Bucket: "prod",
        Prefix: "img/",
        KeyMarker: "img/a",
        VersionIdMarker: "v1",
      })
      .resolves({
        Versions: [
          {
            Key: "img/a",
            VersionId: "v1",
            ETag: '"e1"',
            Size: 2,
            LastModified: new Date("2026-11-01T00:00:00Z"),
          },
          {
            Key: "img/b c",
            VersionId: "w1",
            ETag: '"f1"',
            Size: 5,
            LastModified: new Date("2026-11-01T00:00:00Z"),
          },
        ],
        DeleteMarkers: [
          { Key: "img/b c", VersionId: "w2", LastModified: new Date("2026-11-02T00:00:00Z") },
        ],
      });
    mock.on(CopyObjectCommand).resolves({});
    const s3 = new S3Client({
      region: "eu-west-1",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
    });
    const { entries, versioned } = await listVersions(s3, "prod", "img/");
    expect(versioned).toBe(true);
    expect(entries).toHaveLength(4);
    const chosen = chooseAsOf(entries, new Date("2026-11-01T12:00:00Z"));
    expect(chosen.map((c) => c.versionId)).toEqual(["v1", "w1"]);
    await copyAll(s3, "prod", "drill-run", chosen, {
      concurrency: 2,
      signal: new AbortController().signal,
      progress: () => {},
    });
    const copies = mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input);
    expect(copies).toEqual([
      { Bucket: "drill-run", Key: "img/a", CopySource: "prod/img/a?versionId=v1" },
      { Bucket: "drill-run", Key: "img/b c", CopySource: "prod/img/b%20c?versionId=w1" },
    ]);
  });
});
