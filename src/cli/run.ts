import type { Project } from "../definitions/project.js";
import { DrillError, toErrorRecord } from "../errors.js";
import type { ExitCode } from "../errors.js";
import { executeDrill } from "../engine/execute.js";
import { loadSigner } from "../evidence/keys.js";
import { UNSIGNED_NOTE } from "../evidence/seal.js";
import type { RunResult } from "../engine/runner.js";
import type { Logger } from "../log.js";
import type { RunRecord } from "../types.js";
import { liveDisplay } from "./display/live.js";
import { plainDisplay } from "./display/plain.js";
import { makeStyle } from "./display/style.js";
import { summaryLines } from "./display/summary.js";
import type { RunEvent } from "../engine/events.js";
import { writeLine, type Io } from "./io.js";
import { planCommand } from "./plan.js";
import { loadOrReport, selectedDrills } from "./project.js";

export interface RunFlags {
  json?: boolean;
  dryRun?: boolean;
  confirmProduction?: boolean;
}

/** `drill run <drill|file>...`: run each drill in turn; the exit code is the worst of them. */
export async function runCommand(
  targets: string[],
  flags: RunFlags,
  io: Io,
  log: Logger,
): Promise<ExitCode> {
  if (flags.dryRun) return planCommand(targets, { json: flags.json }, io);
  const project = await loadOrReport(io, targets);
  if (!project) return 2;
  // A key that cannot be used fails here, before anything is restored; none at all is said under
  // each run's summary (stdout: it is part of the result, and a refused run stores nothing).
  const signed = (await loadSigner(io.env)) !== undefined;
  const records: RunRecord[] = [];
  let worst: ExitCode = 0;
  for (const name of selectedDrills(project, targets)) {
    if (io.signal.aborted) break;
    const { code, record } = await runOne(project, name, { ...flags, signed }, io, log);
    if (record) records.push(record);
    worst = severity(code) > severity(worst) ? code : worst;
  }
  if (flags.json)
    writeLine(io.stdout, JSON.stringify(records.length === 1 ? records[0] : records, null, 2));
  return worst;
}

async function runOne(
  project: Project,
  name: string,
  flags: RunFlags & { signed: boolean },
  io: Io,
  log: Logger,
): Promise<{ code: ExitCode; record?: RunRecord }> {
  try {
    const result = await runWithDisplay(name, io, flags, (emit) =>
      executeDrill(project, name, {
        signal: io.signal,
        emit,
        log,
        confirmProduction: flags.confirmProduction ?? false,
      }),
    );
    const record = result.record;
    if (!flags.json) {
      for (const line of summaryLines(record, makeStyle(colour(io)))) writeLine(io.stdout, line);
      if (!flags.signed) writeLine(io.stdout, UNSIGNED_NOTE);
    }
    return { code: exitCodeOf(result), record };
  } catch (e) {
    if (!(e instanceof DrillError)) throw e;
    const err = toErrorRecord(e);
    writeLine(io.stderr, `drill ${name}: ${err.message}${err.hint ? ` (hint: ${err.hint})` : ""}`);
    return { code: e.exitCode };
  }
}

async function runWithDisplay(
  drillName: string,
  io: Io,
  flags: RunFlags,
  run: (emit: (e: RunEvent) => void) => Promise<RunResult>,
): Promise<RunResult> {
  if (flags.json) return run(() => {});
  if (!io.stdout.isTTY) return run(plainDisplay(io.stdout));
  writeLine(io.stdout, `drill run ${drillName}`);
  const live = liveDisplay(io.stdout, makeStyle(colour(io)));
  try {
    return await run(live.handle);
  } finally {
    live.stop();
  }
}

export function exitCodeOf(result: RunResult): ExitCode {
  switch (result.record.outcome) {
    case "passed":
      return 0;
    case "failed":
      return 1;
    case "interrupted":
      return 130;
    case "skipped":
      return 0;
    case "error":
      return result.errorKind === "input" ? 2 : 3;
  }
}

const colour = (io: Io) => Boolean(io.stdout.isTTY) && !io.env.NO_COLOR;

/** Interrupted beats a platform failure beats bad input beats a failed drill beats a pass. */
const severity = (code: ExitCode) => ({ 0: 0, 1: 1, 2: 2, 3: 3, 130: 4 })[code];
