import { formatDuration } from "../duration.js";
import type { Logger } from "../log.js";
import type { Clock, RunRecord } from "../types.js";
import { expectedInterval } from "./cron.js";
import type { DaemonMetrics } from "./metrics.js";
import type { ScheduledDrill } from "./scheduler.js";
import { errorText } from "../redact.js";

/**
 * A scheduled drill whose last success is older than its schedule's interval plus some slack
 * (the interval again, at most an hour: time for the run itself) is overdue: marked in /metrics
 * and announced in its channels once, until it passes again. A drill that never passed counts
 * from the daemon's start.
 */
export class Overdue {
  private drills = new Map<string, { interval: number | null }>();
  private readonly lastSuccess = new Map<string, number>();
  private readonly announced = new Set<string>();

  constructor(
    private readonly opts: {
      clock: Clock;
      log: Logger;
      metrics: Pick<DaemonMetrics, "overdue">;
      startedAt: number;
      announce(drill: string, text: string): Promise<void>;
    },
  ) {}

  set(scheduled: ScheduledDrill[]): void {
    const now = this.opts.clock.now();
    this.drills = new Map(
      scheduled.map((s) => [s.name, { interval: expectedInterval(s.schedule, now) }]),
    );
  }

  names(): string[] {
    return [...this.drills.keys()];
  }

  observed(record: RunRecord): void {
    if (record.outcome !== "passed") return;
    const at = Date.parse(record.finishedAt);
    if (at > (this.lastSuccess.get(record.drill) ?? 0)) this.lastSuccess.set(record.drill, at);
    this.announced.delete(record.drill);
  }

  /** Drills overdue now; announces each newly overdue one. */
  async check(): Promise<string[]> {
    const now = this.opts.clock.now();
    const late: string[] = [];
    for (const [drill, { interval }] of this.drills) {
      if (interval === null) continue;
      const since = this.lastSuccess.get(drill);
      const allowed = interval + Math.min(interval, 3_600_000);
      const is = now - (since ?? this.opts.startedAt) > allowed;
      this.opts.metrics.overdue(drill, is);
      if (!is) continue;
      late.push(drill);
      if (this.announced.has(drill)) continue;
      this.announced.add(drill);
      const text = since
        ? `no passed run for ${formatDuration(now - since)} (last ${new Date(since).toISOString()}); the schedule expects one every ${formatDuration(interval)}`
        : `no passed run since the daemon started ${formatDuration(now - this.opts.startedAt)} ago; the schedule expects one every ${formatDuration(interval)}`;
      this.opts.log.warn({ drill }, `drill overdue: ${text}`);
      await this.opts
        .announce(drill, text)
        .catch((e: unknown) =>
          this.opts.log.error({ drill, error: errorText(e) }, "cannot announce overdue drill"),
        );
    }
    return late;
  }
}
