import { promises as fs } from "node:fs";
import { withSession } from "../../../db.js";
import { DrillError, inputError, platformError } from "../../../errors.js";
import { isPgError } from "../../../redact.js";
import { sleep } from "../../../sleep.js";
import type { ConnectionInfo } from "../../../types.js";
import type { Cluster } from "../cluster.js";
import { lastLines } from "../cluster.js";
import { run } from "../os-user.js";
import { freePort } from "../ports.js";
import { postmasterPids } from "../processes.js";
import type { RecoveryFiles } from "./sanitise.js";
import { shq } from "./shell.js";
import { SEGMENT } from "./wal-folder.js";

/** Log lines that mean replay stopped short of what the copy needs: WAL is missing. */
const SHORT = [
  /recovery ended before configured recovery target was reached/,
  /WAL ends before (end of online backup|consistent recovery point)/,
  /could not locate required checkpoint record/,
  /could not find redo location referenced by checkpoint record/,
];
const RESTORED = /restored log file "([0-9A-F]{24})" from archive/g;

export interface Replayed {
  port: number;
  /** The superuser's connection over the private socket (trust, no password). */
  socket: ConnectionInfo;
  segments: string[];
  replayMs: number;
}

/**
 * Start the sanitised folder and wait until it has replayed to the target and promoted. A long
 * replay outlasts any pg_ctl -t, so the start does not wait: this polls the server (and the
 * step's signal) instead, and reads progress from the log.
 */
export async function replay(o: {
  cluster: Cluster;
  files: RecoveryFiles;
  superuser: string;
  database: string;
  archiveEnd: string | undefined;
  /** The source's variables for its fetch (credentials), in the server's environment only. */
  env?: Record<string, string>;
  signal: AbortSignal;
  progress(message: string): void;
}): Promise<Replayed> {
  const { cluster, files, signal } = o;
  const started = Date.now();
  const logStart = await fs.stat(cluster.logFile).then(
    (s) => s.size,
    () => 0,
  );
  const port = await startNoWait(cluster, files, signal, o.env);
  o.progress(`replaying WAL on port ${port}`);
  const socket: ConnectionInfo = {
    host: files.socketDir,
    port,
    user: o.superuser,
    database: o.database,
  };
  let shown = 0;

  for (;;) {
    signal.throwIfAborted();
    const log = await readFrom(cluster.logFile, logStart);
    const segments = [...new Set([...log.matchAll(RESTORED)].map((m) => m[1]!))];
    if (segments.length > shown) {
      shown = segments.length;
      o.progress(`replaying WAL: segment ${segments.at(-1)} (${shown} so far)`);
    }
    if ((await postmasterPids(cluster.dataDir)).length === 0) {
      // Read again: the last lines may have been written as the postmaster went.
      throw await deathError(
        await readFrom(cluster.logFile, logStart),
        files,
        o.archiveEnd,
        cluster,
      );
    }
    const state = await promoted(socket, signal);
    if (state === true) return { port, socket, segments, replayMs: Date.now() - started };
    await sleep(250, signal);
  }
}

async function startNoWait(
  cluster: Cluster,
  files: RecoveryFiles,
  signal: AbortSignal,
  env: Record<string, string> = {},
) {
  let last: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort();
    const logStart = await fs.stat(cluster.logFile).then(
      (s) => s.size,
      () => 0,
    );
    // pg_ctl runs postgres through /bin/sh: the config path is quoted for it.
    await run(
      cluster.bins.pg_ctl,
      [
        "-D",
        cluster.dataDir,
        "-l",
        cluster.logFile,
        "-W",
        "-o",
        `-p ${port} -c config_file=${shq(files.configFile)}`,
        "start",
      ],
      { as: cluster.as, signal, env },
    ).catch((e: unknown) => {
      throw platformError(
        "POSTGRES_START_FAILED",
        `pg_ctl could not start the restored copy: ${lastLines((e as { stderr?: string }).stderr ?? String(e), 5)}`,
        `see ${cluster.logFile}`,
        e,
      );
    });
    cluster.port = port;
    // A port taken between freePort and the bind ends the postmaster at once: try another.
    await sleep(300, signal);
    const log = await readFrom(cluster.logFile, logStart);
    if (/already in use/i.test(log) && (await postmasterPids(cluster.dataDir)).length === 0) {
      last = log;
      continue;
    }
    return port;
  }
  throw platformError(
    "PORT_TAKEN",
    `no free port for the restored copy: ${lastLines(String(last), 3)}`,
  );
}

/** true once the server takes connections and is out of recovery; false while it replays. */
async function promoted(socket: ConnectionInfo, signal: AbortSignal): Promise<boolean> {
  try {
    return await withSession(
      socket,
      async (db) =>
        (await db.query<{ r: boolean }>("select pg_catalog.pg_is_in_recovery() as r")).rows[0]
          ?.r === false,
      { signal, applicationName: "drill recovery" },
    );
  } catch (e) {
    signal.throwIfAborted();
    if (isPgError(e) && e.code === "28000" && /does not exist/.test(e.message))
      throw inputError(
        "SUPERUSER_MISSING",
        `the backup has no role ${socket.user}: name its superuser with superuser:`,
        "from.<source>.superuser: the backup's bootstrap superuser (often postgres)",
      );
    if (isPgError(e) && e.code === "3D000")
      throw inputError(
        "DATABASE_MISSING",
        `the backup has no database ${socket.database}: name one it has with database:`,
      );
    return false; // starting up, or replaying (57P03), or the socket not there yet
  }
}

async function deathError(
  log: string,
  files: RecoveryFiles,
  archiveEnd: string | undefined,
  cluster: Cluster,
) {
  const missing = await firstMissing(files.missingLog);
  if (SHORT.some((r) => r.test(log))) {
    return walMissing(missing, archiveEnd);
  }
  return platformError(
    "RECOVERY_FAILED",
    `the restored copy stopped during recovery: ${lastLines(log, 6)}`,
    `see ${cluster.logFile}`,
  );
}

export function walMissing(missing: string | undefined, archiveEnd: string | undefined) {
  return new DrillError(
    "failed",
    "WAL_MISSING",
    `recovery stopped short of its target: WAL is missing, first missing segment ${missing ?? "unknown"} (archive ends at ${archiveEnd ?? "nothing"})`,
    {
      hint: "the archive has a gap or ends before the target: check archive_command on production, or pick an earlier target",
    },
  );
}

/** The first 24-hex name the restore_command wrapper could not fetch (history files left out). */
export async function firstMissing(missingLog: string): Promise<string | undefined> {
  const text = await fs.readFile(missingLog, "utf8").catch(() => "");
  return text
    .split("\n")
    .find((l) => SEGMENT.test(l.trim()))
    ?.trim();
}

async function readFrom(file: string, offset: number): Promise<string> {
  const text = await fs.readFile(file).catch(() => Buffer.alloc(0));
  return text.subarray(offset).toString("utf8");
}
