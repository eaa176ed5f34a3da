import { watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import type { Project } from "../definitions/project.js";
import { DrillError } from "../errors.js";
import { executeDrill } from "../engine/execute.js";
import { openHistory } from "../history/open.js";
import type { Logger } from "../log.js";
import { deliverOutbox, type NotifyOptions } from "../notify/notify.js";
import { systemClock, type Clock, type RunRecord } from "../types.js";
import { coordinatorFor } from "./coordinator.js";
import { recordSkipped } from "./skipped.js";
import { Dispatcher } from "./dispatcher.js";
import { serveProbes, type HttpLimits } from "./http.js";
import { loadValidDrills } from "./load.js";
import { createMetrics } from "./metrics.js";
import { Overdue } from "./overdue.js";
import { Scheduler, systemTimer, type Timer } from "./scheduler.js";
import { cronSchedule } from "./cron.js";
import { errorText } from "../redact.js";

export interface DaemonOptions {
  root: string;
  env: Record<string, string | undefined>;
  log: Logger;
  /** Aborted on SIGTERM/SIGINT: stop scheduling, abort runs, let cleanup finish, return. */
  signal: AbortSignal;
  /** Subscribe to reload requests (SIGHUP); returns the unsubscribe. */
  onReload?(fn: () => void): () => void;
  port?: number;
  host?: string;
  /** The HTTP server's timeouts and connection cap (tests make them short). */
  httpLimits?: Partial<HttpLimits>;
  clock?: Clock;
  timer?: Timer;
  /** Watch drills/, config/ and scrubbers/ for changes (default true). */
  watch?: boolean;
  /** How a drill is run; the default is the engine's executeDrill (tests run small drills). */
  execute?(project: Project, drill: string, signal: AbortSignal): Promise<RunRecord>;
  notify?: Omit<NotifyOptions, "log" | "clock">;
  /** Issue 8's `drill cleanup`: called at start and every hour. */
  cleanup?(project: Project): Promise<void>;
  onListening?(port: number): void;
}

const MAINTENANCE_MS = 60_000;

/** `drill daemon`: schedule, run, serve probes and metrics, until the signal aborts. Returns the exit code. */
export async function runDaemon(opts: DaemonOptions): Promise<0 | 2 | 3> {
  const { log } = opts;
  const clock = opts.clock ?? systemClock;
  const timer = opts.timer ?? systemTimer;
  const startedAt = clock.now();
  const first = await loadValidDrills(opts.root, opts.env);
  for (const p of first.problems)
    log.error({ problem: p }, `invalid file, its drill is not scheduled: ${p}`);
  if (!first.project) return 2;
  let project: Project = first.project;
  const settings = project.config.daemon;
  const store = openHistory(project);
  const coordinator = coordinatorFor(store, settings.leaseTtl);
  const metrics = await createMetrics(clock, startedAt);
  const notify = { ...opts.notify, log, clock };
  const overdue = new Overdue({ clock, log, metrics, startedAt, announce: (d, n) => notice(d, n) });
  let ready = false;
  let stopping = false;

  const execute =
    opts.execute ??
    ((p: Project, drill: string, signal: AbortSignal) =>
      executeDrill(p, drill, {
        signal,
        fromDaemon: true,
        log,
        clock,
        notify: opts.notify ?? {},
        emit: (e) => {
          if (e.type === "run:start") log.info({ drill, runId: e.runId }, "run started");
          if (e.type === "step:start") log.info({ drill, step: e.name }, "step started");
        },
      }).then((r) => r.record));
  const dispatcher = new Dispatcher({
    maxConcurrent: settings.maxConcurrent,
    coordinator,
    timer,
    leaseTtlMs: settings.leaseTtl,
    log,
    execute: (drill, signal) => execute(project, drill, signal),
    onStart: () => metrics.setRunning(dispatcher.running + 1),
    onRecord: (record) => {
      log.info({ drill: record.drill, runId: record.id, outcome: record.outcome }, "run finished");
      metrics.observe(record);
      overdue.observed(record);
      metrics.setRunning(dispatcher.running - 1);
    },
    onSkip: (drill, reason, detail, slotAt) => {
      metrics.skipped(drill, reason);
      // Another replica running the slot is not a skip of this drill's schedule.
      if (reason === "overlap") void recordSkipped(project, store, log, { drill, detail, slotAt });
    },
  });
  const scheduler = new Scheduler({ clock, timer, onDue: (d, at) => dispatcher.due(d, at) });

  async function notice(drill: string, text: string) {
    const channels = project.drills.get(drill)?.drill.notify ?? [];
    const { notifyNotice } = await import("../notify/notify.js");
    await notifyNotice(project, channels, { drill, title: `⏰ ${drill} overdue`, text }, notify);
  }

  const apply = (p: Project) => {
    const tz = p.config.timezone ?? "UTC";
    const scheduled = [...p.drills.values()]
      .filter(({ drill }) => drill.schedule)
      .map(({ drill }) => ({
        name: drill.name,
        schedule: cronSchedule(drill.schedule!, drill.timezone ?? tz),
      }));
    for (const gone of overdue.names().filter((n) => !scheduled.some((s) => s.name === n)))
      metrics.forget(gone);
    scheduler.set(scheduled);
    overdue.set(scheduled);
    for (const [name, at] of scheduler.nextRuns()) metrics.nextRun(name, at);
    log.info({ drills: scheduled.map((s) => s.name) }, "scheduled");
  };

  /** Latest and latest passed run per drill, so /metrics and overdue start from the history. */
  const readHistory = async () => {
    for (const name of overdue.names()) {
      const runs = await store.list(name, { limit: 50 });
      const success = runs.find((r) => r.outcome === "passed");
      const last = runs.find((r) => r.outcome !== "skipped");
      if (last) metrics.observe(last, { count: false, ...(success ? { success } : {}) });
      if (success) overdue.observed(success);
    }
    ready = true;
  };

  const reload = async () => {
    if (stopping) return;
    const next = await loadValidDrills(opts.root, opts.env);
    for (const p of next.problems)
      log.error({ problem: p }, `invalid file, its drill is not scheduled: ${p}`);
    if (!next.project) return log.error("config is invalid: keeping the previous schedule");
    project = {
      ...next.project,
      config: { ...next.project.config, history: project.config.history },
    };
    apply(project);
    await readHistory().catch(() => {});
  };

  const maintain = async (cleanupDue: boolean) => {
    if (!ready)
      await readHistory().catch((e: unknown) => log.error({ error: msg(e) }, "history unreadable"));
    const out = await deliverOutbox(project, notify).catch((e: unknown) => {
      log.error({ error: msg(e) }, "outbox delivery failed");
      return undefined;
    });
    if (out) metrics.setOutboxPending(out.pending);
    await overdue.check();
    for (const [name, at] of scheduler.nextRuns()) metrics.nextRun(name, at);
    if (cleanupDue && opts.cleanup)
      await opts
        .cleanup(project)
        .catch((e: unknown) => log.error({ error: msg(e) }, "cleanup failed"));
  };

  apply(project);
  const http = await serveProbes(
    {
      healthy: () => clock.now() - scheduler.lastTickAt < 3 * MAINTENANCE_MS,
      ready: () => ready && !stopping,
      metrics: async () => ({ contentType: metrics.contentType, text: await metrics.text() }),
    },
    {
      port: opts.port ?? settings.port,
      host: opts.host ?? settings.host,
      // The current config's: a reload that changes or removes the token applies at once.
      metricsToken: () => project.config.daemon.metricsToken,
      ...(opts.httpLimits ? { limits: opts.httpLimits } : {}),
    },
  ).catch((e: unknown) => {
    throw new DrillError("platform", "DAEMON_PORT", `cannot serve HTTP: ${msg(e)}`, {
      hint: "choose another port with --port or daemon.port in config",
    });
  });
  opts.onListening?.(http.port);
  log.info(
    {
      host: opts.host ?? settings.host,
      port: http.port,
      store: store.kind,
      metrics: settings.metricsToken ? "bearer token" : "open",
    },
    "daemon started",
  );
  if (store.kind === "s3")
    log.warn("S3 history store: run a single daemon (S3 cannot hold a run lease)");
  await readHistory().catch((e: unknown) =>
    log.error({ error: msg(e) }, "history unreadable; not ready"),
  );
  scheduler.start();

  let rounds = 0;
  let maintenance: unknown;
  const loop = () => {
    maintenance = timer.set(() => {
      void maintain(++rounds % 60 === 0).finally(() => !stopping && loop());
    }, MAINTENANCE_MS);
  };
  // The next round waits for this one: two rounds at once would post one outbox entry twice.
  void maintain(true).finally(() => !stopping && loop());

  const watchers: FSWatcher[] = [];
  let debounce: unknown;
  const requestReload = () => {
    timer.clear(debounce);
    debounce = timer.set(() => void reload(), 300);
  };
  if (opts.watch !== false)
    for (const dir of ["drills", "config", "scrubbers"]) {
      try {
        watchers.push(watch(join(opts.root, dir), requestReload));
      } catch {
        // A folder that does not exist has nothing to watch.
      }
    }
  const unsubscribe = opts.onReload?.(requestReload);

  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    opts.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  stopping = true;
  log.warn({ running: dispatcher.running }, "stopping: no new runs; aborting running drills");
  scheduler.stop();
  timer.clear(maintenance);
  timer.clear(debounce);
  unsubscribe?.();
  for (const w of watchers) w.close();
  const finished = await dispatcher.shutdown(settings.shutdownGrace, opts.signal.reason);
  if (!finished) log.error("grace period over: exiting with drills still cleaning up");
  await http.close();
  await store.close().catch(() => {});
  log.info("daemon stopped");
  return 0;
}

const msg = errorText;
