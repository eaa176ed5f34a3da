import type { ResolvedDrill } from "../definitions/steps.js";
import type { Logger } from "../log.js";
import type { Provider } from "../providers/types.js";
import type { RecordedMeasurement, RunResources, StepContext, Target } from "../steps/types.js";
import {
  RECORD_SCHEMA_VERSION,
  type Clock,
  type Measurements,
  type RunRecord,
  type StepRecord,
} from "../types.js";
import { Deferred } from "./deferred.js";
import type { EventListener } from "./events.js";
import { newRunId } from "../run-id.js";
import { measurement, missedObjectives } from "./objectives.js";
import { describeRegression, findRegressions, PHASES, phaseMeasurements } from "./phases.js";
import { preflight } from "./preflight.js";
import { runStep, type StepRun } from "./step-runner.js";
import { DrillError, toErrorRecord } from "../errors.js";
import { errorText } from "../redact.js";

export interface EngineDeps {
  provider: Provider;
  clock: Clock;
  log: Logger;
  resolvePath(path: string): string;
  newRunId?: (drill: string, now: number) => string;
  resources: RunResources;
}

export interface RunResult {
  record: RunRecord;
  /** Kind of the first error, when the outcome is `error`: bad input (2) or the platform (3). */
  errorKind?: DrillError["kind"];
}

/** Steps that make the copy usable: RTO runs from run start to the end of the last of these. */
const RECOVERY_STEPS: ReadonlySet<string> = new Set(PHASES);

/**
 * Run a drill: prepare production (outside the recovery clock), run each step in order, skip
 * the rest after one fails, always run cleanup last, judge the objectives, return the record.
 */
export async function runDrill(
  { drill, steps }: ResolvedDrill,
  deps: EngineDeps,
  signal: AbortSignal,
  emit: EventListener,
): Promise<RunResult> {
  const { clock, provider } = deps;
  const deferred = new Deferred(deps.log);
  deferred.add(`${provider.name} provider`, () => provider.release());

  const { preparation, prepareError } = await prepareProduction(
    { drill, steps },
    deps,
    signal,
    emit,
  );

  const started = clock.now();
  const runId = (deps.newRunId ?? newRunId)(drill.name, started);
  emit({
    type: "run:start",
    runId,
    drill: drill.name,
    startedAt: iso(started),
    steps: steps.map(({ name, kind }) => ({ name, kind })),
  });

  let measurements: Measurements = {};
  const recorded = new Map<string, RecordedMeasurement>();
  const findings: string[] = [...(prepareError?.findings ?? [])];
  const records: StepRecord[] = [];
  let target: Target | undefined;
  let stopped: StepRun | undefined = prepareError;
  let recoveredAt: number | null = null;

  for (const [index, step] of steps.entries()) {
    const { kind, name, timeoutMs } = step;
    const stepStarted = clock.now();
    emit({ type: "step:start", index, name, kind, timeoutMs });
    let result: StepRun;
    if (kind !== "cleanup" && stopped) {
      result = { outcome: "skipped", details: {}, findings: [] };
    } else {
      const makeContext = (stepSignal: AbortSignal): StepContext => ({
        signal: stepSignal,
        runId,
        resources: deps.resources,
        drill,
        steps,
        step,
        provider,
        clock,
        log: deps.log.child({ runId, step: name }),
        resolvePath: deps.resolvePath,
        get target() {
          return target;
        },
        setTarget: (t) => (target = t),
        defer: (label, fn) => deferred.add(label, fn),
        runDeferred: () => deferred.runAll(),
        progress: (message) => emit({ type: "step:progress", index, message }),
        measure: (measured, value, objective = null, about) => {
          // A bug, not a user's mistake: what a kind measures is part of its contract.
          if (!step.measures.includes(measured))
            throw new Error(`step kind ${kind} measured ${measured}, not in its \`measures\``);
          const m = measurement(value, objective);
          measurements[measured] = m;
          recorded.set(measured, { ...m, step: name, ...(about ? { about } : {}) });
        },
        measurement: (measured) => recorded.get(measured),
      });
      // Cleanup must work after an interrupt: it gets a signal of its own, bounded by its timeout only.
      const stepSignal = kind === "cleanup" ? new AbortController().signal : signal;
      result = await runStep(step.run, makeContext, stepSignal, timeoutMs);
    }
    const record: StepRecord = {
      name,
      kind,
      startedAt: iso(stepStarted),
      durationMs: clock.now() - stepStarted,
      outcome: result.outcome,
      details: result.details,
      ...(result.error ? { error: result.error } : {}),
    };
    records.push(record);
    findings.push(...result.findings.map((f) => `${record.name}: ${f}`));
    if (result.outcome !== "passed" && result.outcome !== "skipped") stopped ??= result;
    if (RECOVERY_STEPS.has(kind) && result.outcome === "passed" && !stopped)
      recoveredAt = clock.now();
    emit({ type: "step:end", index, record });
  }

  const finished = clock.now();
  const rtoMs = measurement(
    recoveredAt === null || stopped ? null : recoveredAt - started,
    drill.objectives?.rto ?? null,
  );
  // RTO and RPO first, then each phase against its budget, then whatever the steps measured.
  measurements = {
    rtoMs,
    rpoMs: measurement(null, drill.objectives?.rpo ?? null),
    ...phaseMeasurements(records, drill.objectives?.phases),
    ...measurements,
  };
  const missed = missedObjectives(measurements);
  findings.push(...missed);
  const regressions = stopped ? [] : findRegressions(measurements, await pastRuns(deps));
  const regressionLines = regressions.map(describeRegression);
  const failOnRegression = drill.objectives?.regressions === "fail";
  if (failOnRegression) findings.push(...regressionLines);

  const cleanupRun = records.at(-1)!;
  const firstError =
    stopped ??
    (cleanupRun.outcome === "error"
      ? { outcome: "error" as const, errorKind: "platform" as const }
      : undefined);
  const outcome = signal.aborted
    ? "interrupted"
    : firstError?.outcome === "error"
      ? "error"
      : firstError || missed.length > 0 || (failOnRegression && regressions.length > 0)
        ? "failed"
        : "passed";

  const record: RunRecord = {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: runId,
    drill: drill.name,
    environment: drill.environment,
    provider: provider.name,
    startedAt: iso(started),
    finishedAt: iso(finished),
    durationMs: finished - started,
    outcome,
    steps: records,
    measurements,
    ...(preparation ? { preparation } : {}),
    ...(regressions.length > 0 ? { regressions } : {}),
    ...(regressionLines.length > 0 && !failOnRegression ? { warnings: regressionLines } : {}),
    findings,
  };
  emit({ type: "run:end", record });
  return {
    record,
    ...(outcome === "error" && firstError?.errorKind ? { errorKind: firstError.errorKind } : {}),
  };
}

/** Bring production to the run's starting point; not part of the recovery clock. */
async function prepareProduction(
  { drill, steps }: ResolvedDrill,
  deps: EngineDeps,
  signal: AbortSignal,
  emit: EventListener,
): Promise<{ preparation?: RunRecord["preparation"]; prepareError?: StepRun }> {
  const { clock, provider } = deps;
  const prepStarted = clock.now();
  emit({ type: "prepare:start", environment: drill.environment });
  try {
    const details = await provider.prepare({
      signal,
      production: steps.some((s) => s.touchesProduction),
      progress: (message) => emit({ type: "prepare:progress", message }),
    });
    await preflight({ drill, steps }, deps, signal);
    const preparation = { durationMs: clock.now() - prepStarted, details };
    emit({ type: "prepare:end", ...preparation });
    return { preparation };
  } catch (e) {
    const error = toErrorRecord(e);
    emit({ type: "prepare:end", durationMs: clock.now() - prepStarted, details: { error } });
    if (signal.aborted) {
      const interrupted = { code: "INTERRUPTED", message: "interrupted" };
      return {
        prepareError: { outcome: "interrupted", details: {}, findings: [], error: interrupted },
      };
    }
    return {
      prepareError: {
        outcome: "error",
        details: {},
        // A user's mistake found in preflight is already one line per problem, file first.
        findings:
          e instanceof DrillError && e.kind === "input"
            ? error.message.split("\n")
            : [`preparing ${drill.environment}: ${error.message}`],
        error,
        errorKind: e instanceof DrillError ? e.kind : "platform",
      },
    };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Earlier runs for the regression baseline; a history that cannot be read only loses the comparison. */
async function pastRuns(deps: EngineDeps): Promise<RunRecord[]> {
  try {
    return await deps.resources.history();
  } catch (e) {
    deps.log.warn({ error: errorText(e) }, "history unreadable: no regression check");
    return [];
  }
}
