import { promises as fs } from "node:fs";
import path from "node:path";

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

/** A zombie (exited, not yet reaped by its new parent) counts as gone. */
async function alive(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat !== undefined) return !/^\d+ \(.*\) [ZX]/s.test(stat);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const allAlive = async (pids: number[]) => (await Promise.all(pids.map(alive))).some(Boolean);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    const still = await Promise.all(pids.map(alive));
    pids = pids.filter((_, i) => still[i]);
  }
}
