import type { TableInfo } from "../scrub/catalog.js";
import type { ConnectionInfo } from "../types.js";
import type { ObjectStore } from "./object-store.js";

/**
 * The contract between steps and providers: steps see this file and nothing else of a provider.
 * `local` makes PostgreSQL clusters on this machine; `aws` restores RDS and Aurora. Scrub, verify
 * and failover only see the ConnectionInfo.
 */
export type RestoreSource =
  // `target`: replay the archived WAL after the snapshot up to it (local sandbox only).
  | { kind: "snapshot"; snapshot: string; target?: RecoveryTarget } // "latest" or an id
  | { kind: "before"; before: Date }
  | { kind: "pointInTime"; time: "latest" | Date }
  // Absolute path (resolved against the project) or s3://; `format: "plain"` lets SQL text in.
  | { kind: "archive"; path: string; format?: "plain" }
  | PhysicalBackupSource;

/**
 * Where WAL replay stops (recovery_target_*, then promote). `latest`: every segment the archive
 * holds. A relative time ("2h ago") is resolved against the run's clock before it gets here.
 */
export type RecoveryTarget =
  | { kind: "latest" }
  | { kind: "time"; time: Date }
  | { kind: "lsn"; lsn: string }
  | { kind: "name"; name: string };

/** What a physical copy is entered as: its bootstrap superuser and the database to work on. */
export interface PhysicalCopyRoles {
  /** The backup's superuser drill connects as first, over a private socket (default postgres). */
  superuser: string;
  /** The database the copy's connection names (default postgres). */
  database: string;
}

/** pgBackRest, Barman and pg_basebackup -Ft backups: restored into a local cluster, then replayed. */
export type PhysicalBackupSource = PhysicalCopyRoles & { target: RecoveryTarget } & (
    | {
        kind: "pgbackrest";
        stanza: string;
        /** A pgbackrest.conf path (absolute), or the repository given inline. */
        config: PgBackRestConfig;
        /** "latest" or a backup label. */
        set: string;
      }
    | {
        kind: "barman";
        server: string;
        /** barman.conf (absolute path). */
        config: string;
        /** "latest" or a backup id. */
        backup: string;
      }
    | {
        kind: "basebackup";
        /** base.tar[.gz] of pg_basebackup -Ft (absolute path, or s3://bucket/key). */
        base: string;
        /** WAL as archive_command or pg_receivewal writes it (absolute folder, or s3://bucket/prefix/). */
        wal: string;
      }
  );

export type PgBackRestConfig =
  | { file: string }
  | { repoPath: string }
  | {
      s3: {
        bucket: string;
        endpoint: string;
        region: string;
        /** The repository's path inside the bucket (repo1-path), default /. */
        repoPath?: string;
        uriStyle?: "host" | "path";
        /** A CA file for an endpoint with a private CA (repo1-storage-ca-file). */
        caFile?: string;
      };
    };

export type RestoreSourceKind = "snapshot" | "archive" | PhysicalBackupSource["kind"];

/** What a restore would use, resolved without creating anything (for `drill plan`). */
export interface RestorePlan {
  source: { kind: RestoreSourceKind; id: string; takenAt?: string };
  /** Shown to the user: "snapshot 20261128T163000Z (taken 2h ago) → new cluster on port 54321". */
  description: string;
  details: Record<string, unknown>;
}

export interface RestoredCopy {
  /** What restore, scrub and verify use; on a local copy a role that is not a superuser. */
  connection: ConnectionInfo;
  /**
   * A superuser of the copy, where `connection` is not one: only for statements that run none of
   * the copy's own code (roles, grants, extensions, ending backends) and for handing a kept copy
   * over. Absent where the connection is already the most drill has (AWS's master user).
   */
  admin?: ConnectionInfo;
  source: RestorePlan["source"];
  details: Record<string, unknown>;
  /** Stop and delete the copy. Idempotent; safe to call after a partial restore. */
  dispose(): Promise<void>;
}

export interface RestoreOptions {
  runId: string;
  signal: AbortSignal;
  progress(message: string): void;
  /**
   * Called as soon as there is something to remove, before any long wait, so that an abort or
   * a failure in the middle of a restore still cleans up.
   */
  onCreated(dispose: () => Promise<void>): void;
}

/** The databases of production's cluster, and the one its connection (and a copy's) names. */
export interface SourceDatabases {
  names: string[];
  own: string;
}

export interface Provider {
  readonly name: string;
  /**
   * Bring production to the state a run starts from (local sandbox: create and seed it on first
   * use, append the orders taken since it was last up, take a snapshot when the newest is older
   * than the backup interval). Not part of the recovery clock.
   */
  prepare(opts: {
    signal: AbortSignal;
    progress(message: string): void;
    /**
     * False when the run uses nothing of production (it restores an archive and fails over no
     * production): the local sandbox is then neither started nor snapshotted.
     */
    production?: boolean;
  }): Promise<Record<string, unknown>>;
  planRestore(source: RestoreSource): Promise<RestorePlan>;
  restore(plan: RestorePlan, opts: RestoreOptions): Promise<RestoredCopy>;
  /** Stop whatever `prepare` started (the sandbox primary). Always called at the end of a run. */
  release(): Promise<void>;
  /**
   * The tables of one of production's databases as they are now (after `prepare`), read-only, for
   * checks that must fail before a restore: `database`, or production's own (the one a restored
   * copy's connection names) when omitted. Absent where production cannot be read (AWS).
   */
  sourceCatalog?(signal: AbortSignal, database?: string): Promise<TableInfo[]>;
  /** Production's databases (templates left out) and its own one; absent with sourceCatalog. */
  sourceDatabases?(signal: AbortSignal): Promise<SourceDatabases>;
  /** A primary with a standby to fail over (the `failover` step); absent when unsupported. */
  failoverPair?(request: FailoverPairRequest): Promise<FailoverPair>;
  /** Leaves a run's scrubbed copy running for the team (scrub's `keep`); absent when unsupported. */
  readonly keeper?: CopyKeeper;
  /** Versioned buckets (S3) for the `s3-restore` step; absent when the platform has none. */
  objectStore?(): ObjectStore;
}

export interface KeepRequest {
  runId: string;
  until: Date;
  connection: ConnectionInfo;
}

export interface CopyKeeper {
  keep(o: KeepRequest): Promise<KeptCopy>;
  /** Throws (exit 2) when the configuration cannot keep a copy (aws: no team groups). */
  check?(): void;
}

export interface KeptCopy {
  until: string;
  pgpassFile: string;
  /** How the team connects; the password stays in the 0600 file, never on a screen or in a record. */
  connect: string;
}

/** How the primary is made to fail: killed (`crash`) or stopped cleanly first (`switchover`). */
export type FailoverMode = "crash" | "switchover";

export interface FailoverPairRequest {
  /** `staging` (the run's restored copy), `production`, or a named resource of the provider. */
  target: string;
  /** The run's restored copy, for `target: staging`. */
  copy?: { runId: string; connection: ConnectionInfo; admin?: ConnectionInfo };
  /** The standby confirms each commit before it is acknowledged (synchronous_standby_names). */
  synchronous: boolean;
  /** AWS production: the database named by the step (else the environment's production). */
  production?: { dbInstance: string } | { dbCluster: string; targetInstance?: string };
  /** Where the probe writes when the provider cannot know it (an AWS production endpoint). */
  probeEndpoint?: ConnectionInfo;
  signal: AbortSignal;
  progress(message: string): void;
  /** Register removal of what was made (a standby) the moment it exists. */
  defer(label: string, fn: () => Promise<void>): void;
}

export interface FailoverResult {
  /** When the failure was caused (epoch ms). */
  triggeredAt: number;
  /** When the new primary accepted writes, as the platform reports it (epoch ms). */
  completedAt: number;
  /** Time the promotion itself took (promote request → writable), platform side. */
  promoteMs: number;
  details: Record<string, unknown>;
}

/** A primary with a standby (or a Multi-AZ database) ready to fail over. */
export interface FailoverPair {
  description: string;
  /** What making the pair took (building a standby is not downtime). */
  details: Record<string, unknown>;
  /** The current primary, in the database the probe writes to. */
  primary(): ConnectionInfo;
  /** Every node that may be the primary after the failover, for the probe to search. */
  nodes(): ConnectionInfo[];
  /** Replication state just before the failover: lag in bytes and time (null when unknown). */
  replication(): Promise<{ lagBytes: number | null; lagMs: number | null; state: string | null }>;
  failover(mode: FailoverMode): Promise<FailoverResult>;
  /** Bring the pair back to health (the old primary becomes a standby of the new one). */
  repair(): Promise<Record<string, unknown>>;
}

export type {
  CopyCheck,
  ObjectStore,
  ObjectVersion,
  PlannedCall,
  StagingBucket,
} from "./object-store.js";
