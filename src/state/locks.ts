import { open, readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { hostname } from "node:os";
import { DrillError } from "../errors.js";
import { privateDir } from "../private-files.js";
import { lockFile, statePaths } from "./layout.js";
import { ownStamp, stampAlive, type ProcessStamp } from "./liveness.js";
import { sleep } from "../sleep.js";

/** Who holds a lock: a run, or a command that needs an environment to itself. */
export interface Holder {
  runId: string;
  /** The drill, or the command ("scrubber init", "sandbox reset", "cleanup"). */
  drill: string;
  since: string;
}

export type LockOwner = ProcessStamp & Holder;

/** The names of lock files: one run per drill, one holder per local environment. */
export const lockKey = {
  drill: (name: string) => `drill-${name}`,
  environment: (name: string) => `environment-${name}`,
};

/** Which lock a key names; undefined for a file drill did not make. */
export function parseLockKey(key: string): { drill: string } | { environment: string } | undefined {
  const [, kind, name] = /^(drill|environment)-(.+)$/.exec(key) ?? [];
  if (!name) return undefined;
  return kind === "drill" ? { drill: name } : { environment: name };
}

export interface LockFile {
  file: string;
  key: string;
  owner: LockOwner | undefined;
  ageMs: number;
}

/** How long a lock may stay empty: its writer creates it and writes its owner straight away. */
const WRITING_MS = 5_000;

/**
 * Whether a lock is held, the same answer for the run that wants it and for `drill cleanup`.
 * Locks order the processes of one host (replicas share a PostgreSQL lease instead): another
 * host's lock is one this host's runs take over. Otherwise its owner must be alive (see
 * stampAlive; the file's mtime is when it was written). An empty lock is being written, unless
 * it is old (its writer died first).
 */
export async function lockHeld(lock: LockFile): Promise<boolean> {
  if (!lock.owner) return lock.ageMs < WRITING_MS;
  if (lock.owner.host !== hostname()) return false;
  return stampAlive(lock.owner, Date.now() - lock.ageMs);
}

/**
 * Take a lock, created exclusively and holding its owner; one whose owner is gone is taken over.
 * Returns its release, which removes the file only while it is still this holder's.
 */
export async function acquireLock(
  root: string,
  key: string,
  holder: Holder,
  what: string,
): Promise<() => Promise<void>> {
  const file = lockFile(root, key);
  await privateDir(dirname(file));
  const me: LockOwner = { ...(await ownStamp()), ...holder };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (attempt > 0) await sleep(50);
    try {
      const fh = await open(file, "wx", 0o600);
      await fh.writeFile(JSON.stringify(me));
      await fh.close();
      return async () => {
        const current = (await readLock(file)).owner;
        if (current?.pid === me.pid && current.runId === me.runId) await rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const lock = await readLock(file);
      if (await lockHeld(lock)) {
        if (lock.owner) throw inUse(what, lock.owner);
        continue;
      }
      await rm(file, { force: true });
    }
  }
  throw new DrillError("platform", "LOCK_CONTENDED", `could not take the lock ${file}`);
}

const inUse = (what: string, o: LockOwner) =>
  new DrillError(
    "input",
    "RUN_IN_PROGRESS",
    `${what} is in use by run ${o.runId} of drill ${o.drill} (pid ${o.pid}, since ${o.since})`,
    { hint: "wait for it to finish, or stop that process; a lock of a dead process is taken over" },
  );

export async function readLock(file: string, now = Date.now()): Promise<LockFile> {
  const text = await readFile(file, "utf8").catch(() => "");
  let owner: LockOwner | undefined;
  try {
    const parsed = JSON.parse(text) as LockOwner;
    owner = typeof parsed?.pid === "number" ? parsed : undefined;
  } catch {
    owner = undefined;
  }
  const mtime = await stat(file).then(
    (s) => s.mtimeMs,
    () => now,
  );
  return { file, key: basename(file, ".lock"), owner, ageMs: now - mtime };
}

export async function readLocks(root: string, now = Date.now()): Promise<LockFile[]> {
  const dir = statePaths(root).locks;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".lock"));
  return Promise.all(names.map((n) => readLock(join(dir, n), now)));
}

/** Whether any run on this project is in progress (every run holds its drill's lock). */
export async function anyLockHeld(root: string): Promise<boolean> {
  for (const lock of await readLocks(root)) if (await lockHeld(lock)) return true;
  return false;
}
