import type { PhysicalBackupSource, RecoveryTarget } from "../../types.js";
import type { RunAs } from "../os-user.js";

/**
 * The seam between a physical backup source (pgBackRest, Barman, pg_basebackup tar + WAL archive,
 * the sandbox's own snapshots + WAL archive) and the recovery every one of them ends with
 * (recover.ts): the source lays the backup's files into an empty data folder and says how
 * PostgreSQL fetches WAL; recovery sanitises the folder, replays to the target, promotes,
 * measures what it reached and hands the copy to its working role.
 *
 * Words: a backup *set* is one base backup (a pgBackRest label, a Barman backup id, a tar);
 * a *segment* is one WAL file named by timeline and position (000000010000000000000003).
 */

/** The backup set a restore would use, for `drill plan` and the run record. */
export interface BackupSet {
  /** Label, backup id or file name. */
  id: string;
  /** When the base backup finished (ISO); the copy is consistent from then. */
  stoppedAt?: string;
  startedAt?: string;
  /** The WAL segments the base backup itself needs (from its start to its stop). */
  startSegment?: string;
  stopSegment?: string;
  /** The backup's PostgreSQL major version (PG_VERSION): it picks the server binaries. */
  postgresMajor: number;
  bytes?: number;
}

/** The WAL an archive holds, as far as it can be listed without fetching it. */
export interface WalRange {
  /** Oldest and newest segment names on the newest timeline (undefined: empty or unknown). */
  first?: string;
  last?: string;
  /** Segments listed; null when the source cannot list them. */
  segments: number | null;
  /** Where the list came from: "pgbackrest info", a folder, an S3 prefix. */
  from: string;
}

/** A source's answer for `drill plan`: nothing fetched, nothing started. */
export interface BackupPlan {
  set: BackupSet;
  wal: WalRange;
  /** One line: "pgBackRest stanza main, set 20261201-140000F (2h ago) + WAL …01 to …2A → new cluster". */
  description: string;
  details: Record<string, unknown>;
}

export interface LayDownOptions {
  /** Empty, 0700, owned by the server user; the backup's files go here. */
  dataDir: string;
  /**
   * A private folder of the run (same owner) for anything else: downloaded WAL, a tool's spool,
   * lock and log folders, generated config. Removed with the run folder.
   */
  spoolDir: string;
  /** The OS user PostgreSQL runs as (root runs servers as `postgres`); undefined: ourselves. */
  as: RunAs | undefined;
  target: RecoveryTarget;
  signal: AbortSignal;
  progress(message: string): void;
}

export interface LaidDown {
  /**
   * The shell command PostgreSQL runs for one WAL file, with %f and %p left for it to fill (the
   * source quotes every path it puts in). It must exit non-zero when the file is not there; the
   * recovery wraps it to record which names were asked for and not found.
   */
  fetchWal: string;
  /**
   * When the WAL is in a folder (fetchWal only copies from it): the recovery's wrapper copies from
   * it itself instead of running fetchWal, one process fewer per segment.
   */
  walFolder?: string;
  /**
   * Variables fetchWal needs in the server's environment (a repository's credentials): the
   * recovery starts the server with them, so they reach restore_command without being written.
   */
  env?: Record<string, string>;
  /** What laying down took and found (bytes, ms, the tool's version), for the run record. */
  details: Record<string, unknown>;
}

/** One kind of physical backup, resolved from the drill's `from`. */
export interface PhysicalSource {
  readonly kind: PhysicalBackupSource["kind"] | "snapshot";
  /** Which set, what WAL: for `drill plan` and before laying down (exit 2/3 on a bad source). */
  plan(signal: AbortSignal): Promise<BackupPlan>;
  /** Put the chosen set's files into `dataDir` (tablespaces mapped inside the run folder). */
  layDown(plan: BackupPlan, o: LayDownOptions): Promise<LaidDown>;
  /**
   * The segment names the archive holds at this moment, to tell a gap in the archive (recovery
   * to `latest` ended early at a missing segment while later ones exist) from its true end.
   */
  listWal(signal: AbortSignal): Promise<string[]>;
}
