import { isAbsolute, resolve } from "node:path";
import type { Project } from "../definitions/project.js";
import { DrillError } from "../errors.js";
import { projectExamplesKey } from "../examples-key.js";
import { failoverSafety, failoverSteps } from "../failover/safety.js";
import { sealAndSave, signerFor } from "../evidence/seal.js";
import { openHistory } from "../history/open.js";
import { forecastRto } from "../report/forecast.js";
import { notifyRun, type NotifyOptions } from "../notify/notify.js";
import { publishReport } from "../notify/report-link.js";
import type { Logger } from "../log.js";
import { createProvider } from "../providers/index.js";
import type { RunResources } from "../steps/types.js";
import { systemClock, type Clock, type RunRecord } from "../types.js";
import type { EventListener } from "./events.js";
import { newRunId } from "../run-id.js";
import { runDrill, type RunResult } from "./runner.js";
import { errorText } from "../redact.js";
import { withEnvironment } from "../state/environment.js";
import { acquireLock, lockKey } from "../state/locks.js";
import { writeRunningMarker } from "../state/running.js";

export interface ExecuteOptions {
  signal: AbortSignal;
  emit: EventListener;
  log: Logger;
  clock?: Clock;
  /**
   * Failing over production needs the drill's `production: true` and, on demand, the user's
   * `--confirm-production`; the daemon instead needs to be inside the drill's `window`.
   */
  confirmProduction?: boolean;
  fromDaemon?: boolean;
  /** How channel posts are made (the daemon and tests tune retries); false: do not post. */
  notify?: Omit<NotifyOptions, "log" | "clock"> | false;
}

/**
 * One run of one drill, the same for `drill run` and the daemon: take the locks, make the
 * provider, run, and store the record before anything else happens to it. Throws a DrillError
 * when the run cannot start (the drill or its local environment is busy).
 */
export async function executeDrill(
  project: Project,
  name: string,
  opts: ExecuteOptions,
): Promise<RunResult> {
  const entry = project.drills.get(name)!;
  const { drill, file } = entry;
  const clock = opts.clock ?? systemClock;
  const safety = {
    confirmProduction: opts.confirmProduction ?? false,
    fromDaemon: opts.fromDaemon ?? false,
    now: clock.now(),
  };
  const refusals = failoverSteps(entry.steps).flatMap((step) =>
    failoverSafety(drill, step, safety),
  );
  if (refusals.length > 0) {
    throw new DrillError("input", "PRODUCTION_NOT_CONFIRMED", `${file} ${refusals.join("; ")}`, {
      hint: "nothing was created or touched",
    });
  }
  const runId = newRunId(drill.name, clock.now());
  const holder = { runId, drill: drill.name, since: new Date(clock.now()).toISOString() };
  const resources = resourcesFor(project, drill.name);
  const release = await acquireLock(
    project.root,
    lockKey.drill(drill.name),
    holder,
    `drill ${drill.name}`,
  );
  let result: RunResult;
  try {
    result = await withEnvironment(
      project,
      drill.environment,
      async () => {
        // Seen by `drill cleanup`: if this process dies, the run still gets a record ("runner died").
        const unmark = await writeRunningMarker(project.root, {
          runId,
          drill: drill.name,
          environment: drill.environment,
          // Real time, not the injected clock: cleanup compares it with the process's start time.
          now: Date.now(),
        });
        try {
          return await runAndStore(project, drill.name, runId, resources, opts);
        } finally {
          await unmark().catch(() => {});
        }
      },
      holder,
    );
  } finally {
    await release().catch(() => {});
  }
  // Stored first, posted after the locks are free: a slow channel never holds up the next run,
  // and a post that fails stays in the outbox (src/notify/) instead of failing the run.
  if (opts.notify !== false && drill.notify.length > 0) {
    const past = await resources.history().catch(() => []);
    const reportUrl = await publishReport(project, result.record, past, opts.log);
    const notify = { ...opts.notify, log: opts.log, clock, ...(reportUrl ? { reportUrl } : {}) };
    await notifyRun(project, result.record, notify).catch((e: unknown) =>
      opts.log.error({ error: errorText(e) }, "posting the run failed"),
    );
  }
  return result;
}

/** Make the provider, run, and store the record before anything else happens to it. */
async function runAndStore(
  project: Project,
  name: string,
  runId: string,
  resources: RunResources,
  opts: ExecuteOptions,
): Promise<RunResult> {
  const entry = project.drills.get(name)!;
  const { drill } = entry;
  const provider = await createProvider(project.config.environments[drill.environment]!, {
    root: project.root,
    environmentName: drill.environment,
    log: opts.log,
    drill: drill.name,
  });
  const deps = {
    provider,
    clock: opts.clock ?? systemClock,
    log: opts.log,
    resolvePath: resolverFor(project.root),
    newRunId: () => runId,
    resources,
  };
  const result = await runDrill(entry, deps, opts.signal, opts.emit);
  result.record.forecast = await forecastFor(result.record, resources);
  const signer = await signerFor(project);
  result.record.storedAt = await sealAndSave(openHistory(project), result.record, signer);
  return result;
}

/** The RTO forecast from this run and the drill's history; none when history cannot be read. */
async function forecastFor(
  record: RunRecord,
  resources: RunResources,
): Promise<RunRecord["forecast"]> {
  const history = await resources.history().catch(() => []);
  const f = forecastRto([record, ...history]);
  return {
    status: f.status,
    headline: f.headline,
    ...(f.weeksToCrossing !== undefined ? { weeksToCrossing: f.weeksToCrossing } : {}),
  };
}

/** Paths in drill files are relative to the project root. */
export const resolverFor = (root: string) => (p: string) => (isAbsolute(p) ? p : resolve(root, p));

/**
 * What steps may read of the project: its scrubbers, and the drill's past runs (read once per
 * run: the regression check, the forecast and the report all use the same list).
 */
export function resourcesFor(project: Project, drill: string): RunResources {
  const scrubbers = new Map([...project.scrubbers].map(([name, s]) => [name, s.scrubber]));
  const scrubberSources = new Map(
    [...project.scrubbers].map(([name, s]) => [name, { file: s.file, locate: s.locate }]),
  );
  let past: Promise<RunRecord[]> | undefined;
  const history = () => (past ??= openHistory(project).list(drill));
  const written = project.drills.get(drill);
  const drillSource = written && { file: written.file, locate: written.locate };
  const examplesKey = () => projectExamplesKey(project.root);
  return {
    scrubbers,
    scrubberSources,
    history,
    examplesKey,
    ...(drillSource ? { drillSource } : {}),
  };
}
