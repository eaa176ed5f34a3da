import { cleanupProject, type CleanupItem } from "../cleanup/cleanup.js";
import { loadProject, type Project } from "../definitions/project.js";
import { DrillError, type ExitCode } from "../errors.js";
import type { Logger } from "../log.js";
import { writeLine, type Io } from "./io.js";
import { loadOrReport } from "./project.js";

export interface CleanupFlags {
  dryRun?: boolean;
  environment?: string;
}

const DONE = { remove: "removed", stop: "stopped", record: "recorded" } as const;

const verb = (item: CleanupItem) =>
  item.status === "removed"
    ? DONE[item.action]
    : item.status === "listed"
      ? `would ${item.action}`
      : `could not ${item.action}`;

/**
 * `drill cleanup [--dry-run] [--environment NAME]`: one line per thing found. Exit 0 when all of
 * it is gone (or only listed), 3 when something could not be removed, 2 for bad input.
 */
export async function cleanupCommand(flags: CleanupFlags, io: Io): Promise<ExitCode> {
  // The drills tell which environment a drill's lock belongs to; a drill file being edited into
  // shape must not stop a cleanup, which then needs only the config.
  const full = await loadProject(io.cwd, io.env, { usedScrubbersOnly: true });
  const project = full.ok ? full.project : await loadOrReport(io, []);
  if (!project) return 2;
  let items: CleanupItem[];
  try {
    items = await cleanupProject(project, {
      dryRun: flags.dryRun ?? false,
      ...(flags.environment !== undefined ? { environment: flags.environment } : {}),
    });
  } catch (e) {
    if (!(e instanceof DrillError)) throw e;
    writeLine(io.stderr, `drill cleanup: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`);
    return e.exitCode;
  }
  if (items.length === 0) writeLine(io.stdout, "nothing to clean up");
  for (const i of items) {
    const line = `${verb(i)} ${i.kind} ${i.what}  (${i.why})`;
    writeLine(io.stdout, i.error ? `${line}: ${i.error}` : line);
  }
  const failed = items.filter((i) => i.status === "failed").length;
  if (failed > 0)
    writeLine(
      io.stderr,
      `drill cleanup: ${failed} could not be removed; run it again or see above`,
    );
  return failed > 0 ? 3 : 0;
}

/** The daemon's hourly pass: the same, into the log. */
export function daemonCleanup(log: Logger): (project: Project) => Promise<void> {
  return async (project) => {
    await cleanupProject(project, { log });
  };
}
