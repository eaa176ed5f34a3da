import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { escapeLiteral } from "pg";
import { withSession } from "../../db.js";
import { platformError } from "../../errors.js";
import type { ConnectionInfo } from "../../types.js";
import type { Cluster } from "./cluster.js";
import { chownTree, run } from "./os-user.js";
import { scramVerifier } from "../../roles.js";
import { Snapshots } from "./snapshots.js";
import { sleep } from "../../sleep.js";

/** The role standbys stream as: replication only, never the superuser's password on disk. */
export const REPLICATION_ROLE = "drill_replicator";
/** The standby's application_name: what synchronous_standby_names and pg_stat_replication name. */
export const STANDBY_NAME = "drill_standby";
const SLOT = "drill_standby";

export interface StandbySpec {
  primary: Cluster;
  /** Superuser connection to the primary (any database). */
  primaryConn: ConnectionInfo;
  standby: Cluster;
  replicationPassword: string;
  signal: AbortSignal;
}

/**
 * Make `standby` a streaming replica of the running primary with the snapshot mechanism the
 * sandbox already uses (pg_backup_start/stop and a file copy, no pg_basebackup), then
 * standby.signal and primary_conninfo. A replication slot keeps the WAL the standby still needs
 * between the backup and its first connection. The standby's folder must not hold a cluster.
 */
export async function buildStandby(spec: StandbySpec): Promise<{ buildMs: number; bytes: number }> {
  const started = Date.now();
  const { primary, standby, signal } = spec;
  await withSession(
    spec.primaryConn,
    async (db) => {
      const verifier = scramVerifier(spec.replicationPassword);
      const exists = await db.query(`select 1 from pg_roles where rolname = $1`, [
        REPLICATION_ROLE,
      ]);
      await db.query(
        `${exists.rows.length ? "alter" : "create"} role ${REPLICATION_ROLE} with login replication password ${escapeLiteral(verifier)}`,
      );
      await db.query(
        `select pg_create_physical_replication_slot($1, true)
         where not exists (select 1 from pg_replication_slots where slot_name = $1)`,
        [SLOT],
      );
    },
    { signal },
  );
  const parent = path.dirname(standby.dataDir);
  await fs.mkdir(parent, { recursive: true, mode: 0o700 });
  const tmp = path.join(parent, `.standby-${randomBytes(4).toString("hex")}`);
  try {
    const snaps = new Snapshots(tmp, 1);
    const snap = await snaps.take(
      { dataDir: primary.dataDir, connection: spec.primaryConn },
      signal,
    );
    await fs.rm(standby.dataDir, { recursive: true, force: true });
    await fs.rename(snaps.dataDir(snap.id), standby.dataDir);
    await configureStandby(standby.dataDir, primary.port!, spec.replicationPassword);
    await chownTree(parent, standby.as);
    await fs.chmod(standby.dataDir, 0o700);
    await standby.start({ signal });
    await waitStreaming(spec.primaryConn, signal);
    return { buildMs: Date.now() - started, bytes: snap.size };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * standby.signal plus where to stream from. Settings the copy inherited from the primary's
 * postgresql.auto.conf are dropped: a promoted standby that still named a synchronous standby
 * would block every write until one appeared.
 */
export async function configureStandby(dataDir: string, primaryPort: number, password: string) {
  const auto = path.join(dataDir, "postgresql.auto.conf");
  const kept = (await fs.readFile(auto, "utf8").catch(() => ""))
    .split("\n")
    .filter((l) => !/^\s*(primary_conninfo|primary_slot_name|synchronous_standby_names)\b/.test(l));
  // The password is base64url: nothing in it needs quoting inside the conninfo string.
  kept.push(
    `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=${REPLICATION_ROLE} password=${password} application_name=${STANDBY_NAME}'`,
    `primary_slot_name = '${SLOT}'`,
    "",
  );
  await fs.writeFile(auto, kept.join("\n"), { mode: 0o600 });
  await fs.writeFile(path.join(dataDir, "standby.signal"), "", { mode: 0o600 });
}

/** Wait until the primary reports the standby streaming. */
export async function waitStreaming(
  primaryConn: ConnectionInfo,
  signal: AbortSignal,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    const state = await replicationState(primaryConn).catch(() => null);
    if (state?.state === "streaming") return;
    await sleep(100);
  }
  throw platformError(
    "STANDBY_NOT_STREAMING",
    `the standby did not start streaming within ${timeoutMs / 1000}s`,
    "see the standby's postgres.log",
  );
}

/** The standby as its primary sees it: state, sync state, replay lag in bytes and time. */
export async function replicationState(primaryConn: ConnectionInfo) {
  return withSession(primaryConn, async (db) => {
    const { rows } = await db.query<{
      state: string;
      sync_state: string;
      lag_bytes: string | null;
      lag_ms: number | null;
    }>(
      `select state, sync_state,
              pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint as lag_bytes,
              (extract(epoch from replay_lag) * 1000)::float8 as lag_ms
       from pg_stat_replication where application_name = $1`,
      [STANDBY_NAME],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      state: r.state,
      syncState: r.sync_state,
      lagBytes: r.lag_bytes === null ? null : Number(r.lag_bytes),
      lagMs: r.lag_ms === null ? null : Math.round(r.lag_ms),
    };
  });
}

/**
 * Make commits wait for the standby (or stop waiting): a reload, no restart. With `standby`, also
 * wait until the primary reports the new sync state (the reload reaches the walsender later).
 */
export async function setSynchronous(
  primaryConn: ConnectionInfo,
  on: boolean,
  standby = false,
): Promise<void> {
  await withSession(primaryConn, async (db) => {
    await db.query(
      on
        ? `alter system set synchronous_standby_names = '"${STANDBY_NAME}"'`
        : "alter system reset synchronous_standby_names",
    );
    await db.query("select pg_reload_conf()");
  });
  const want = on ? "sync" : "async";
  for (let i = 0; standby && i < 100; i++) {
    if ((await replicationState(primaryConn))?.syncState === want) return;
    await sleep(50);
  }
  if (standby) throw platformError("SYNC_STATE", `the standby did not become ${want} in 5s`);
}

/** `pg_ctl promote -w`: returns once the standby accepts writes. */
export async function promote(standby: Cluster, signal: AbortSignal): Promise<number> {
  const started = Date.now();
  try {
    await run(standby.bins.pg_ctl, ["-D", standby.dataDir, "-w", "-t", "60", "promote"], {
      as: standby.as,
      signal,
    });
  } catch (e) {
    signal.throwIfAborted();
    throw platformError(
      "PROMOTE_FAILED",
      `the standby would not promote: ${(e as { stderr?: string }).stderr ?? String(e)}`,
      `see ${standby.logFile}`,
      e,
    );
  }
  return Date.now() - started;
}
