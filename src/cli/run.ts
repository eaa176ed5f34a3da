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
import { scorecardLines, type ScorecardEntry } from "./display/scorecard.js";
import { mapLimit } from "../pool.js";
import type { RunEvent } from "../engine/events.js";
import { writeLine, type Io } from "./io.js";
import { planCommand } from "./plan.js";
import { loadOrReport, selectedDrills } from "./project.js";

export interface RunFlags {
  json?: boolean;
  dryRun?: boolean;
  confirmProduction?: boolean;
  all?: boolean;
}

/**
 * `drill run <drill|file>...` or `--all`: drills of different environments run side by side
 * (at most daemon.maxConcurrent lanes), drills of one lane one after another. All local
 * environments are one lane: they share the project's one sandbox primary. Several drills end
 * with a scorecard; the exit code is the worst of them (see severity).
 */
export async function runCommand(
  targets: string[],
  flags: RunFlags,
  io: Io,
  log: Logger,
): Promise<ExitCode> {
  if (flags.all && targets.length > 0) {
    writeLine(io.stderr, "drill run: give drill names or --all, not both");
    return 2;
  }
  if (!flags.all && targets.length === 0) {
    writeLine(io.stderr, "drill run: name at least one drill (drills/<name>.yaml), or --all");
    return 2;
  }
  if (flags.dryRun && !flags.all) return planCommand(targets, { json: flags.json }, io);
  const project = await loadOrReport(io, flags.all ? undefined : targets);
  if (!project) return 2;
  const names = flags.all ? [...project.drills.keys()] : selectedDrills(project, targets);
  if (names.length === 0) {
    writeLine(io.stderr, "drill run --all: drills/ holds no drill (drill init writes an example)");
    return 2;
  }
  if (flags.dryRun) return planCommand(names, { json: flags.json }, io);
  // A key that cannot be used fails here, before anything is restored; none at all is said under
  // each run's summary (stdout: it is part of the result, and a refused run stores nothing).
  const signed = (await loadSigner(io.env)) !== undefined;
  const lanes = lanesOf(project, names);
  // Two live displays cannot redraw one terminal: side by side, every drill prints plain lines.
  const shared = { ...flags, signed, plain: lanes.length > 1 };
  const entries: ScorecardEntry[] = new Array(names.length);
  await mapLimit(lanes, project.config.daemon.maxConcurrent, async (lane) => {
    for (const i of lane) {
      if (io.signal.aborted) entries[i] = { drill: names[i]!, code: 130 };
      else
        entries[i] = { drill: names[i]!, ...(await runOne(project, names[i]!, shared, io, log)) };
    }
  });
  const worst = entries.reduce<ExitCode>(
    (w, e) => (severity(e.code) > severity(w) ? e.code : w),
    0,
  );
  const records = entries.flatMap((e) => (e.record ? [e.record] : []));
  // One named drill keeps printing one record, as it always did; --all or several: an array.
  if (flags.json)
    writeLine(
      io.stdout,
      JSON.stringify(names.length === 1 && !flags.all ? records[0] : records, null, 2),
    );
  else if (names.length > 1)
    for (const line of scorecardLines(entries, makeStyle(colour(io)))) writeLine(io.stdout, line);
  return worst;
}

/** Indexes of `names` grouped by lane (every local environment is one lane), in order. */
export function lanesOf(project: Project, names: string[]): number[][] {
  const lanes = new Map<string, number[]>();
  names.forEach((name, i) => {
    const env = project.drills.get(name)?.drill.environment ?? "";
    const key = project.config.environments[env]?.provider === "local" ? "local:" : `env:${env}`;
    lanes.set(key, [...(lanes.get(key) ?? []), i]);
  });
  return [...lanes.values()];
}

async function runOne(
  project: Project,
  name: string,
  flags: RunFlags & { signed: boolean; plain?: boolean },
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
  flags: RunFlags & { plain?: boolean },
  run: (emit: (e: RunEvent) => void) => Promise<RunResult>,
): Promise<RunResult> {
  if (flags.json) return run(() => {});
  if (!io.stdout.isTTY || flags.plain) return run(plainDisplay(io.stdout));
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
