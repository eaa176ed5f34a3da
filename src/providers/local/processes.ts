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

/**
 * Whether a process lives, and is still the one that wrote a label at `since` (epoch ms): after
 * a crash the kernel may give the pid to an unrelated process, which then started later. The
 * margin errs towards "alive" (a clock stepped by NTP): a live run must never look dead.
 */
export async function processAlive(pid: number, since?: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0 || !(await alive(pid))) return false;
  if (since === undefined) return true;
  const started = await processStartedAt(pid);
  return started === undefined || started <= since + 60_000;
}

/** Start time of a process (epoch ms) from /proc: boot time plus its start in clock ticks. */
async function processStartedAt(pid: number): Promise<number | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  const boot = /^btime (\d+)$/m.exec(await fs.readFile("/proc/stat", "utf8").catch(() => ""));
  // Fields after the command name (which may hold spaces); starttime is field 22 overall.
  const ticks = Number(stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  if (!boot || !Number.isFinite(ticks)) return undefined;
  // Linux reports in USER_HZ, 100 on every architecture Node runs on.
  return Number(boot[1]) * 1000 + ticks * 10;
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
        return hit && (await alive(Number(pid))) ? Number(pid) : undefined;
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
    for (const pid of pids) if (await alive(pid)) signal(pid, "SIGKILL");
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
