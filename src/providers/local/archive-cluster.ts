import { randomBytes } from "node:crypto";
import { withSession } from "../../db.js";
import type { ConnectionInfo } from "../../types.js";
import type { RestoreOptions } from "../types.js";
import type { ServerBinaries } from "./binaries.js";
import type { Cluster } from "./cluster.js";
import type { RunAs } from "./os-user.js";
import { makeRunDir, runCluster, waitUntilPrimary } from "./run-cluster.js";
import { createWorkingRole, WORKING_ROLE } from "./working-role.js";

/** The database a restored archive lands in. */
export const ARCHIVE_DATABASE = "restored";

export interface ArchiveCluster {
  runDir: string;
  cluster: Cluster;
  /** The working role in ARCHIVE_DATABASE: pg_restore/psql load the archive as it. */
  connection: ConnectionInfo;
  /** The cluster's superuser in ARCHIVE_DATABASE: extensions, and nothing of the archive. */
  admin: ConnectionInfo;
  startMs: number;
  dispose(): Promise<void>;
}

/**
 * A fresh cluster for an archive (a local file or an S3 object): initdb, start, the working role,
 * and an empty database it owns, so everything the archive creates is the working role's and
 * nothing in it ever runs as the superuser.
 */
export async function startArchiveCluster(
  ctx: { root: string; bins: ServerBinaries; as: RunAs | undefined },
  opts: RestoreOptions,
): Promise<ArchiveCluster> {
  const { runDir, cluster, dispose } = runCluster(ctx.root, opts.runId, ctx.bins, ctx.as);
  await makeRunDir(runDir, ctx.as);
  opts.onCreated(dispose);

  const password = randomBytes(18).toString("base64url");
  const startAt = Date.now();
  opts.progress("creating a fresh cluster");
  await cluster.init(password, opts.signal);
  await cluster.start({
    signal: opts.signal,
    onPort: (port) => opts.progress(`starting PostgreSQL on port ${port}`),
  });
  await waitUntilPrimary(cluster.connection(password), opts.signal);
  const role = await createWorkingRole(cluster.connection(password), ARCHIVE_DATABASE, opts.signal);
  await withSession(
    cluster.connection(password),
    (db) => db.query(`create database ${ARCHIVE_DATABASE} owner ${WORKING_ROLE}`),
    { signal: opts.signal },
  );
  return { runDir, cluster, ...role, startMs: Date.now() - startAt, dispose };
}
