import path from "node:path";
import { withSession } from "../../../db.js";
import { inputError } from "../../../errors.js";
import type {
  PhysicalCopyRoles,
  RecoveryTarget,
  RestoredCopy,
  RestoreOptions,
} from "../../types.js";
import type { ServerBinaries } from "../binaries.js";
import { chownTree, type RunAs } from "../os-user.js";
import { makeRunDir, runCluster, setRunPassword } from "../run-cluster.js";
import { handOver } from "../working-role.js";
import { firstMissing, replay, walMissing } from "./replay.js";
import { endRecovery, sanitise, writeRecoveryConfig } from "./sanitise.js";
import { makeOwnedDir } from "./spool.js";
import type { BackupPlan, PhysicalSource } from "./types.js";
import { segmentsAfter } from "./wal-folder.js";

export interface RecoveryContext {
  /** Project root: the run folder goes under its cluster home (as every local restore's). */
  root: string;
  bins: ServerBinaries;
  as: RunAs | undefined;
  /** The run's clock: "as of" for a `latest` target is the restore's start. */
  now(): number;
}

export interface RecoveryRequest extends PhysicalCopyRoles {
  target: RecoveryTarget;
}

/** What the run record says about the replay (RestoredCopy.details.recovery). */
export interface RecoveryDetails {
  target: RecoveryTarget;
  lastReplayedCommit: string | null;
  lastReplayedLsn: string | null;
  timeline: number | null;
  /** target − last replayed commit (time target), restore start − last commit (latest), else null. */
  reachedRpoMs: number | null;
  segmentsReplayed: number;
  replayMs: number;
  replayMBps: number | null;
  settingsDropped: string[];
  set: BackupPlan["set"];
}

/**
 * Restore a physical backup into a new run folder: the source lays the files down, the folder is
 * sanitised, PostgreSQL replays WAL to the target and promotes, and the copy is handed to the
 * working role before anyone but the runner can reach it. Every physical source ends here.
 */
export async function restoreBackup(
  ctx: RecoveryContext,
  source: PhysicalSource,
  plan: BackupPlan,
  request: RecoveryRequest,
  opts: RestoreOptions,
): Promise<RestoredCopy> {
  opts.signal.throwIfAborted();
  const startedAt = ctx.now();
  const { runDir, cluster, dispose } = runCluster(ctx.root, opts.runId, ctx.bins, ctx.as);
  await makeRunDir(runDir, ctx.as);
  opts.onCreated(dispose);
  const spoolDir = path.join(runDir, "spool");
  await makeOwnedDir(cluster.dataDir, ctx.as);
  await makeOwnedDir(spoolDir, ctx.as);

  const laid = await source.layDown(plan, {
    dataDir: cluster.dataDir,
    spoolDir,
    as: ctx.as,
    target: request.target,
    signal: opts.signal,
    progress: opts.progress,
  });
  const clean = await sanitise(cluster.dataDir, spoolDir);
  const files = await writeRecoveryConfig({
    dataDir: cluster.dataDir,
    spoolDir,
    as: ctx.as,
    fetchWal: laid.fetchWal,
    walFolder: laid.walFolder,
    target: request.target,
    superuser: request.superuser,
  });
  await chownTree(runDir, ctx.as);

  const replayed = await replay({
    cluster,
    files,
    superuser: request.superuser,
    database: request.database,
    archiveEnd: plan.wal.last,
    ...(laid.env ? { env: laid.env } : {}),
    signal: opts.signal,
    progress: opts.progress,
  });
  await endRecovery(files);
  if (request.target.kind === "latest") {
    // Promoted at the first missing segment: the end of the archive, or a gap in it.
    const missing = await firstMissing(files.missingLog);
    if (missing && segmentsAfter(await source.listWal(opts.signal), missing).length > 0)
      throw walMissing(missing, plan.wal.last);
  }
  const reached = await withSession(
    replayed.socket,
    async (db) =>
      (
        await db.query<{
          commit: Date | null;
          lsn: string | null;
          tli: string;
          seg: string;
          su: boolean;
        }>(
          `select pg_catalog.pg_last_xact_replay_timestamp() as commit,
                  pg_catalog.pg_last_wal_replay_lsn()::text as lsn,
                  substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8) as tli,
                  pg_catalog.current_setting('wal_segment_size') as seg,
                  (select rolsuper from pg_catalog.pg_roles where rolname = current_user) as su`,
        )
      ).rows[0]!,
    { signal: opts.signal, applicationName: "drill recovery" },
  );
  if (!reached.su) {
    throw inputError(
      "SUPERUSER_NOT_SUPERUSER",
      `the backup's role ${request.superuser} is not a superuser: name its superuser with superuser:`,
    );
  }
  const lastCommit = reached.commit ? reached.commit.getTime() : null;
  const reachedRpoMs =
    lastCommit === null
      ? null
      : request.target.kind === "time"
        ? Math.max(0, request.target.time.getTime() - lastCommit)
        : request.target.kind === "latest"
          ? Math.max(0, startedAt - lastCommit)
          : null;
  const segBytes = parseSize(reached.seg);
  const replayMBps =
    segBytes && replayed.replayMs > 0
      ? Math.round(
          ((replayed.segments.length * segBytes) / (1 << 20) / (replayed.replayMs / 1000)) * 10,
        ) / 10
      : null;
  const asOf =
    request.target.kind === "time"
      ? request.target.time.getTime()
      : request.target.kind === "latest"
        ? startedAt
        : lastCommit;

  // Its first password of the run goes over the private socket, whose trust needs none.
  const password = await setRunPassword(replayed.socket, opts.signal, request.superuser);
  opts.progress("handing the copy to its working role");
  const handAt = Date.now();
  const handed = await handOver(
    tcp(replayed.port, request, password),
    request.database,
    opts.signal,
  );

  const recovery: RecoveryDetails = {
    target: request.target,
    lastReplayedCommit: reached.commit ? reached.commit.toISOString() : null,
    lastReplayedLsn: reached.lsn,
    timeline: Number.parseInt(reached.tli, 16) || null,
    reachedRpoMs,
    segmentsReplayed: replayed.segments.length,
    replayMs: replayed.replayMs,
    replayMBps,
    settingsDropped: clean.settingsDropped,
    set: plan.set,
  };
  return {
    connection: handed.connection,
    admin: handed.admin,
    source: {
      kind: source.kind === "snapshot" ? "snapshot" : source.kind,
      id: plan.set.id,
      ...(asOf !== null ? { takenAt: new Date(asOf).toISOString() } : {}),
    },
    details: {
      port: replayed.port,
      dataDir: path.relative(ctx.root, cluster.dataDir),
      postgresMajor: plan.set.postgresMajor,
      layDown: laid.details,
      recovery,
      ...(clean.slotsRemoved.length > 0 ? { replicationSlotsRemoved: clean.slotsRemoved } : {}),
      workingRole: { ...handed.details, ms: Date.now() - handAt },
    },
    dispose,
  };
}

/** The superuser over TCP with its run password, as every other restore connects. */
const tcp = (port: number, r: RecoveryRequest, password: string) => ({
  host: "127.0.0.1",
  port,
  user: r.superuser,
  password,
  database: r.database,
});

/** "16MB" → bytes. */
function parseSize(s: string): number | null {
  const m = /^(\d+)\s*(B|kB|MB|GB)?$/.exec(s.trim());
  if (!m) return null;
  const unit = { B: 1, kB: 1024, MB: 1 << 20, GB: 1 << 30 }[m[2] ?? "B"] ?? 1;
  return Number(m[1]) * unit;
}
