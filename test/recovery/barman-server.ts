import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import pg from "pg";
import { lookupUser, run, serverUser } from "../../src/providers/local/os-user.js";
import { startTestCluster, type TestCluster } from "../helpers/cluster.js";
import { tempDir } from "../helpers/temp.js";

/**
 * A Barman server for one test file: a throwaway cluster, a barman.conf in a temp folder
 * (backup_method = postgres, WAL streamed by `barman receive-wal` through a slot): backup 1,
 * row A, a time T, row B, backup 2, row C, all archived. `stop()` ends receive-wal and the cluster.
 */
export interface BarmanServer {
  config: string;
  server: string;
  /** Oldest first: the first before A, the second after B. */
  backupIds: [string, string];
  /** The tablespace `ts` (where the rows are) of the backed-up cluster. */
  tablespace: string;
  /** T: a millisecond after A's commit (`commitA`), before B's. */
  between: Date;
  commitA: Date;
  cluster: TestCluster;
  /** Runs `barman -c <config> <args>` (as root Barman switches to its user). */
  barman(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const PG_BIN = "/usr/lib/postgresql/15/bin";

export async function startBarmanServer(): Promise<BarmanServer> {
  const cluster = await startTestCluster({ conf: ["track_commit_timestamp = on"] });
  const dir = await tempDir("barman", { walkable: true });
  const home = path.join(dir, "barman");
  await fs.mkdir(home, { mode: 0o700 });
  const user = await lookupUser("barman");
  if (user) await fs.chown(home, user.uid, user.gid);
  const c = cluster.connection;
  const conninfo = `host=${c.host} port=${c.port} user=${c.user} password=${c.password ?? ""}`;
  const config = path.join(dir, "barman.conf");
  await fs.writeFile(
    config,
    [
      "[barman]",
      "barman_user = barman",
      `barman_home = ${home}`,
      `log_file = ${home}/barman.log`,
      "",
      "[pg]",
      `conninfo = ${conninfo} dbname=postgres`,
      `streaming_conninfo = ${conninfo}`,
      "backup_method = postgres",
      "streaming_archiver = on",
      "slot_name = barman",
      "immediate_checkpoint = true",
      `path_prefix = ${PG_BIN}`,
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const barman = async (...args: string[]) =>
    (await run("barman", ["-c", config, ...args], { cwd: dir })).stdout;

  let receiver: ChildProcess | undefined;
  const stop = async () => {
    if (receiver && receiver.exitCode === null) {
      const exited = new Promise((r) => receiver!.once("exit", r));
      receiver.kill("SIGTERM");
      await exited;
    }
    await cluster.stop();
  };
  try {
    await barman("receive-wal", "--create-slot", "pg");
    receiver = spawn("barman", ["-c", config, "receive-wal", "pg"], { stdio: "ignore" });
    // A segment switched before pg_receivewal connects is never streamed: wait for it.
    await untilStreaming(cluster, receiver);
    // Barman takes no backup before its archive has received a first segment.
    await switchAndArchive(cluster, barman);
    await makeTablespace(cluster, path.join(dir, "ts"));
    await barman("backup", "--wait", "pg");
    const { commit: commitA, t: between } = await writeRows(cluster, ["A"], ["B"]);
    await barman("backup", "--wait", "pg");
    await writeRows(cluster, ["C"]);
    await switchAndArchive(cluster, barman);
    const listed = JSON.parse(await barman("-f", "json", "list-backups", "pg")) as {
      pg: { backup_id: string }[];
    };
    const ids = listed.pg.map((b) => b.backup_id).sort();
    const backupIds: [string, string] = [ids[0]!, ids[1]!];
    return {
      config,
      server: "pg",
      backupIds,
      tablespace: path.join(dir, "ts"),
      between,
      commitA,
      cluster,
      barman,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Rows `before` committed, then T: a millisecond (the target's precision) after the last one's
 * commit, then rows `after`, once the server's clock is past T.
 */
async function writeRows(cluster: TestCluster, before: string[], after: string[] = []) {
  const db = new pg.Client(cluster.connection);
  await db.connect();
  try {
    await db.query(
      "create table if not exists marks (name text primary key, at timestamptz default now()) tablespace ts",
    );
    for (const name of before) await db.query("insert into marks (name) values ($1)", [name]);
    const { rows } = await db.query<{ ts: Date }>(
      "select pg_xact_commit_timestamp(xmin) as ts from marks where name = $1",
      [before.at(-1)],
    );
    const commit = rows[0]!.ts;
    const t = new Date(Math.floor(commit.getTime()) + 1);
    for (;;) {
      const now = await db.query<{ n: Date }>("select clock_timestamp() as n");
      if (now.rows[0]!.n.getTime() > t.getTime() + 1) break;
      await db.query("select pg_sleep(0.002)");
    }
    for (const name of after) await db.query("insert into marks (name) values ($1)", [name]);
    return { commit, t };
  } finally {
    await db.end();
  }
}

/**
 * `barman switch-wal --archive`, with a commit every 0.1 s meanwhile: after the switch the
 * walsender idles until a commit wakes it or its timer fires, and pg_receivewal only closes the
 * segment (what Barman waits for) once it has the switch: 12–14 s each time, measured.
 */
async function switchAndArchive(
  cluster: TestCluster,
  barman: (...args: string[]) => Promise<string>,
): Promise<void> {
  const db = new pg.Client(cluster.connection);
  await db.connect();
  let done = false;
  const poke = (async () => {
    while (!done) await db.query("select txid_current(), pg_sleep(0.1)");
  })();
  try {
    await barman("switch-wal", "--force", "--archive", "pg");
  } finally {
    done = true;
    await poke.catch(() => undefined);
    await db.end();
  }
}

async function untilStreaming(cluster: TestCluster, receiver: ChildProcess): Promise<void> {
  const db = new pg.Client(cluster.connection);
  await db.connect();
  try {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      const { rows } = await db.query(
        "select 1 from pg_stat_replication where state = 'streaming' and application_name like 'barman%'",
      );
      if (rows.length > 0) return;
      if (receiver.exitCode !== null)
        throw new Error(`barman receive-wal exited ${receiver.exitCode}`);
      await db.query("select pg_sleep(0.1)");
    }
    throw new Error("barman receive-wal did not start streaming in 30 s");
  } finally {
    await db.end();
  }
}

/** A tablespace `ts` (the rows go there): a restore must map it, never write to its location. */
async function makeTablespace(cluster: TestCluster, location: string): Promise<void> {
  await fs.mkdir(location, { mode: 0o700 });
  const as = await serverUser();
  if (as) await fs.chown(location, as.uid, as.gid);
  const db = new pg.Client(cluster.connection);
  await db.connect();
  try {
    await db.query(`create tablespace ts location '${location}'`);
  } finally {
    await db.end();
  }
}
