import { join } from "node:path";

/**
 * Every path drill keeps between processes, named here only, so that what writes a file (a run)
 * and what reads it later (`drill cleanup`, `drill sandbox`, the next run) cannot disagree:
 *
 *   <root>/.drill/
 *     locks/<key>.lock        one holder per drill and per local environment (locks.ts)
 *     running/<runId>.json    a run in progress (running.ts)
 *     kept/<runId>.pgpass     a kept local copy's password; kept/aws/ holds AWS copies'
 *     outbox/<id>.json        channel posts not delivered yet
 *     sandbox/                the sandbox's state, passwords and snapshots
 *     history/                run records, unless config names another store
 *     examples.key            the key of example hashes
 *   <cluster home>/           `.drill` itself, or a temp folder when root runs the servers
 *     runs/<runId>/           a run's staging cluster (see runFolder)
 *     sandbox-primary/        data/, postgres.log, wal-archive/ (archive_command's folder)
 *     sandbox-standby/
 *
 * The cluster home's place is the local provider's choice (providers/local/home.ts): it
 * depends on which OS user runs PostgreSQL, and a folder outside the project must be checked
 * before it is trusted.
 */
export const STATE_DIR = ".drill";

/** Relative to the project root: config's default history store. */
export const DEFAULT_HISTORY_PATH = `${STATE_DIR}/history`;

export const stateDir = (root: string) => join(root, STATE_DIR);

export function statePaths(root: string) {
  const dir = stateDir(root);
  return {
    dir,
    locks: join(dir, "locks"),
    running: join(dir, "running"),
    kept: join(dir, "kept"),
    outbox: join(dir, "outbox"),
    examplesKey: join(dir, "examples.key"),
  };
}

export const lockFile = (root: string, key: string) => join(statePaths(root).locks, `${key}.lock`);

export const runningFile = (root: string, runId: string) =>
  join(statePaths(root).running, `${runId}.json`);

/** A kept local copy's password file (0600); its copy is the run folder of the same run id. */
export const keptPgpassFile = (root: string, runId: string) =>
  join(statePaths(root).kept, `${runId}.pgpass`);

/**
 * A kept AWS copy's password file, in a folder of its own: what clears local copies (cleanup,
 * `drill sandbox reset`) takes only the files directly in `kept/`.
 */
export const awsKeptPgpassFile = (root: string, runId: string) =>
  join(statePaths(root).kept, "aws", `${runId}.pgpass`);

/** The sandbox's own files (never cluster data: that lives in the cluster home). */
export function sandboxFiles(root: string) {
  const base = join(stateDir(root), "sandbox");
  return {
    base,
    password: join(base, "password"),
    replicationPassword: join(base, "replication-password"),
    state: join(base, "state.json"),
    snapshots: join(base, "snapshots"),
  };
}

const server = (dir: string, data: string) => ({
  dir,
  dataDir: join(dir, data),
  logFile: join(dir, "postgres.log"),
});

/** What lives in the cluster home: run folders and the sandbox's servers. */
export function clusterLayout(home: string) {
  const runs = join(home, "runs");
  return {
    home,
    runs,
    run: (runId: string) => runFolder(join(runs, runId)),
    sandboxPrimary: {
      ...server(join(home, "sandbox-primary"), "data"),
      // Beside its data folder: a new primary (initdb) starts a new WAL history, and removing
      // the primary's folder removes the archive that belongs to it.
      walArchive: join(home, "sandbox-primary", "wal-archive"),
    },
    sandboxStandby: server(join(home, "sandbox-standby"), "data"),
  };
}

/** One run's folder: its owner label, its staging cluster, and a failover step's standby. */
export function runFolder(dir: string) {
  return {
    ...server(dir, "pgdata"),
    label: join(dir, "owner.json"),
    standby: server(join(dir, "standby"), "pgdata"),
  };
}
