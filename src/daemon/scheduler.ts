import type { Project } from "../definitions/project.js";
import type { Clock } from "../types.js";
import { cronSchedule, type CronSchedule } from "./cron.js";

/** Injected with the clock so the scheduler is tested without sleeping. */
export interface Timer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimer: Timer = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ScheduledDrill {
  name: string;
  schedule: CronSchedule;
}

/** Never sleep longer than this: a clock that jumps (suspend, NTP) is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;

/**
 * Decides when each drill is due and says so through `onDue(drill, slotAt)`; what happens then
 * (concurrency, overlaps, leases) is the dispatcher's. Slots missed while the process slept are
 * fired once, not once per missed slot.
 */
export class Scheduler {
  private entries = new Map<string, { schedule: CronSchedule; at: number | null }>();
  private handle: unknown;
  private running = false;
  /** When the loop last woke: /healthz reports the scheduler dead when this gets old. */
  lastTickAt: number;

  constructor(
    private readonly opts: {
      clock: Clock;
      timer: Timer;
      onDue(drill: string, slotAt: number): void;
    },
  ) {
    this.lastTickAt = opts.clock.now();
  }

  /** Replace the scheduled drills; an unchanged schedule keeps its next slot. */
  set(drills: ScheduledDrill[]): void {
    const now = this.opts.clock.now();
    const next = new Map<string, { schedule: CronSchedule; at: number | null }>();
    for (const d of drills) {
      const old = this.entries.get(d.name);
      const same =
        old &&
        old.schedule.expression === d.schedule.expression &&
        old.schedule.timezone === d.schedule.timezone;
      next.set(d.name, same ? old : { schedule: d.schedule, at: d.schedule.next(now) });
    }
    this.entries = next;
    if (this.running) this.arm();
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.handle !== undefined) this.opts.timer.clear(this.handle);
    this.handle = undefined;
  }

  /** Next slot per drill (epoch ms), for /metrics and logs. */
  nextRuns(): Map<string, number | null> {
    return new Map([...this.entries].map(([name, e]) => [name, e.at]));
  }

  /** Fire what is due now and sleep until the next slot (or a minute, whichever is first). */
  private tick = (): void => {
    this.handle = undefined;
    if (!this.running) return;
    const now = this.opts.clock.now();
    this.lastTickAt = now;
    for (const [name, entry] of this.entries) {
      if (entry.at === null || entry.at > now) continue;
      const slot = entry.at;
      entry.at = entry.schedule.next(now);
      this.opts.onDue(name, slot);
    }
    this.arm();
  };

  private arm(): void {
    if (this.handle !== undefined) this.opts.timer.clear(this.handle);
    const now = this.opts.clock.now();
    const soonest = Math.min(
      ...[...this.entries.values()].map((e) => e.at ?? Infinity),
      now + MAX_SLEEP_MS,
    );
    this.handle = this.opts.timer.set(this.tick, Math.max(0, soonest - now));
  }
}

/** The project's drills that have a schedule, each in its own timezone or the config's. */
export function scheduledDrills(project: Project): ScheduledDrill[] {
  const tz = project.config.timezone ?? "UTC";
  return [...project.drills.values()].flatMap(({ drill }) =>
    drill.schedule
      ? [{ name: drill.name, schedule: cronSchedule(drill.schedule, drill.timezone ?? tz) }]
      : [],
  );
}
