import { promises as fs } from "node:fs";
import path from "node:path";
import type { RestoredCopy, RestoreOptions } from "../types.js";
import type { ServerBinaries } from "./binaries.js";
import { copyTree, formatBytes } from "./files.js";
import { chownTree, type RunAs } from "./os-user.js";
import { makeRunDir, runCluster, setRunPassword, waitUntilPrimary } from "./run-cluster.js";
import { SHOP_DATABASE } from "./shop-schema.js";
import { handOver } from "./working-role.js";
import type { SnapshotMeta, Snapshots } from "./snapshots.js";

export interface SnapshotRestoreContext {
  root: string;
  bins: ServerBinaries;
  as: RunAs | undefined;
  snapshots: Snapshots;
  /** Production's password: the copy starts with it and is given its own at once. */
  sandboxPassword: string;
}

/** Copy a snapshot to a run folder and start it: PostgreSQL replays the WAL to a consistent state. */
export async function restoreSnapshot(
  ctx: SnapshotRestoreContext,
  snap: SnapshotMeta,
  opts: RestoreOptions,
): Promise<RestoredCopy> {
  opts.signal.throwIfAborted();
  const { runDir, cluster, dispose } = runCluster(ctx.root, opts.runId, ctx.bins, ctx.as);
  await makeRunDir(runDir, ctx.as);
  opts.onCreated(dispose);

  opts.progress(`copying snapshot ${snap.id} (${formatBytes(snap.size)})`);
  const copyStart = Date.now();
  const bytes = await copyTree(ctx.snapshots.dataDir(snap.id), cluster.dataDir, {
    signal: opts.signal,
  });
  await chownTree(runDir, ctx.as);
  await fs.chmod(cluster.dataDir, 0o700);
  const copyMs = Date.now() - copyStart;

  opts.signal.throwIfAborted();
  const startAt = Date.now();
  await cluster.start({
    signal: opts.signal,
    onPort: (port) => {
      opts.progress(`starting PostgreSQL on port ${port}`);
      opts.progress("recovering");
    },
  });
  await waitUntilPrimary(cluster.connection(ctx.sandboxPassword), opts.signal);
  const startMs = Date.now() - startAt;
  const password = await setRunPassword(cluster.connection(ctx.sandboxPassword), opts.signal);
  // Before anyone but the runner can reach it: its code runs as the working role from now on.
  opts.progress("handing the copy to its working role");
  const handAt = Date.now();
  const handed = await handOver(cluster.connection(password), SHOP_DATABASE, opts.signal);

  return {
    connection: handed.connection,
    admin: handed.admin,
    source: { kind: "snapshot", id: snap.id, takenAt: snap.takenAt },
    details: {
      port: cluster.port,
      dataDir: path.relative(ctx.root, cluster.dataDir),
      bytesCopied: bytes,
      copyMs,
      startMs,
      postgresVersion: snap.postgresVersion,
      workingRole: { ...handed.details, ms: Date.now() - handAt },
    },
    dispose,
  };
}
