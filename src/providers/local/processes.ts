import { promises as fs } from "node:fs";
import path from "node:path";
import { pidAlive } from "../../state/liveness.js";
import { sleep } from "../../sleep.js";

/**
 * Postmasters whose command line names this data folder (pg_ctl starts `postgres -D <dir>`).
 * Read from /proc so a server whose pid file is missing is still found; empty elsewhere.
 */
export async function postmasterPids(dataDir: string): Promise<number[]> {
  const target = path.resolve(dataDir);
  const pids: number[] = [];
  const entries = await fs.readdir("/proc").catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        const raw = await fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
        const argv = raw.split("\0");
        const d = argv.indexOf("-D");
        if (
          d >= 0 &&
          argv[d + 1] &&
          path.resolve(argv[d + 1]!) === target &&
          /postgres$/.test(argv[0] ?? "")
        ) {
          pids.push(Number(pid));
        }
      }),
  );
  return pids;
}

const allAlive = async (pids: number[]) => (await Promise.all(pids.map(pidAlive))).some(Boolean);

/** SIGQUIT (immediate shutdown, children too), then SIGKILL; returns when all are gone. */
export async function killPostmasters(dataDir: string): Promise<void> {
  let pids = await postmasterPids(dataDir);
  for (const [signal, waitMs] of [
    ["SIGQUIT", 10_000],
    ["SIGKILL", 5_000],
  ] as const) {
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && (await allAlive(pids))) await sleep(50);
    const still = await Promise.all(pids.map(pidAlive));
    pids = pids.filter((_, i) => still[i]);
  }
}

/**
 * Everything running with a path under `dir` on its command line: postmasters, and the tools a
 * killed drill left mid-way (pg_ctl still starting a server, pg_basebackup building a standby).
 */
export async function processesUnder(dir: string): Promise<number[]> {
  const target = path.resolve(dir);
  const entries = await fs.readdir("/proc").catch(() => [] as string[]);
  const found = await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
      .map(async (pid) => {
        const argv = (await fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split(
          "\0",
        );
        const hit = argv.some((a) => a === target || a.includes(`${target}/`));
        return hit && (await pidAlive(Number(pid))) ? Number(pid) : undefined;
      }),
  );
  return found.filter((p): p is number => p !== undefined);
}

/**
 * Stop everything under a folder a dead run left: helpers are killed first (so none starts a
 * server after we looked), then postmasters get an immediate shutdown. Returns what was left.
 */
export async function killAllUnder(dir: string): Promise<number[]> {
  for (let round = 0; round < 4; round++) {
    const pids = await processesUnder(dir);
    if (pids.length === 0) return [];
    const postmasters = new Set(
      (await Promise.all(pids.map(async (p) => ((await isPostmaster(p)) ? p : 0)))).filter(Boolean),
    );
    for (const pid of pids) signal(pid, postmasters.has(pid) ? "SIGQUIT" : "SIGKILL");
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await allAlive(pids))) await sleep(50);
    for (const pid of pids) if (await pidAlive(pid)) signal(pid, "SIGKILL");
    await sleep(100);
  }
  return processesUnder(dir);
}

/** A clean stop (SIGINT is PostgreSQL's fast shutdown: no crash recovery on the next start). */
export async function stopPostmasters(dataDir: string, waitMs = 30_000): Promise<void> {
  const pids = await postmasterPids(dataDir);
  for (const pid of pids) signal(pid, "SIGINT");
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && (await allAlive(pids))) await sleep(100);
  await killPostmasters(dataDir);
}

async function isPostmaster(pid: number): Promise<boolean> {
  const argv = (await fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
  return /postgres$/.test(argv[0] ?? "") && argv.includes("-D");
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
