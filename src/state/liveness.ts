import { readFile } from "node:fs/promises";
import { hostname } from "node:os";

/**
 * Who wrote a state file (a lock, a run marker, a run folder's label, the sandbox's starter),
 * so that a later process can tell whether the writer still runs.
 */
export interface ProcessStamp {
  pid: number;
  host: string;
  /**
   * `<boot id>:<start time in clock ticks>` from /proc: a pid the kernel gave to another process
   * (after the writer died, or after a reboot) has another. Absent where there is no /proc, and
   * in files an older drill wrote.
   */
  processStart?: string;
}

let mine: Promise<ProcessStamp> | undefined;

/** This process's stamp (read once: a process's start time never changes). */
export function ownStamp(): Promise<ProcessStamp> {
  mine ??= processStart(process.pid).then((start) => ({
    pid: process.pid,
    host: hostname(),
    ...(start ? { processStart: start } : {}),
  }));
  return mine;
}

/** A clock stepped by NTP must not make a live writer look dead (see the fallback below). */
const CLOCK_MARGIN_MS = 60_000;

/**
 * The one rule for whether a stamp's writer still runs. Another host's process cannot be looked
 * at: it counts as alive, and each kind of file says how long it may then stay (a TTL, or
 * nothing for locks, which order the processes of one host). On this host: the pid must be a
 * live process (a zombie is not), and the same process: its start time must be the stamp's.
 * A stamp without one (an older drill) falls back to the time the file was written: the
 * process must have started before it.
 */
export async function stampAlive(
  stamp: Pick<ProcessStamp, "pid" | "host"> & { processStart?: unknown },
  writtenAt?: number,
): Promise<boolean> {
  if (stamp.host !== hostname()) return true;
  if (!Number.isInteger(stamp.pid) || stamp.pid <= 0 || !(await pidAlive(stamp.pid))) return false;
  const now = await processStart(stamp.pid);
  if (typeof stamp.processStart === "string" && now !== undefined)
    return now === stamp.processStart;
  if (writtenAt === undefined || Number.isNaN(writtenAt)) return true;
  const started = await processStartedAt(stamp.pid);
  return started === undefined || started <= writtenAt + CLOCK_MARGIN_MS;
}

/** Whether a pid is a running process; a zombie (exited, not yet reaped) counts as gone. */
export async function pidAlive(pid: number): Promise<boolean> {
  const stat = await readStat(pid);
  if (stat !== undefined) return !/^\d+ \(.*\) [ZX]/s.test(stat);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // Alive, but another user's.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** See ProcessStamp.processStart; undefined without /proc or when the process is gone. */
export async function processStart(pid: number): Promise<string | undefined> {
  const [ticks, boot] = await Promise.all([startTicks(pid), bootId()]);
  return ticks !== undefined && boot ? `${boot}:${ticks}` : undefined;
}

let boot: Promise<string | undefined> | undefined;
const bootId = () =>
  (boot ??= readFile("/proc/sys/kernel/random/boot_id", "utf8").then(
    (t) => t.trim() || undefined,
    () => undefined,
  ));

const readStat = (pid: number) => readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);

/** Field 22 of /proc/<pid>/stat; the command name before it may hold spaces and parentheses. */
async function startTicks(pid: number): Promise<number | undefined> {
  const stat = await readStat(pid);
  const ticks = stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  return ticks && /^\d+$/.test(ticks) ? Number(ticks) : undefined;
}

/** Start time in epoch ms: boot time (which moves when the clock is set) plus the ticks. */
async function processStartedAt(pid: number): Promise<number | undefined> {
  const ticks = await startTicks(pid);
  const btime = /^btime (\d+)$/m.exec(await readFile("/proc/stat", "utf8").catch(() => ""));
  // Linux reports in USER_HZ, 100 on every architecture Node runs on.
  return btime && ticks !== undefined ? Number(btime[1]) * 1000 + ticks * 10 : undefined;
}
