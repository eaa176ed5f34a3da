import type { ExitCode } from "../errors.js";
import { runDaemon } from "../daemon/daemon.js";
import { loadSigner } from "../evidence/keys.js";
import { UNSIGNED_NOTE } from "../evidence/seal.js";
import type { Logger } from "../log.js";
import type { Io } from "./io.js";
import { daemonCleanup } from "./cleanup.js";

export interface DaemonFlags {
  port?: number;
  host?: string;
}

/**
 * `drill daemon`: run every scheduled drill until SIGTERM/SIGINT (io.signal), then abort what
 * runs, let its cleanup finish within the grace period and exit 0.
 */
export async function daemonCommand(
  flags: DaemonFlags,
  io: Io,
  log: Logger,
  onReload: (fn: () => void) => () => void,
): Promise<ExitCode> {
  // A key that cannot be used stops the daemon at start; none at all is logged once.
  if (!(await loadSigner(io.env))) log.warn(UNSIGNED_NOTE.replace(/^note: /, ""));
  return runDaemon({
    root: io.cwd,
    env: io.env,
    log,
    signal: io.signal,
    onReload,
    // At start and hourly: what killed runs (of any replica) left behind, and their records.
    cleanup: daemonCleanup(log),
    ...(flags.port !== undefined ? { port: flags.port } : {}),
    ...(flags.host !== undefined ? { host: flags.host } : {}),
  });
}
