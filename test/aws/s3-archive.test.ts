import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalS3Provider } from "../../src/providers/aws/local-s3.js";
import type { Provider } from "../../src/providers/types.js";
import { startTestCluster } from "../helpers/cluster.js";
import { localEnv } from "../local/util.js";
import { startS3rver } from "../helpers/s3rver.js";
import { processesNaming } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";

const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";
const ROWS = 200_000;

describe("S3 archives streamed into pg_restore (s3rver, real PostgreSQL)", () => {
  let s3: S3Client;
  let stopS3: () => Promise<void>;
  let stopPg: () => Promise<void>;
  let root: string;
  let provider: Provider;

  const put = (key: string, body: Buffer | string) =>
    s3.send(new PutObjectCommand({ Bucket: "backups", Key: key, Body: body }));

  beforeAll(async () => {
    ({ s3, stop: stopS3 } = await startS3rver());
    const pg = await startTestCluster();
    stopPg = pg.stop;
    const c = pg.connection;
    await withSession(c, async (db) => {
      await db.query("create table orders (id int primary key, total numeric not null)");
      // Big enough (several MB of plain SQL) that S3 sends the body in many chunks.
      await db.query(`insert into orders select g, g * 1.5 from generate_series(1, ${ROWS}) g`);
    });
    root = await tempDir("s3-archive", { walkable: true });
    const env = { ...process.env, PGPASSWORD: c.password ?? "" };
    const args = ["-h", c.host, "-p", String(c.port), "-U", c.user, "-d", c.database];
    const dump = (extra: string[]) => promisify(execFile)(PG_DUMP, [...args, ...extra], { env });
    await dump(["-Fc", "-f", path.join(root, "shop.dump")]);
    await dump(["-Fd", "-f", path.join(root, "shop.dir")]);
    await dump(["-Fp", "-f", path.join(root, "shop.sql")]);
    await s3.send(new CreateBucketCommand({ Bucket: "backups" }));
    await put("old/shop.dump", "PGDMP not really: an older upload that must not be picked");
    await put("plain/shop.sql", await fs.readFile(path.join(root, "shop.sql")));
    for (const f of await fs.readdir(path.join(root, "shop.dir")))
      await put(`dirs/shop/${f}`, await fs.readFile(path.join(root, "shop.dir", f)));
    // The newest under s3://backups/ must be this one; LastModified has second resolution.
    await new Promise((r) => setTimeout(r, 1100));
    await put("nightly/shop.dump", await fs.readFile(path.join(root, "shop.dump")));
    provider = new LocalS3Provider(
      { root, environment: localEnv() },
      {
        clients: { s3: async () => s3, rds: () => Promise.reject(new Error("no RDS here")) },
      },
    );
  });
  afterAll(async () => {
    await stopS3?.();
    await stopPg?.();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const restoreAndCount = async (url: string, runId: string, format?: "plain") => {
    const plan = await provider.planRestore({
      kind: "archive",
      path: url,
      ...(format ? { format } : {}),
    });
    const disposers: (() => Promise<void>)[] = [];
    const lines: string[] = [];
    try {
      const copy = await provider.restore(plan, {
        runId,
        signal: new AbortController().signal,
        progress: (m) => lines.push(m),
        onCreated: (d) => disposers.push(d),
      });
      const rows = await withSession(copy.connection, async (db) => {
        const r = await db.query<{ n: string; s: string }>(
          "select count(*) as n, sum(total)::text as s from orders",
        );
        return r.rows[0]!;
      });
      return { plan, copy, rows, lines };
    } finally {
      for (const d of disposers) await d();
      expect(processesNaming(runId)).toEqual([]);
    }
  };

  it("custom format: streamed from GetObject into pg_restore stdin; the newest under a prefix", async () => {
    const { plan, copy, rows, lines } = await restoreAndCount(
      "s3://backups/",
      "20261128-170000-s3dump-aaaa",
    );
    expect(plan.source.id).toBe("s3://backups/nightly/shop.dump");
    expect(rows).toEqual({ n: String(ROWS), s: `${(ROWS * (ROWS + 1) * 1.5) / 2}.0` });
    expect(copy.details).toMatchObject({ format: "custom" });
    expect(copy.details.bytes).toBe((await fs.stat(path.join(root, "shop.dump"))).size);
    expect(lines.some((l) => l.startsWith("streaming s3://backups/nightly/shop.dump"))).toBe(true);
  });

  it("plain SQL streamed into psql, and a directory archive downloaded and restored in parallel", async () => {
    const plain = await restoreAndCount(
      "s3://backups/plain/shop.sql",
      "20261128-170000-s3sql-bbbb",
      "plain",
    );
    expect(plain.rows.n).toBe(String(ROWS));
    expect(plain.copy.details.format).toBe("plain");
    const dir = await restoreAndCount("s3://backups/dirs/shop", "20261128-170000-s3dir-cccc");
    expect(dir.plan.details.s3).toMatchObject({ layout: "directory", key: "dirs/shop/" });
    expect(dir.rows.n).toBe(String(ROWS));
    expect(dir.copy.details.format).toBe("directory");
  });

  it("a missing archive is bad input; offline plans name the calls", async () => {
    const e = await provider
      .planRestore({ kind: "archive", path: "s3://backups/nope.dump" })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "ARCHIVE_NOT_FOUND", exitCode: 2 });
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
    const plan = await offline.planRestore({
      kind: "archive",
      path: "s3://backups/nightly/shop.dump",
    });
    expect(plan.details.calls).toEqual([
      { call: "HeadObject", params: { Bucket: "backups", Key: "nightly/shop.dump" } },
      {
        call: "GetObject",
        params: { Bucket: "backups", Key: "nightly/shop.dump" },
        note: "streamed into pg_restore",
      },
    ]);
  });
});
