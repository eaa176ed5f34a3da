import { promises as fs } from "node:fs";
import path from "node:path";
import { withSession } from "../../src/db.js";
import { run } from "../../src/providers/local/os-user.js";
import { serverUser } from "../../src/providers/local/os-user.js";
import { sleep } from "../../src/sleep.js";
import { startTestCluster, type TestCluster } from "../helpers/cluster.js";
import { tempDir } from "../helpers/temp.js";

export const PG_BIN = "/usr/lib/postgresql/15/bin";

/**
 * A production with a WAL archive and a pg_basebackup -Ft tar of it, then two commits around a
 * noted time T, each in its own archived segment:
 *   base backup → rows A → switch (segment `segA`) → T → rows B → switch (segment `segB`)
 */
export interface BaseBackupFixture {
  source: TestCluster;
  dir: string;
  base: string;
  wal: string;
  /** When A committed (track_commit_timestamp), the noted time T, and the segments. */
  commitA: Date;
  /** The WAL position just after A's commit: an LSN target with A and without B. */
  lsnA: string;
  t: Date;
  segA: string;
  segB: string;
}

export async function makeBaseBackupFixture(): Promise<BaseBackupFixture> {
  const as = await serverUser();
  const dir = await tempDir("recovery", { walkable: true });
  const wal = path.join(dir, "wal");
  await fs.mkdir(wal, { mode: 0o700 });
  if (as) await fs.chown(wal, as.uid, as.gid);
  const source = await startTestCluster({
    conf: [
      "archive_mode = on",
      `archive_command = 'test ! -f ${wal}/%f && cp %p ${wal}/%f'`,
      "track_commit_timestamp = on",
    ],
  });
  const c = source.connection;
  const sql = <T extends object = Record<string, unknown>>(q: string) =>
    withSession(c, async (db) => (await db.query<T & Record<string, unknown>>(q)).rows);
  await sql("create table t (id int primary key, tag text not null)");
  // The backup carries a postgresql.auto.conf: the copy must drop it, naming only the setting.
  await sql("alter system set work_mem = '7MB'");
  // A bootstrap superuser that is not `postgres`, as a managed or renamed install has.
  await sql("create role boss superuser login");
  const backupDir = path.join(dir, "backup");
  await run(
    path.join(PG_BIN, "pg_basebackup"),
    [
      "-h",
      c.host,
      "-p",
      String(c.port),
      "-U",
      c.user,
      "-D",
      backupDir,
      "-Ft",
      "-X",
      "none",
      "-l",
      "fixture",
    ],
    { env: { PGPASSWORD: c.password ?? "" } },
  );
  await sql("insert into t select g, 'A' from generate_series(1, 100) g");
  const [a] = await sql<{ ts: Date; seg: string; lsn: string }>(
    `select pg_xact_commit_timestamp(xmin) as ts, pg_walfile_name(pg_current_wal_lsn()) as seg,
            pg_current_wal_lsn()::text as lsn
       from t limit 1`,
  );
  await switchAndWait(sql);
  // T: a millisecond (the target's precision) after A, and B strictly after T.
  const t = new Date(Math.floor(a!.ts.getTime()) + 1);
  for (;;) {
    const [now] = await sql<{ n: Date }>("select clock_timestamp() as n");
    if (now!.n.getTime() > t.getTime() + 1) break;
    await sleep(2);
  }
  await sql("select pg_create_restore_point('before-b')");
  await sql("insert into t select g, 'B' from generate_series(101, 200) g");
  const [b] = await sql<{ seg: string }>("select pg_walfile_name(pg_current_wal_lsn()) as seg");
  await switchAndWait(sql);
  return {
    source,
    dir,
    base: path.join(backupDir, "base.tar"),
    wal,
    commitA: a!.ts,
    lsnA: a!.lsn,
    t,
    segA: a!.seg,
    segB: b!.seg,
  };
}

async function switchAndWait(sql: <T extends object>(q: string) => Promise<T[]>) {
  const [s] = await sql<{ seg: string }>("select pg_walfile_name(pg_switch_wal()) as seg");
  for (let i = 0; i < 200; i++) {
    const [st] = await sql<{ last: string | null }>(
      "select last_archived_wal as last from pg_stat_archiver",
    );
    if (st!.last && st!.last >= s!.seg) return;
    await sleep(50);
  }
  throw new Error(`segment ${s!.seg} was not archived`);
}

/** A copy of the archive folder without `segment`: a gap. */
export async function walWithout(f: BaseBackupFixture, segment: string): Promise<string> {
  const copy = path.join(f.dir, `wal-without-${segment}`);
  await fs.cp(f.wal, copy, { recursive: true });
  await fs.rm(path.join(copy, segment));
  const as = await serverUser();
  if (as) {
    await fs.chown(copy, as.uid, as.gid);
    for (const n of await fs.readdir(copy)) await fs.chown(path.join(copy, n), as.uid, as.gid);
  }
  return copy;
}
