import { promises as fs } from "node:fs";
import path from "node:path";
import { withSession } from "../src/db.js";
import type { ServerBinaries } from "../src/providers/local/binaries.js";
import { killPostmasters } from "../src/providers/local/processes.js";
import { freePort } from "../src/providers/local/ports.js";
import { run, type RunAs } from "../src/providers/local/os-user.js";
import { sleep } from "../src/sleep.js";
import type { ConnectionInfo } from "../src/types.js";

/**
 * The baseline: a pg_basebackup tar restored to a point in time by hand, as a careful operator
 * would, with nothing drill adds: the system `tar` as the server user, recovery.signal,
 * restore_command = cp from the archive folder, the target, archive_mode off (the copy must not
 * write into production's archive), pg_ctl start, then poll until promoted.
 */
export interface Timings {
  /** Laying the files down (tar extract). */
  layDownMs: number;
  /** pg_ctl start until pg_is_in_recovery() is false. */
  replayMs: number;
  totalMs: number;
  /** When the poll first saw it promoted (epoch ms, the same clock as the server log's). */
  promotedAt: number;
  /** From the server log: "redo starts at" to "redo done at", and redo's own elapsed time. */
  redo: RedoLog;
}

export interface RedoLog {
  bytes: number;
  elapsedMs: number;
  /** Epoch ms from the server log's own clock: postmaster start, "redo starts", "redo done". */
  startedAt: number;
  redoStartAt: number;
  redoDoneAt: number;
}

export type Target = { time: Date } | "latest";

export async function bareRestore(o: {
  bins: ServerBinaries;
  as: RunAs | undefined;
  baseTar: string;
  walDir: string;
  target: Target;
  workDir: string;
  /** The source's superuser: the copy has the same password. */
  connection: ConnectionInfo;
}): Promise<Timings> {
  const dataDir = path.join(o.workDir, "data");
  const logFile = path.join(o.workDir, "postgres.log");
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await fs.chmod(o.workDir, 0o755);
  if (o.as) {
    await fs.chown(o.workDir, o.as.uid, o.as.gid);
    await fs.chown(dataDir, o.as.uid, o.as.gid);
  }
  const t0 = performance.now();
  await run("tar", ["-xf", o.baseTar, "-C", dataDir], { as: o.as });
  const settings = [
    `restore_command = 'cp ${o.walDir}/%f %p'`,
    "archive_mode = off",
    "recovery_target_action = promote",
    ...(o.target === "latest" ? [] : [`recovery_target_time = '${pgTime(o.target.time)}'`]),
  ];
  await fs.appendFile(path.join(dataDir, "postgresql.auto.conf"), `${settings.join("\n")}\n`);
  await fs.writeFile(path.join(dataDir, "recovery.signal"), "");
  if (o.as) {
    await fs.chown(path.join(dataDir, "recovery.signal"), o.as.uid, o.as.gid);
  }
  const t1 = performance.now();
  try {
    await startToPromoted({ ...o, dataDir, logFile });
    const t2 = performance.now();
    return {
      promotedAt: Date.now(),
      layDownMs: t1 - t0,
      replayMs: t2 - t1,
      totalMs: t2 - t0,
      redo: await redoFromLog(logFile),
    };
  } finally {
    await killPostmasters(dataDir);
    await fs.rm(o.workDir, { recursive: true, force: true });
  }
}

/** pg_ctl start on a free port, then poll until promoted; a failure shows the log's tail. */
export async function startToPromoted(o: {
  bins: ServerBinaries;
  as: RunAs | undefined;
  dataDir: string;
  logFile: string;
  connection: ConnectionInfo;
}): Promise<void> {
  const port = await freePort();
  try {
    await run(
      o.bins.pg_ctl,
      [
        "-D",
        o.dataDir,
        "-l",
        o.logFile,
        "-w",
        "-t",
        "600",
        "-o",
        `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
        "start",
      ],
      { as: o.as },
    );
    await untilPromoted({ ...o.connection, port });
  } catch (e) {
    const tail = (await fs.readFile(o.logFile, "utf8").catch(() => "")).split("\n").slice(-12);
    throw new Error(`restore failed: ${String(e)}\n${tail.join("\n")}`, { cause: e });
  }
}

/** As PostgreSQL 15 reads recovery_target_time (it rejects ISO 8601's T and Z there). */
export const pgTime = (t: Date) => t.toISOString().replace("T", " ").replace("Z", "+00");

/** Poll as a script would (every 20 ms); connection errors mean "not accepting yet". */
export async function untilPromoted(conn: ConnectionInfo): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const inRecovery = await withSession(conn, async (db) =>
      db.query<{ r: boolean }>("select pg_is_in_recovery() as r").then((x) => x.rows[0]!.r),
    ).catch(() => true);
    if (!inRecovery) return;
    if (Date.now() > deadline) throw new Error("not promoted after 600 s");
    await sleep(20);
  }
}

const LSN = /([0-9A-F]+)\/([0-9A-F]+)/;
const lsnBytes = (text: string) => {
  const m = LSN.exec(text);
  return m ? parseInt(m[1]!, 16) * 2 ** 32 + parseInt(m[2]!, 16) : NaN;
};

/** PostgreSQL 15 logs where redo started and ended, and how long redo itself took. */
export async function redoFromLog(logFile: string): Promise<RedoLog> {
  const log = await fs.readFile(logFile, "utf8");
  const at = (what: RegExp) => {
    const line = log.split("\n").find((l) => what.test(l));
    // UTC (the backup's log_timezone) or GMT (drill's copy sets none): the same clock.
    const stamp = line && /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (UTC|GMT) /.exec(line)?.[1];
    return stamp ? Date.parse(`${stamp.replace(" ", "T")}Z`) : NaN;
  };
  const starts = /redo starts at ([0-9A-F]+\/[0-9A-F]+)/.exec(log);
  const done = /redo done at ([0-9A-F]+\/[0-9A-F]+).*elapsed: ([0-9.]+) s/.exec(log);
  return {
    bytes: starts && done ? lsnBytes(done[1]!) - lsnBytes(starts[1]!) : NaN,
    elapsedMs: done ? Number(done[2]) * 1000 : NaN,
    startedAt: at(/starting PostgreSQL/),
    redoStartAt: at(/redo starts at/),
    redoDoneAt: at(/redo done at/),
  };
}
