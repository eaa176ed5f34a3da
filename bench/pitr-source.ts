import { promises as fs } from "node:fs";
import path from "node:path";
import { withSession, type Queryable } from "../src/db.js";
import { run, serverUser } from "../src/providers/local/os-user.js";
import type { ConnectionInfo } from "../src/types.js";
import { startTestCluster, type TestCluster } from "../test/helpers/cluster.js";
import { tempDir } from "../test/helpers/temp.js";
import { archiveBoth, makeStanza, type Stanza } from "./pitr-pgbackrest.js";

/**
 * The "production" a PITR benchmark restores: a cluster archiving WAL into a folder (as
 * archive_command = cp does in the field), a `pg_basebackup -Ft -X none` tar of it, then a
 * pgbench TPC-B load writing `walMb` of WAL after the backup, so every restore replays that WAL
 * from the archive through restore_command.
 */
export const CLIENT_BIN = "/usr/lib/postgresql/15/bin";

export interface PitrSource {
  connection: ConnectionInfo;
  /** base.tar of pg_basebackup -Ft (readable by the server user). */
  baseTar: string;
  /** The WAL archive folder: one file per segment, as archive_command wrote it. */
  walDir: string;
  /** Where replay stops: the clock between two pgbench chunks, halfway through the load. */
  middle: Date;
  /** WAL written after the backup up to the middle, and in all (bytes). */
  walToMiddle: number;
  walTotal: number;
  /** Newest segment in the archive once the load is done. */
  lastSegment: string;
  /** A pgBackRest stanza with a full backup taken beside the tar, when asked for. */
  stanza?: Stanza;
  stop(): Promise<void>;
}

export async function makePitrSource(o: {
  walMb: number;
  scale: number;
  pgbackrest: boolean;
  log: (m: string) => void;
}): Promise<PitrSource> {
  const root = await tempDir("pitr-bench", { walkable: true });
  const walDir = path.join(root, "wal");
  const backupDir = path.join(root, "backup");
  const as = await serverUser();
  await fs.mkdir(walDir, { mode: 0o755 });
  await fs.mkdir(backupDir, { mode: 0o755 });
  if (as) await fs.chown(walDir, as.uid, as.gid);
  const archiveCp = `test ! -f ${walDir}/%f && cp %p ${walDir}/%f`;
  const pg = await startTestCluster({
    dir: path.join(root, "source"),
    conf: [
      "archive_mode = on",
      `archive_command = '${archiveCp}'`,
      // What a production server would have: checkpoints every 1 GB of WAL (full-page writes
      // after each, as in the field), not the sandbox's small WAL.
      "max_wal_size = 1GB",
      "checkpoint_timeout = 15min",
      "synchronous_commit = off",
    ],
  });
  try {
    return await loadAndBackUp(pg, { ...o, root, walDir, backupDir, archiveCp });
  } catch (e) {
    await pg.stop();
    throw e;
  }
}

async function loadAndBackUp(
  pg: TestCluster,
  o: Parameters<typeof makePitrSource>[0] & {
    root: string;
    walDir: string;
    backupDir: string;
    archiveCp: string;
  },
): Promise<PitrSource> {
  const conn = pg.connection;
  const env = { PGPASSWORD: conn.password ?? "" };
  const tool = (name: string, args: string[]) =>
    run(path.join(CLIENT_BIN, name), ["-h", conn.host, "-p", String(conn.port), ...args], {
      env,
    });
  const stanza = o.pgbackrest
    ? await makeStanza({
        root: o.root,
        dataDir: path.join(pg.dir, "cluster", "data"),
        connection: conn,
        as: await serverUser(),
      })
    : undefined;
  if (stanza) await archiveBoth(conn, `${o.archiveCp} && ${stanza.archivePush}`);

  o.log(`pgbench -i -s ${o.scale}`);
  await tool("pgbench", ["-U", conn.user, "-i", "-q", "-s", String(o.scale), conn.database]);
  const backup = ["-D", o.backupDir, "-Ft", "-X", "none", "-c", "fast", "--no-manifest"];
  await tool("pg_basebackup", ["-U", conn.user, ...backup]);
  if (stanza) {
    o.log("pgbackrest backup --type=full");
    await stanza.backup();
  }
  const baseTar = path.join(o.backupDir, "base.tar");
  await fs.chmod(baseTar, 0o644);

  const pgbench = () =>
    tool("pgbench", ["-U", conn.user, "-n", "-c", "4", "-j", "2", "-t", "500", conn.database]);
  const { startLsn, middle, middleLsn, endLsn } = await withSession(conn, async (db) => {
    const startLsn = await lsn(db);
    const written = async () => diff(db, await lsn(db), startLsn);
    let middle: Date | undefined;
    let middleLsn = startLsn;
    const want = o.walMb * 1024 * 1024;
    for (let done = 0; done < want || !middle; done = await written()) {
      if (!middle && done >= want / 2) {
        // No commit is in flight here: the first commit of the next chunk ends the replay.
        middle = (await db.query<{ t: Date }>("select clock_timestamp() as t")).rows[0]!.t;
        middleLsn = await lsn(db);
      }
      await pgbench();
    }
    return { startLsn, middle, middleLsn, endLsn: await lsn(db) };
  });
  const lastSegment = await withSession(conn, async (db) => {
    const seg = (await db.query<{ f: string }>("select pg_walfile_name(pg_switch_wal()) as f"))
      .rows[0]!.f;
    await db.query("checkpoint");
    return seg;
  });
  await waitArchived(conn, lastSegment);
  o.log(`load done: ${mb(await diffOf(conn, endLsn, startLsn))} MB of WAL after the backup`);
  return {
    connection: conn,
    baseTar,
    walDir: o.walDir,
    middle,
    walToMiddle: await diffOf(conn, middleLsn, startLsn),
    walTotal: await diffOf(conn, endLsn, startLsn),
    lastSegment,
    ...(stanza ? { stanza } : {}),
    stop: () => pg.stop(),
  };
}

const lsn = (db: Queryable) =>
  db.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn").then((r) => r.rows[0]!.lsn);

export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

const diff = async (db: Queryable, a: string, b: string) =>
  Number(
    (await db.query<{ d: string }>("select pg_wal_lsn_diff($1, $2)::text as d", [a, b])).rows[0]!.d,
  );
const diffOf = (conn: ConnectionInfo, a: string, b: string) =>
  withSession(conn, (db) => diff(db, a, b));

/** Until archive_command has copied `segment`: the restores must find every segment there. */
async function waitArchived(conn: ConnectionInfo, segment: string) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const last = await withSession(
      conn,
      async (db) =>
        (
          await db.query<{ w: string | null }>(
            "select last_archived_wal as w from pg_stat_archiver",
          )
        ).rows[0]!.w,
    );
    if (last !== null && last >= segment) return;
    if (Date.now() > deadline) throw new Error(`WAL ${segment} not archived after 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
