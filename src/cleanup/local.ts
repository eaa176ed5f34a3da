import { readdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { sandboxStandbyPaths } from "../providers/local/failover.js";
import { readRunLabel, type RunLabel } from "../providers/local/owner.js";
import {
  killAllUnder,
  postmasterPids,
  processesUnder,
  stopPostmasters,
} from "../providers/local/processes.js";
import { runsDir } from "../providers/local/run-cluster.js";
import { sandboxPaths, starterAlive } from "../providers/local/sandbox.js";
import { TEMP_PREFIX } from "../providers/local/wal-archive.js";
import { platformError } from "../errors.js";
import { localEnvironments, withEnvironment } from "../state/environment.js";
import { keptPgpassFile, statePaths } from "../state/layout.js";
import { stampAlive } from "../state/liveness.js";
import { anyLockHeld, lockHeld, lockKey, readLocks } from "../state/locks.js";
import { shown, type CleanupScope, type Leftover } from "./types.js";

const selectedLocal = (scope: CleanupScope) =>
  scope.environments.filter((n) => scope.project.config.environments[n]?.provider === "local");

/** Run folders (and their servers), kept copies past their time, and sandbox servers nobody runs. */
export async function localLeftovers(scope: CleanupScope): Promise<Leftover[]> {
  if (selectedLocal(scope).length === 0) return [];
  const root = scope.project.root;
  const out: Leftover[] = [];
  const folders = await readdir(runsDir(root)).catch(() => [] as string[]);
  const busy = await anyLockHeld(root);
  for (const name of folders) {
    const dir = path.join(runsDir(root), name);
    const label = await readRunLabel(dir);
    const why = await verdict(label, scope.now, busy);
    if (!why) continue;
    out.push({
      kind: label?.keepUntil ? "kept copy" : "run folder",
      what: shown(root, dir),
      why,
      runId: label?.runId ?? name,
      remove: () => removeRunFolder(root, dir, label?.runId ?? name),
    });
  }
  // A kept copy's password file whose folder is already gone.
  const kept = await readdir(statePaths(root).kept).catch(() => [] as string[]);
  for (const f of kept.filter((n) => n.endsWith(".pgpass"))) {
    const runId = f.slice(0, -".pgpass".length);
    if (folders.includes(runId)) continue;
    out.push({
      kind: "password file",
      what: shown(root, keptPgpassFile(root, runId)),
      why: "its kept copy is gone",
      runId,
      remove: () => rm(keptPgpassFile(root, runId), { force: true }),
    });
  }
  out.push(...(await sandboxServers(scope)));
  out.push(...(await archiveTempFiles(root)));
  return out;
}

/**
 * Half-copied segments archive_command left when it was killed (its server crashed or was
 * killed with the run). Only while the primary is down: a running archiver may be mid-copy.
 */
async function archiveTempFiles(root: string): Promise<Leftover[]> {
  const p = sandboxPaths(root);
  if ((await postmasterPids(p.dataDir)).length > 0) return [];
  const names = await readdir(p.walArchive).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(TEMP_PREFIX))
    .map((n) => ({
      kind: "WAL archive temp file",
      what: shown(root, path.join(p.walArchive, n)),
      why: "a copy archive_command did not finish",
      remove: () => rm(path.join(p.walArchive, n), { force: true }),
    }));
}

/** Why a run folder goes, or undefined while it is in use (or kept). */
async function verdict(label: RunLabel | undefined, now: number, busy: boolean) {
  if (!label) return busy ? undefined : "no owner label and no run in progress";
  if (label.keepUntil)
    return Date.parse(label.keepUntil) <= now ? `kept until ${label.keepUntil}` : undefined;
  if (Date.parse(label.expiresAt) <= now) return `expired ${label.expiresAt}`;
  if (label.host !== hostname()) return undefined;
  const alive = await stampAlive(label, Date.parse(label.startedAt));
  return alive ? undefined : `its runner (pid ${label.pid}) died`;
}

async function removeRunFolder(root: string, dir: string, runId: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const left = await killAllUnder(dir);
    if (left.length > 0)
      throw platformError(
        "CLEANUP_STUCK",
        `processes ${left.join(", ")} under ${dir} would not stop`,
      );
    await rm(dir, { recursive: true, force: true });
    // A server that was still starting when we looked may have come up since: look again.
    if ((await processesUnder(dir)).length === 0) break;
  }
  await rm(keptPgpassFile(root, runId), { force: true });
}

/**
 * The sandbox primary and standby run only during a run (which holds its environment's lock):
 * one running while no lock is held, started by a process that is gone, was left by a killed
 * run. It is stopped cleanly; its data stays.
 */
async function sandboxServers(scope: CleanupScope): Promise<Leftover[]> {
  const root = scope.project.root;
  const envs = localEnvironments(scope.project);
  const held = await Promise.all(
    (await readLocks(root))
      .filter((l) => envs.some((e) => l.key === lockKey.environment(e)))
      .map(lockHeld),
  );
  if (held.some(Boolean)) return [];
  const servers = [
    {
      kind: "sandbox primary",
      dataDir: sandboxPaths(root).dataDir,
      orphan: !(await starterAlive(root)),
    },
    { kind: "sandbox standby", dataDir: sandboxStandbyPaths(root).dataDir, orphan: true },
  ];
  const out: Leftover[] = [];
  for (const s of servers) {
    if (!s.orphan || (await postmasterPids(s.dataDir)).length === 0) continue;
    out.push({
      kind: s.kind,
      what: shown(root, s.dataDir),
      why: "running with no run in progress; its data is kept",
      action: "stop",
      // Every local environment held, so no run starts on the sandbox while we stop it.
      remove: () =>
        withEnvironment(scope.project, envs, () => stopPostmasters(s.dataDir), holder()),
    });
  }
  return out;
}

const holder = () => ({
  runId: `cleanup-${process.pid}`,
  drill: "cleanup",
  since: new Date().toISOString(),
});
