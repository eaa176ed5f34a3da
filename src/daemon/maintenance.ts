import type { Logger } from "../log.js";
import { errorText } from "../redact.js";
import type { Clock } from "../types.js";
import type { Timer } from "./scheduler.js";

/** How long after a maintenance round ends the next begins. */
export const MAINTENANCE_MS = 60_000;
/** How long after the last cleanup a round runs it again (the first round, at start, does). */
export const CLEANUP_PERIOD_MS = 60 * 60_000;

/**
 * The daemon's periodic work: `chores` every round, `cleanup` when CLEANUP_PERIOD_MS has passed
 * since it last began. Rounds never overlap: two at once would post one outbox entry twice.
 */
export class Maintenance {
  private last: Promise<void> = Promise.resolve();
  private next: unknown;
  private stopped = false;
  private lastCleanupAt: number | undefined;

  constructor(
    private readonly o: {
      clock: Clock;
      timer: Timer;
      log: Logger;
      chores(): Promise<void>;
      cleanup?(): Promise<void>;
    },
  ) {}

  /** A round now, then one MAINTENANCE_MS after each round ends, until `stop`. */
  start(): void {
    void this.round().finally(() => {
      if (!this.stopped) this.next = this.o.timer.set(() => this.start(), MAINTENANCE_MS);
    });
  }

  stop(): void {
    this.stopped = true;
    this.o.timer.clear(this.next);
  }

  /** One round, once the round still going (if any) has ended. */
  round(): Promise<void> {
    this.last = this.last.then(() => this.once());
    return this.last;
  }

  private async once(): Promise<void> {
    await this.o.chores();
    if (!this.o.cleanup || !this.cleanupDue()) return;
    this.lastCleanupAt = this.o.clock.now();
    await this.o
      .cleanup()
      .catch((e: unknown) => this.o.log.error({ error: errorText(e) }, "cleanup failed"));
  }

  private cleanupDue(): boolean {
    if (this.lastCleanupAt === undefined) return true;
    const since = this.o.clock.now() - this.lastCleanupAt;
    // A clock set back (NTP, a restored VM) must not hold cleanup off until it catches up.
    return since >= CLEANUP_PERIOD_MS || since < 0;
  }
}
