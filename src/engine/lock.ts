import { open, readFile, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { DrillError } from "../errors.js";
import { privateDir } from "../private-files.js";

export interface LockOwner {
  pid: number;
  host: string;
  runId: string;
  drill: string;
  since: string;
}

/**
 * One run at a time per key, across processes on this host: a lock file created exclusively
 * holding the owner's pid. A crashed owner cannot hold it forever: a lock whose process is gone
 * is taken over. (Several hosts share a PostgreSQL lease instead; that comes with the daemon.)
 */
export async function acquireLock(
  dir: string,
  key: string,
  owner: Omit<LockOwner, "pid" | "host">,
  what: string,
): Promise<() => Promise<void>> {
  await privateDir(dir);
  const file = join(dir, `${key}.lock`);
  const me: LockOwner = { pid: process.pid, host: hostname(), ...owner };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 50));
    try {
      const fh = await open(file, "wx", 0o600);
      await fh.writeFile(JSON.stringify(me));
      await fh.close();
      return async () => {
        const current = await readOwner(file);
        if (current?.pid === me.pid && current.runId === me.runId) await rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = await readOwner(file);
      if (holder && holder.host === me.host && isAlive(holder.pid)) {
        throw new DrillError(
          "input",
          "RUN_IN_PROGRESS",
          `${what} is in use by run ${holder.runId} of drill ${holder.drill} (pid ${holder.pid}, since ${holder.since})`,
          {
            hint: "wait for it to finish, or stop that process; a lock of a dead process is taken over",
          },
        );
      }
      // A lock just created may not hold its owner yet: only an old unreadable one is abandoned.
      if (!holder && Date.now() - (await ageOf(file)) < 5000) continue;
      // The owner is gone (or wrote nothing before dying): the lock is stale.
      await rm(file, { force: true });
    }
  }
  throw new DrillError("platform", "LOCK_CONTENDED", `could not take the lock ${file}`);
}

async function ageOf(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
