import { DrillError } from "../errors.js";
import type { Logger } from "../log.js";
import type { RunRecord } from "../types.js";
import type { Coordinator, Lease } from "./coordinator.js";
import type { Timer } from "./scheduler.js";
import { errorText } from "../redact.js";

export type SkipReason = "overlap" | "claimed-by-replica";

export interface DispatcherDeps {
  maxConcurrent: number;
  coordinator: Coordinator;
  /** Run one drill to its stored record (the daemon: executeDrill). */
  execute(drill: string, signal: AbortSignal): Promise<RunRecord>;
  timer: Timer;
  leaseTtlMs: number;
  log: Logger;
  onStart?(drill: string): void;
  onRecord?(record: RunRecord): void;
  onSkip?(drill: string, reason: SkipReason, detail: string, slotAt: number): void;
}

interface Active {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Turns "this drill is due" into at most one run per drill (also across replicas, through the
 * coordinator) and at most `maxConcurrent` runs at once; due drills beyond that wait in order.
 * A drill due while its previous run is still going (or waiting) is skipped, not queued twice.
 */
export class Dispatcher {
  private readonly queue: { drill: string; slotAt: number }[] = [];
  private readonly active = new Map<string, Active>();
  private starting = 0;
  private closed = false;

  constructor(private readonly deps: DispatcherDeps) {}

  get running(): number {
    return this.active.size;
  }

  due(drill: string, slotAt: number): void {
    if (this.closed) return;
    if (this.active.has(drill) || this.queue.some((q) => q.drill === drill)) {
      this.skip(drill, "overlap", "its previous run is still going", slotAt);
      return;
    }
    this.queue.push({ drill, slotAt });
    this.pump();
  }

  /** Resolves when nothing runs or waits (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.active.size > 0 || this.queue.length > 0 || this.starting > 0) {
      await Promise.all([...this.active.values()].map((a) => a.done));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Stop taking work, abort what runs (its cleanup still runs), wait up to `graceMs`. */
  async shutdown(graceMs: number, reason: unknown): Promise<boolean> {
    this.closed = true;
    this.queue.length = 0;
    for (const a of this.active.values()) a.controller.abort(reason);
    let handle: unknown;
    const timeout = new Promise<false>(
      (r) => (handle = this.deps.timer.set(() => r(false), graceMs)),
    );
    const finished = await Promise.race([this.idle().then(() => true as const), timeout]);
    this.deps.timer.clear(handle);
    return finished;
  }

  private pump(): void {
    while (
      !this.closed &&
      this.queue.length > 0 &&
      this.active.size + this.starting < this.deps.maxConcurrent
    ) {
      const next = this.queue.shift()!;
      this.starting++;
      void this.begin(next.drill, next.slotAt).finally(() => {
        this.starting--;
        this.pump();
      });
    }
  }

  private async begin(drill: string, slotAt: number): Promise<void> {
    const { coordinator, log } = this.deps;
    const runKey = `${drill}@${new Date(slotAt).toISOString()}`;
    let lease: Lease;
    try {
      if (!(await coordinator.claimSlot(drill, slotAt))) {
        this.skip(
          drill,
          "claimed-by-replica",
          `slot ${new Date(slotAt).toISOString()} taken by another replica`,
          slotAt,
        );
        return;
      }
      const got = await coordinator.acquire(drill, runKey);
      if ("heldBy" in got) {
        this.skip(drill, "overlap", `still running: ${got.heldBy}`, slotAt);
        return;
      }
      lease = got.lease;
    } catch (e) {
      log.error({ drill, error: message(e) }, "cannot coordinate the run; not started");
      return;
    }
    if (this.closed) {
      await lease.release().catch(() => {});
      return;
    }
    const controller = new AbortController();
    const done = this.run(drill, slotAt, controller, lease).finally(() => this.pump());
    this.active.set(drill, { controller, done });
  }

  private async run(
    drill: string,
    slotAt: number,
    controller: AbortController,
    lease: Lease,
  ): Promise<void> {
    const { timer, log } = this.deps;
    let renewal: unknown;
    let finished = false;
    const renew = () => {
      if (finished) return;
      renewal = timer.set(
        () => {
          lease
            .renew()
            .then((held) => {
              if (held) return renew();
              log.error({ drill }, "lost the run lease to another replica; aborting the run");
              controller.abort(new DrillError("interrupted", "LEASE_LOST", "run lease lost"));
            })
            .catch((e: unknown) => {
              log.warn({ drill, error: message(e) }, "cannot renew the run lease; trying again");
              renew();
            });
        },
        Math.max(1_000, this.deps.leaseTtlMs / 3),
      );
    };
    renew();
    try {
      this.deps.onStart?.(drill);
      const record = await this.deps.execute(drill, controller.signal);
      this.deps.onRecord?.(record);
    } catch (e) {
      if (e instanceof DrillError && e.code === "RUN_IN_PROGRESS") {
        // Another process on this host (a `drill run`) holds the drill's lock.
        this.skip(drill, "overlap", e.message, slotAt);
      } else log.error({ drill, error: message(e) }, "the drill could not run");
    } finally {
      finished = true;
      timer.clear(renewal);
      this.active.delete(drill);
      await lease
        .release()
        .catch((e: unknown) =>
          log.warn({ drill, error: message(e) }, "cannot release the run lease; it will lapse"),
        );
    }
  }

  private skip(drill: string, reason: SkipReason, detail: string, slotAt: number): void {
    if (reason === "overlap") log(this.deps.log, drill, detail);
    else this.deps.log.info({ drill, detail }, "run skipped: another replica runs it");
    this.deps.onSkip?.(drill, reason, detail, slotAt);
  }
}

const log = (l: Logger, drill: string, detail: string) =>
  l.warn({ drill, detail }, "run skipped: the drill's previous run overlaps this slot");

const message = errorText;
