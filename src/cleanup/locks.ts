import { readdir, readFile, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { LockOwner } from "../engine/lock.js";
import { processAlive } from "../providers/local/processes.js";
import { listRunningMarkers } from "./running.js";
import type { CleanupScope, Leftover } from "./types.js";

export const lockDir = (root: string) => join(root, ".drill", "locks");

export interface LockFile {
  file: string;
  /** `drill-<name>` or `environment-<name>` (see src/engine/execute.ts). */
  key: string;
  owner: LockOwner | undefined;
  ageMs: number;
}

export async function readLocks(root: string, now = Date.now()): Promise<LockFile[]> {
  const dir = lockDir(root);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".lock"));
  return Promise.all(
    names.map(async (n) => {
      const file = join(dir, n);
      const text = await readFile(file, "utf8").catch(() => "");
      let owner: LockOwner | undefined;
      try {
        owner = JSON.parse(text) as LockOwner;
      } catch {
        owner = undefined;
      }
      const mtime = await stat(file).then(
        (s) => s.mtimeMs,
        () => now,
      );
      return { file, key: n.slice(0, -".lock".length), owner, ageMs: now - mtime };
    }),
  );
}

/**
 * A lock is held while its owner lives; another host's owner cannot be checked, so it counts as
 * alive. A lock with no owner yet is being written, unless it is old (its writer died first).
 */
export async function isHeld(lock: LockFile): Promise<boolean> {
  if (!lock.owner) return lock.ageMs < 5_000;
  if (lock.owner.host !== hostname()) return true;
  return processAlive(lock.owner.pid);
}

/** Whether any run on this project is in progress (every run holds its drill's lock). */
export async function anyLockHeld(root: string): Promise<boolean> {
  for (const lock of await readLocks(root)) if (await isHeld(lock)) return true;
  return false;
}

/** Lock files whose owner is gone, of the selected environments' drills. */
export async function staleLocks(scope: CleanupScope): Promise<Leftover[]> {
  const { project } = scope;
  const markers = await listRunningMarkers(project.root);
  const envOf = (key: string, runId?: string): string | undefined => {
    if (key.startsWith("environment-")) return key.slice("environment-".length);
    if (!key.startsWith("drill-")) return undefined;
    return (
      project.drills.get(key.slice("drill-".length))?.drill.environment ??
      markers.find((m) => m.runId === runId)?.marker?.environment
    );
  };
  const all = Object.keys(project.config.environments).length === scope.environments.length;
  const out: Leftover[] = [];
  for (const lock of await readLocks(project.root, scope.now)) {
    const env = envOf(lock.key, lock.owner?.runId);
    if (env ? !scope.environments.includes(env) : !all) continue;
    if (await isHeld(lock)) continue;
    out.push({
      kind: "lock",
      what: `.drill/locks/${lock.key}.lock`,
      why: lock.owner
        ? `held by run ${lock.owner.runId}, whose process ${lock.owner.pid} is gone`
        : "empty, its writer is gone",
      ...(lock.owner?.runId ? { runId: lock.owner.runId } : {}),
      remove: async () => {
        // Only the lock as we judged it: a run may have taken it over since.
        const now = (await readLocks(project.root)).find((l) => l.key === lock.key);
        if (now && now.owner?.pid === lock.owner?.pid && now.owner?.runId === lock.owner?.runId)
          await rm(lock.file, { force: true });
      },
    });
  }
  return out;
}
