import { promises as fs } from "node:fs";
import path from "node:path";
import { withSession } from "../src/db.js";
import type { ServerBinaries } from "../src/providers/local/binaries.js";
import { killPostmasters } from "../src/providers/local/processes.js";
import { run, type RunAs } from "../src/providers/local/os-user.js";
import type { ConnectionInfo } from "../src/types.js";
import { pgTime, redoFromLog, startToPromoted, type Target, type Timings } from "./pitr-bare.js";

/**
 * The pgBackRest baseline: the source also archives into a pgBackRest repository (posix, lz4)
 * and gets a full backup next to the pg_basebackup tar; a restore is `pgbackrest restore
 * --type=time --target-action=promote --archive-mode=off`, pg_ctl start, poll until promoted.
 */
export interface Stanza {
  config: string;
  stanza: string;
  /** The archive_command that also pushes into the repository. */
  archivePush: string;
  backup(): Promise<void>;
}

const STANZA = "bench";

export async function makeStanza(o: {
  root: string;
  dataDir: string;
  connection: ConnectionInfo;
  as: RunAs | undefined;
}): Promise<Stanza> {
  const dir = path.join(o.root, "pgbackrest");
  await fs.mkdir(dir, { mode: 0o755 });
  for (const d of ["repo", "log", "lock", "spool"]) {
    await fs.mkdir(path.join(dir, d), { recursive: true, mode: 0o750 });
    if (o.as) await fs.chown(path.join(dir, d), o.as.uid, o.as.gid);
  }
  const config = path.join(dir, "pgbackrest.conf");
  await fs.writeFile(
    config,
    [
      "[global]",
      `repo1-path=${dir}/repo`,
      `log-path=${dir}/log`,
      `lock-path=${dir}/lock`,
      `spool-path=${dir}/spool`,
      "log-level-console=warn",
      "log-level-file=off",
      "compress-type=lz4",
      "start-fast=y",
      `[${STANZA}]`,
      `pg1-path=${o.dataDir}`,
      `pg1-port=${o.connection.port}`,
      `pg1-user=${o.connection.user}`,
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  // The test cluster listens on TCP only: libpq takes the host from PGHOST when pgBackRest
  // names no socket folder.
  const env = { PGHOST: o.connection.host, PGPASSWORD: o.connection.password ?? "" };
  const tool = (args: string[]) =>
    run("pgbackrest", [`--config=${config}`, `--stanza=${STANZA}`, ...args], { as: o.as, env });
  await tool(["stanza-create"]);
  return {
    config,
    stanza: STANZA,
    archivePush: `pgbackrest --config=${config} --stanza=${STANZA} archive-push %p`,
    backup: async () => {
      await tool(["--type=full", "backup"]);
    },
  };
}

export async function pgbackrestRestore(o: {
  bins: ServerBinaries;
  as: RunAs | undefined;
  stanza: Stanza;
  target: Target;
  workDir: string;
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
  await run(
    "pgbackrest",
    [
      `--config=${o.stanza.config}`,
      `--stanza=${o.stanza.stanza}`,
      `--pg1-path=${dataDir}`,
      "--archive-mode=off",
      "--target-action=promote",
      ...(o.target === "latest"
        ? ["--type=default"]
        : ["--type=time", `--target=${pgTime(o.target.time)}`]),
      "restore",
    ],
    { as: o.as },
  );
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

/** Switch the running source to archive into the folder and the repository alike. */
export async function archiveBoth(conn: ConnectionInfo, command: string): Promise<void> {
  await withSession(conn, async (db) => {
    await db.query(`alter system set archive_command = ${literal(command)}`);
    await db.query("select pg_reload_conf()");
  });
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
