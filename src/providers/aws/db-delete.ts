import { call, isNotFound } from "./errors.js";
import { assertOwned, keptUntil } from "./guard.js";
import { describeDb, type DbKind, type RdsRun } from "./db.js";
import { waitFor } from "./wait.js";

export interface DeleteOptions {
  signal: AbortSignal;
  progress(m: string): void;
  /** The run's own cleanup: leave a copy scrub's `keep` handed to the team (`drill cleanup` takes it). */
  sparesKept?: boolean;
}

/**
 * Delete an instance or cluster this run made, with no final snapshot and no retained backups,
 * and wait until it is gone; a cluster's instances go first. Refuses (GUARD_UNTAGGED) anything
 * without this run's tag, and anything configured as production.
 */
export async function deleteDb(
  run: RdsRun,
  kind: DbKind,
  id: string,
  o: DeleteOptions,
): Promise<{ keptUntil?: string }> {
  return deleteOne(run, kind, id, o, false);
}

async function deleteOne(
  run: RdsRun,
  kind: DbKind,
  id: string,
  o: DeleteOptions,
  inCluster: boolean,
): Promise<{ keptUntil?: string }> {
  const sdk = await import("@aws-sdk/client-rds");
  const found = await describeDb(run.rds, kind, id);
  if (!found) return {};
  assertOwned(run.env, id, found.tags, run.runId, "delete");
  const kept = o.sparesKept ? keptUntil(found.tags) : undefined;
  if (kept) {
    o.progress(`${id} is kept for the team until ${kept}: \`drill cleanup\` deletes it after`);
    return { keptUntil: kept };
  }
  if (kind === "cluster") {
    // `-1` is the instance the restore creates: also when the cluster does not list it yet.
    for (const member of new Set([`${id}-1`, ...found.members]))
      await deleteOne(run, "instance", member, o, true);
  }
  if (found.status !== "deleting") {
    await call(`deleting ${id}`, async () => {
      try {
        const final = { SkipFinalSnapshot: true, DeleteAutomatedBackups: true };
        if (kind === "cluster") {
          await run.rds.send(new sdk.DeleteDBClusterCommand({ DBClusterIdentifier: id, ...final }));
        } else {
          // Aurora instances have no snapshots or backups of their own; the cluster does.
          const input = { DBInstanceIdentifier: id, ...(inCluster ? {} : final) };
          await run.rds.send(new sdk.DeleteDBInstanceCommand(input));
        }
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    });
  }
  await waitFor(run.rds, kind === "cluster" ? "cluster-deleted" : "instance-deleted", id, {
    ...o,
    waits: run.waits,
    timeoutMs: run.waits.deletedMs,
    phase: "deleting",
  });
  return {};
}
