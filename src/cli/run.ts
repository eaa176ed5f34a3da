import { join } from "node:path";
import type { Project } from "../definitions/project.js";
import { DrillError, toErrorRecord } from "../errors.js";
import type { ExitCode } from "../errors.js";
import { newRunId } from "../engine/ids.js";
import { acquireLock } from "../engine/lock.js";
import { runDrill, type RunResult } from "../engine/runner.js";
import type { Logger } from "../log.js";
import { createProvider } from "../providers/index.js";
import { systemClock, type RunRecord } from "../types.js";
import { liveDisplay } from "./display/live.js";
import { plainDisplay } from "./display/plain.js";
import { makeStyle } from "./display/style.js";
import { summaryLines } from "./display/summary.js";
import type { RunEvent } from "../engine/events.js";
import { writeLine, type Io } from "./io.js";
import { planCommand } from "./plan.js";
import {
  historyStore,
  loadOrReport,
  resolverFor,
  resourcesFor,
  selectedDrills,
} from "./project.js";

export interface RunFlags {
  json?: boolean;
  dryRun?: boolean;
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
  const records: RunRecord[] = [];
  let worst: ExitCode = 0;
  for (const name of selectedDrills(project, targets)) {
    if (io.signal.aborted) break;
    const { code, record } = await runOne(project, name, flags, io, log);
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
  flags: RunFlags,
  io: Io,
  log: Logger,
): Promise<{ code: ExitCode; record?: RunRecord }> {
  const { drill } = project.drills.get(name)!;
  const env = project.config.environments[drill.environment]!;
  const lockDir = join(project.root, ".drill", "locks");
  const runId = newRunId(drill.name, systemClock.now());
  const owner = { runId, drill: drill.name, since: new Date().toISOString() };
  const releases: (() => Promise<void>)[] = [];
  try {
    releases.push(await acquireLock(lockDir, `drill-${drill.name}`, owner, `drill ${drill.name}`));
    // A local environment's clusters and snapshots are one set of files: one run uses them at a time.
    if (env.provider === "local") {
      releases.push(
        await acquireLock(
          lockDir,
          `environment-${drill.environment}`,
          owner,
          `environment ${drill.environment}`,
        ),
      );
    }
    const provider = await createProvider(env, {
      root: project.root,
      environmentName: drill.environment,
      log,
    });
    const result = await runWithDisplay(drill.name, io, flags, (emit) =>
      runDrill(
        drill,
        {
          provider,
          clock: systemClock,
          log,
          resolvePath: resolverFor(project.root),
          newRunId: () => runId,
          resources: resourcesFor(project, drill.name),
        },
        io.signal,
        emit,
      ),
    );
    const record = result.record;
    record.storedAt = await historyStore(project).save(record);
    if (!flags.json)
      for (const line of summaryLines(record, makeStyle(colour(io)))) writeLine(io.stdout, line);
    return { code: exitCodeOf(result), record };
  } catch (e) {
    if (!(e instanceof DrillError)) throw e;
    const err = toErrorRecord(e);
    writeLine(
      io.stderr,
      `drill ${drill.name}: ${err.message}${err.hint ? ` (hint: ${err.hint})` : ""}`,
    );
    return { code: e.exitCode };
  } finally {
    for (const release of releases.reverse()) await release().catch(() => {});
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
    case "error":
      return result.errorKind === "input" ? 2 : 3;
  }
}

const colour = (io: Io) => Boolean(io.stdout.isTTY) && !io.env.NO_COLOR;

/** Interrupted beats a platform failure beats bad input beats a failed drill beats a pass. */
const severity = (code: ExitCode) => ({ 0: 0, 1: 1, 2: 2, 3: 3, 130: 4 })[code];
