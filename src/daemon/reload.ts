import { watch, type FSWatcher } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import type { Config, DaemonConfig } from "../definitions/config.js";
import type { Timer } from "./scheduler.js";

/** The folders whose files make the project: a change in any of them reloads it. */
const WATCHED = ["drills", "config", "scrubbers"];
/** An editor's save is several file events: reload once, this long after the last. */
const RELOAD_DEBOUNCE_MS = 300;

/**
 * Call `reload` after files change under the project's folders (when `watch`) and on each
 * request through `onReload` (SIGHUP). Returns what stops both.
 */
export function watchProject(o: {
  root: string;
  timer: Timer;
  watch: boolean;
  onReload?(fn: () => void): () => void;
  reload(): void;
}): () => void {
  let pending: unknown;
  const request = () => {
    o.timer.clear(pending);
    pending = o.timer.set(o.reload, RELOAD_DEBOUNCE_MS);
  };
  const watchers: FSWatcher[] = [];
  if (o.watch)
    for (const dir of WATCHED) {
      try {
        watchers.push(watch(join(o.root, dir), request));
      } catch {
        // A folder that does not exist has nothing to watch.
      }
    }
  const unsubscribe = o.onReload?.(request);
  return () => {
    o.timer.clear(pending);
    unsubscribe?.();
    for (const w of watchers) w.close();
  };
}

/**
 * Settings a reload cannot switch in a running daemon, named where `loaded` differs from
 * `running`. The history store holds the leases of running drills and the records /metrics and
 * the overdue check were read from; the HTTP server, the dispatcher and shutdown were built from
 * the daemon settings. The metrics token is not here: it is read per request.
 */
export function keptUntilRestart(running: Config, loaded: Config): string[] {
  const kept: string[] = [];
  if (!isDeepStrictEqual(running.history, loaded.history)) kept.push("history");
  for (const key of Object.keys(running.daemon) as (keyof DaemonConfig)[])
    if (key !== "metricsToken" && running.daemon[key] !== loaded.daemon[key])
      kept.push(`daemon.${key}`);
  return kept;
}

/** The loaded config with what `keptUntilRestart` names taken from the running one. */
export function withRunningSettings(running: Config, loaded: Config): Config {
  const { metricsToken } = loaded.daemon;
  return { ...loaded, history: running.history, daemon: { ...running.daemon, metricsToken } };
}
