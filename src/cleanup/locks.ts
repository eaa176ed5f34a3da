import { rm } from "node:fs/promises";
import { hostname } from "node:os";
import { lockHeld, parseLockKey, readLock, readLocks } from "../state/locks.js";
import { listRunningMarkers } from "../state/running.js";
import { shown, type CleanupScope, type Leftover } from "./types.js";

/** Lock files whose owner is gone, of the selected environments' drills. */
export async function staleLocks(scope: CleanupScope): Promise<Leftover[]> {
  const { project } = scope;
  const markers = await listRunningMarkers(project.root);
  const envOf = (key: string, runId?: string): string | undefined => {
    const parsed = parseLockKey(key);
    if (!parsed) return undefined;
    if ("environment" in parsed) return parsed.environment;
    return (
      project.drills.get(parsed.drill)?.drill.environment ??
      markers.find((m) => m.runId === runId)?.marker?.environment
    );
  };
  const all = Object.keys(project.config.environments).length === scope.environments.length;
  const out: Leftover[] = [];
  for (const lock of await readLocks(project.root, scope.now)) {
    const env = envOf(lock.key, lock.owner?.runId);
    if (env ? !scope.environments.includes(env) : !all) continue;
    if (await lockHeld(lock)) continue;
    out.push({
      kind: "lock",
      what: shown(project.root, lock.file),
      why: lock.owner ? whyStale(lock.owner) : "empty, its writer is gone",
      ...(lock.owner?.runId ? { runId: lock.owner.runId } : {}),
      remove: async () => {
        // Only the lock as we judged it: a run may have taken it over since.
        const now = (await readLock(lock.file)).owner;
        if (now?.pid === lock.owner?.pid && now?.runId === lock.owner?.runId)
          await rm(lock.file, { force: true });
      },
    });
  }
  return out;
}

const whyStale = (o: { runId: string; pid: number; host: string }) =>
  o.host === hostname()
    ? `held by run ${o.runId}, whose process ${o.pid} is gone`
    : `held by run ${o.runId} on host ${o.host}; a lock orders the runs of one host only`;
