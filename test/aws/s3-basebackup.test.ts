import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { DrillError } from "../../src/errors.js";
import { LocalS3Provider } from "../../src/providers/aws/local-s3.js";
import { runsDir } from "../../src/providers/local/run-cluster.js";
import { AwsProvider } from "../../src/providers/aws/provider.js";
import type { Provider, RecoveryTarget, RestoredCopy } from "../../src/providers/types.js";
import { processesNaming } from "../helpers/processes.js";
import { makeProject, runCli } from "../helpers/project.js";
import { s3OnlyAwsEnv, startS3rver } from "../helpers/s3rver.js";
import { removeTempDirs } from "../helpers/temp.js";
import { localEnv } from "../local/util.js";
import { awsEnv } from "./fake-rds.js";
import { makeBaseBackupFixture, type BaseBackupFixture } from "../recovery/fixture.js";

/**
 * pg_basebackup -Ft and its WAL archive uploaded to s3rver, restored by a local environment:
 * the tar's head read for the plan, the tar and the WAL from the backup's start downloaded into
 * the run's spool, replayed to each target. The fixture: base → rows A → T → rows B.
 */
describe("restore from pg_basebackup + WAL in S3 (s3rver)", () => {
  let f: BaseBackupFixture;
  let s3: S3Client;
  let stopS3: () => Promise<void>;
  let endpoint: string;
  let root: string;
  let provider: LocalS3Provider;
  let n = 0;

  const upload = async (prefix: string, dir: string, skip?: string) => {
    for (const name of await fs.readdir(dir))
      if (name !== skip && (await fs.stat(path.join(dir, name))).isFile())
        await s3.send(
          new PutObjectCommand({
            Bucket: "backups",
            Key: prefix + name,
            Body: await fs.readFile(path.join(dir, name)),
          }),
        );
  };

  beforeAll(async () => {
    f = await makeBaseBackupFixture();
    ({ s3, stop: stopS3, endpoint } = await startS3rver());
    await s3.send(new CreateBucketCommand({ Bucket: "backups" }));
    await upload("nightly/", path.dirname(f.base));
    await upload("wal/", f.wal);
    await upload("wal-gap/", f.wal, f.segA);
    root = await makeProject({});
    provider = new LocalS3Provider(
      { root, environment: localEnv() },
      { clients: { s3: async () => s3, rds: () => Promise.reject(new Error("no RDS here")) } },
    );
  }, 60_000);

  afterAll(async () => {
    await stopS3?.();
    await f?.source.stop();
    await removeTempDirs();
  });

  /** Restore, read the tags, and dispose (the run folder, downloads included, must go). */
  const restore = async (
    target: RecoveryTarget,
    from: { base?: string; wal?: string } = {},
    via: Provider = provider,
  ) => {
    const plan = await via.planRestore({
      kind: "basebackup",
      base: from.base ?? "s3://backups/nightly/base.tar",
      wal: from.wal ?? "s3://backups/wal/",
      superuser: "postgres",
      database: "postgres",
      target,
    });
    const runId = `s3bb-${process.pid}-${n++}`;
    const progress: string[] = [];
    let dispose: (() => Promise<void>) | undefined;
    let copy: RestoredCopy | undefined;
    try {
      copy = await via.restore(plan, {
        runId,
        signal: new AbortController().signal,
        progress: (m) => progress.push(m),
        onCreated: (d) => (dispose = d),
      });
      const tags = await withSession(copy.connection, async (db) =>
        (await db.query<{ tag: string }>("select distinct tag from t order by 1")).rows.map(
          (r) => r.tag,
        ),
      );
      return { plan, copy, tags, progress, runId };
    } finally {
      const spool = path.join(runsDir(root), runId, "spool");
      if (copy) expect(existsSync(path.join(spool, "wal"))).toBe(true);
      await dispose?.();
      expect(existsSync(path.join(runsDir(root), runId))).toBe(false);
      expect(processesNaming(runId)).toEqual([]);
    }
  };

  it("replays to a time: A present, B absent, reached RPO within a second of T − A", async () => {
    const { plan, copy, tags, progress } = await restore({ kind: "time", time: f.t });
    expect(tags).toEqual(["A"]);
    expect(plan.description).toContain("pg_basebackup s3://backups/nightly/base.tar");
    expect(plan.details.wal).toMatchObject({ from: "s3://backups/wal/" });
    const rec = copy.details.recovery as Record<string, number | string>;
    expect(rec.lastReplayedCommit).toBe(f.commitA.toISOString());
    const expected = f.t.getTime() - f.commitA.getTime();
    expect(Math.abs((rec.reachedRpoMs as number) - expected)).toBeLessThan(1000);
    const s3 = (copy.details.layDown as { s3: Record<string, number> }).s3;
    expect(s3.walFiles).toBeGreaterThanOrEqual(2);
    const size = (await fs.stat(f.base)).size;
    expect(s3.baseBytes).toBe(size);
    // The plan stopped reading the tar once backup_label and PG_VERSION were in.
    expect(plan.details.baseHeadBytesRead).toBeLessThan(size);
    console.log(
      "MEASURE",
      plan.details.baseHeadBytesRead,
      size,
      JSON.stringify(copy.details.layDown),
    );
    expect(progress.some((p) => p.startsWith("downloading s3://backups/nightly/base.tar"))).toBe(
      true,
    );
  }, 60_000);

  it("an aws environment restores it locally to latest (A and B), asking RDS nothing; a local base with WAL in S3", async () => {
    const asked: string[] = [];
    const aws = new AwsProvider({
      root,
      environment: awsEnv(),
      environmentName: "aws-staging",
      clients: {
        s3: async () => s3,
        rds: () => (
          asked.push("rds"),
          Promise.reject(new Error("no RDS for a self-hosted backup"))
        ),
        ec2: () => (asked.push("ec2"), Promise.reject(new Error("no EC2 either"))),
      },
    });
    expect(await aws.prepare({ production: false })).toEqual({ production: "not used" });
    const { tags, copy } = await restore({ kind: "latest" }, { base: f.base }, aws);
    expect(tags).toEqual(["A", "B"]);
    expect(copy.source.kind).toBe("basebackup");
    expect(asked).toEqual([]);
  }, 60_000);

  // To `latest`: the replay ends at the gap, and only the bucket's listing (later segments
  // there) tells it from the archive's end. A time target's gap fails in PostgreSQL itself.
  it("a segment missing from the bucket fails the restore naming it, also to latest", async () => {
    const err = await restore({ kind: "latest" }, { wal: "s3://backups/wal-gap/" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DrillError);
    expect((err as DrillError).code).toBe("WAL_MISSING");
    expect((err as DrillError).message).toContain(`first missing segment ${f.segA}`);
  }, 60_000);

  it("bad S3 locations are one input line each, before any run folder", async () => {
    const plan = (base: string, wal: string) =>
      provider
        .planRestore({
          kind: "basebackup",
          base,
          wal,
          superuser: "postgres",
          database: "postgres",
          target: { kind: "latest" },
        })
        .catch((e: unknown) => e);
    expect(await plan("s3://backups/nope/base.tar", "s3://backups/wal/")).toMatchObject({
      code: "BASEBACKUP_MISSING",
      exitCode: 2,
    });
    expect(await plan("s3://backups/nightly/base.tar", "s3://backups/empty/")).toMatchObject({
      code: "WAL_PREFIX_EMPTY",
      exitCode: 2,
    });
    expect(await fs.readdir(runsDir(root)).catch(() => [])).toEqual([]);
  });

  it("a gzipped tar is planned from its streamed head; offline plans name the calls only", async () => {
    const { gzipSync } = await import("node:zlib");
    await s3.send(
      new PutObjectCommand({
        Bucket: "backups",
        Key: "gz/base.tar.gz",
        Body: gzipSync(await fs.readFile(f.base)),
      }),
    );
    const request = {
      kind: "basebackup" as const,
      base: "s3://backups/gz/base.tar.gz",
      wal: "s3://backups/wal/",
      superuser: "postgres",
      database: "postgres",
      target: { kind: "latest" as const },
    };
    const plain = await provider.planRestore({ ...request, base: "s3://backups/nightly/base.tar" });
    const { startSegment, stoppedAt } = plain.details.set as Record<string, string>;
    expect(startSegment).toMatch(/^[0-9A-F]{24}$/);
    const plan = await provider.planRestore(request);
    expect(plan.details.set).toMatchObject({ postgresMajor: 15, startSegment, stoppedAt });
    const offline = new LocalS3Provider(
      { root, environment: localEnv() },
      {
        offline: true,
        clients: {
          s3: () => Promise.reject(new Error("offline must not build a client")),
          rds: () => Promise.reject(new Error("x")),
        },
      },
    );
    const described = await offline.planRestore(request);
    expect(described.description).toContain("[offline: nothing looked up]");
    expect((described.details.calls as { call: string }[]).map((c) => c.call)).toEqual([
      "HeadObject",
      "GetObject",
      "ListObjectsV2",
      "GetObject",
    ]);
  });

  it("`drill run` in an aws environment: base and WAL from S3 to T, verified, nothing left", async () => {
    const cli = await makeProject({
      "config/drill.yaml": `environments:
  aws-staging:
    provider: aws
    region: us-east-1
    production: { dbInstance: prod-orders }
    staging: { instanceClass: db.t4g.medium, subnetGroup: staging-isolated, securityGroups: [sg-0123456789abcdef0], runnerSecurityGroup: sg-0fedcba987654321f, ttl: 6h }
`,
      "drills/bb.yaml": [
        "name: bb",
        "environment: aws-staging",
        "steps:",
        `  - restore: { from: { basebackup: { base: "s3://backups/nightly/base.tar", wal: "s3://backups/wal/" } }, target: { time: "${f.t.toISOString()}" } }`,
        "  - verify: { checks: [ { rowCount: { table: t, min: 100, max: 100 } } ] }",
        "",
      ].join("\n"),
    });
    const r = await runCli(["run", "bb", "--json"], {
      cwd: cli,
      env: s3OnlyAwsEnv(endpoint),
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const record = JSON.parse(r.stdout) as {
      steps: { kind: string; outcome: string; details: { recovery?: { reachedRpoMs: number } } }[];
    };
    expect(record.steps.map((s) => [s.kind, s.outcome])).toContainEqual(["verify", "passed"]);
    const rec = record.steps.find((s) => s.kind === "restore")!.details.recovery!;
    expect(Math.abs(rec.reachedRpoMs - (f.t.getTime() - f.commitA.getTime()))).toBeLessThan(1000);
    expect(r.stdout).not.toContain("S3RVER");
    expect(processesNaming(cli)).toEqual([]);
    expect(await fs.readdir(runsDir(cli)).catch(() => [])).toEqual([]);
  }, 60_000);
});
