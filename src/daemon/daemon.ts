import type { Project } from "../definitions/project.js";
import { openHistory } from "../history/open.js";
import type { HistoryStore } from "../history/store.js";
import type { Logger } from "../log.js";
import { deliverOutbox, notifyNotice, type NotifyOptions } from "../notify/notify.js";
import { errorText } from "../redact.js";
import { systemClock, type Clock, type RunRecord } from "../types.js";
import { collectCoverage } from "../coverage/collect.js";
import { providerFleet } from "../coverage/fleet.js";
import { coordinatorFor } from "./coordinator.js";
import { CoverageWatch, postCoverage } from "./coverage.js";
import { Dispatcher } from "./dispatcher.js";
import { serveProbes } from "./http.js";
import { loadLogged } from "./load.js";
import { createMetrics, type DaemonMetrics } from "./metrics.js";
import { engineExecute, type DaemonOptions } from "./options.js";
import { Maintenance, MAINTENANCE_MS } from "./maintenance.js";
import { Overdue } from "./overdue.js";
import { keptUntilRestart, watchProject, withRunningSettings } from "./reload.js";
import { Scheduler, scheduledDrills, systemTimer, type Timer } from "./scheduler.js";
import { recordSkipped } from "./skipped.js";

/** `drill daemon`: schedule, run, serve probes and metrics, until the signal aborts. Returns the exit code. */
export async function runDaemon(opts: DaemonOptions): Promise<0 | 2 | 3> {
  const daemon = await Daemon.load(opts);
  if (!daemon) return 2;
  await daemon.start();
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    opts.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await daemon.stop(opts.signal.reason);
  return 0;
}

/**
 * The daemon's state and its four moments: start (serve, schedule, maintain), reload (new
 * drills and channels; the history store and daemon settings stay), maintain (one round, never
 * two at once) and stop. Time comes from the injected clock and timer only.
 */
export class Daemon {
  private readonly clock: Clock;
  private readonly timer: Timer;
  private readonly log: Logger;
  private readonly store: HistoryStore;
  private readonly overdue: Overdue;
  private readonly dispatcher: Dispatcher;
  private readonly scheduler: Scheduler;
  private http?: Awaited<ReturnType<typeof serveProbes>>;
  private unwatch?: () => void;
  private ready = false;
  private stopping = false;
  private readonly maintenance: Maintenance;
  private readonly coverage: CoverageWatch;

  /** The daemon for the project under `opts.root`, or undefined when its config is invalid. */
  static async load(opts: DaemonOptions): Promise<Daemon | undefined> {
    const clock = opts.clock ?? systemClock;
    const startedAt = clock.now();
    const project = await loadLogged(opts.root, opts.env, opts.log);
    if (!project) return undefined;
    return new Daemon(opts, project, await createMetrics(clock, startedAt), startedAt);
  }

  private constructor(
    private readonly opts: DaemonOptions,
    private project: Project,
    private readonly metrics: DaemonMetrics,
    startedAt: number,
  ) {
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.timer = opts.timer ?? systemTimer;
    this.store = openHistory(project);
    const settings = project.config.daemon;
    const { log, clock, timer } = this;
    const announce = (drill: string, text: string) => this.announce(drill, text);
    this.overdue = new Overdue({ clock, log, metrics, startedAt, announce });
    const execute = opts.execute ?? engineExecute({ log, clock, notify: opts.notify ?? {} });
    this.dispatcher = new Dispatcher({
      maxConcurrent: settings.maxConcurrent,
      coordinator: coordinatorFor(this.store, settings.leaseTtl),
      timer,
      leaseTtlMs: settings.leaseTtl,
      log,
      execute: (drill, signal) => execute(this.project, drill, signal),
      onStart: () => metrics.setRunning(this.dispatcher.running + 1),
      onRecord: (record) => this.finished(record),
      onSkip: (drill, reason, detail, slotAt) => {
        metrics.skipped(drill, reason);
        // Another replica running the slot is not a skip of this drill's schedule.
        if (reason === "overlap")
          void recordSkipped(this.project, this.store, log, { drill, detail, slotAt });
      },
    });
    const fleet = opts.fleet ?? providerFleet();
    this.coverage = new CoverageWatch({
      clock,
      log,
      metrics,
      settings: () => this.project.config.coverage,
      collect: () => collectCoverage(this.project, { clock, store: this.store, fleet }),
      announce: (fresh) => postCoverage(this.project, fresh, this.notifyOptions()),
    });
    this.scheduler = new Scheduler({ clock, timer, onDue: (d, at) => this.dispatcher.due(d, at) });
    const { cleanup } = opts;
    this.maintenance = new Maintenance({
      clock,
      timer,
      log,
      chores: () => this.chores(),
      ...(cleanup ? { cleanup: () => cleanup(this.project) } : {}),
    });
  }

  /** Serve the probes, schedule the drills, begin the maintenance rounds and the file watch. */
  async start(): Promise<void> {
    const { log, opts, store } = this;
    const settings = this.project.config.daemon;
    this.schedule();
    this.http = await serveProbes(
      {
        healthy: () => this.clock.now() - this.scheduler.lastTickAt < 3 * MAINTENANCE_MS,
        ready: () => this.ready && !this.stopping,
        metrics: async () => ({
          contentType: this.metrics.contentType,
          text: await this.metrics.text(),
        }),
      },
      {
        port: opts.port ?? settings.port,
        host: opts.host ?? settings.host,
        // The current config's: a reload that changes or removes the token applies at once.
        metricsToken: () => this.project.config.daemon.metricsToken,
        ...(opts.httpLimits ? { limits: opts.httpLimits } : {}),
      },
    );
    opts.onListening?.(this.http.port);
    const metrics = settings.metricsToken ? "bearer token" : "open";
    const where = { host: opts.host ?? settings.host, port: this.http.port };
    log.info({ ...where, store: store.kind, metrics }, "daemon started");
    if (store.kind === "s3")
      log.warn("S3 history store: run a single daemon (S3 cannot hold a run lease)");
    await this.readHistory().catch((e: unknown) =>
      log.error({ error: errorText(e) }, "history unreadable; not ready"),
    );
    this.scheduler.start();
    this.maintenance.start();
    this.unwatch = watchProject({
      root: opts.root,
      timer: this.timer,
      watch: opts.watch !== false,
      ...(opts.onReload ? { onReload: opts.onReload } : {}),
      reload: () => void this.reload(),
    });
  }

  /** Load the files again: new drills, schedules, channels and metrics token apply at once. */
  async reload(): Promise<void> {
    if (this.stopping) return;
    const next = await loadLogged(this.opts.root, this.opts.env, this.log);
    if (!next) return void this.log.error("config is invalid: keeping the previous schedule");
    const kept = keptUntilRestart(this.project.config, next.config);
    if (kept.length > 0)
      this.log.warn(
        { kept, store: this.store.kind },
        `config changed ${kept.join(", ")}: the old history store and daemon settings stay until the daemon restarts`,
      );
    // Runs keep saving where this daemon's leases and metrics live; the token is read per request.
    this.project = { ...next, config: withRunningSettings(this.project.config, next.config) };
    this.schedule();
    await this.readHistory().catch(() => {});
  }

  /** One maintenance round (outbox, overdue, next runs; cleanup when due), after any going. */
  maintain(): Promise<void> {
    return this.maintenance.round();
  }

  /** No new runs; abort running drills, give their cleanup the grace period, close everything. */
  async stop(reason?: unknown): Promise<void> {
    this.stopping = true;
    const running = this.dispatcher.running;
    this.log.warn({ running }, "stopping: no new runs; aborting running drills");
    this.scheduler.stop();
    this.maintenance.stop();
    this.unwatch?.();
    const grace = this.project.config.daemon.shutdownGrace;
    if (!(await this.dispatcher.shutdown(grace, reason)))
      this.log.error("grace period over: exiting with drills still cleaning up");
    await this.http?.close();
    await this.store.close().catch(() => {});
    this.log.info("daemon stopped");
  }

  private async chores(): Promise<void> {
    const { log } = this;
    if (!this.ready)
      await this.readHistory().catch((e: unknown) =>
        log.error({ error: errorText(e) }, "history unreadable"),
      );
    const out = await deliverOutbox(this.project, this.notifyOptions()).catch((e: unknown) => {
      log.error({ error: errorText(e) }, "outbox delivery failed");
      return undefined;
    });
    if (out) this.metrics.setOutboxPending(out.pending);
    await this.overdue.check();
    for (const [name, at] of this.scheduler.nextRuns()) this.metrics.nextRun(name, at);
    await this.coverage.maybeCheck();
  }

  private schedule(): void {
    const scheduled = scheduledDrills(this.project);
    for (const gone of this.overdue.names().filter((n) => !scheduled.some((s) => s.name === n)))
      this.metrics.forget(gone);
    this.scheduler.set(scheduled);
    this.overdue.set(scheduled);
    for (const [name, at] of this.scheduler.nextRuns()) this.metrics.nextRun(name, at);
    this.log.info({ drills: scheduled.map((s) => s.name) }, "scheduled");
  }

  /** Latest and latest passed run per drill, so /metrics and overdue start from the history. */
  private async readHistory(): Promise<void> {
    for (const name of this.overdue.names()) {
      const runs = await this.store.list(name, { limit: 50 });
      const success = runs.find((r) => r.outcome === "passed");
      const last = runs.find((r) => r.outcome !== "skipped");
      if (last) this.metrics.observe(last, { count: false, ...(success ? { success } : {}) });
      if (success) this.overdue.observed(success);
    }
    this.ready = true;
  }

  private finished(record: RunRecord): void {
    const { drill, id: runId, outcome } = record;
    this.log.info({ drill, runId, outcome }, "run finished");
    this.metrics.observe(record);
    this.overdue.observed(record);
    this.metrics.setRunning(this.dispatcher.running - 1);
  }

  private async announce(drill: string, text: string): Promise<void> {
    const channels = this.project.drills.get(drill)?.drill.notify ?? [];
    const notice = { drill, title: `⏰ ${drill} overdue`, text };
    await notifyNotice(this.project, channels, notice, this.notifyOptions());
  }

  private notifyOptions(): NotifyOptions {
    return { ...this.opts.notify, log: this.log, clock: this.clock };
  }
}
