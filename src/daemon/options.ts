import type { FleetLister } from "../coverage/collect.js";
import type { Project } from "../definitions/project.js";
import { executeDrill } from "../engine/execute.js";
import type { Logger } from "../log.js";
import type { NotifyOptions } from "../notify/notify.js";
import type { Clock, RunRecord } from "../types.js";
import type { HttpLimits } from "./http.js";
import type { Timer } from "./scheduler.js";

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
  execute?: Execute;
  notify?: Omit<NotifyOptions, "log" | "clock">;
  /** `drill cleanup`: what crashed runs left behind; at start and every CLEANUP_PERIOD_MS. */
  cleanup?(project: Project): Promise<void>;
  onListening?(port: number): void;
  /** What the coverage check lists (default: each provider's own; tests give a mocked one). */
  fleet?: FleetLister;
}

export type Execute = (project: Project, drill: string, signal: AbortSignal) => Promise<RunRecord>;

/** How the daemon runs a drill unless told otherwise: the engine, logging its steps' starts. */
export function engineExecute(o: {
  log: Logger;
  clock: Clock;
  notify: Omit<NotifyOptions, "log" | "clock">;
}): Execute {
  const { log } = o;
  return async (project, drill, signal) => {
    const result = await executeDrill(project, drill, {
      signal,
      fromDaemon: true,
      log,
      clock: o.clock,
      notify: o.notify,
      emit: (e) => {
        if (e.type === "run:start") log.info({ drill, runId: e.runId }, "run started");
        if (e.type === "step:start") log.info({ drill, step: e.name }, "step started");
      },
    });
    return result.record;
  };
}
