import { formatDuration } from "../duration.js";
import type { RunRecord } from "../types.js";
import { linearFit, median } from "./fit.js";
import { formatBytes, formatGrowth, formatWeeks } from "./format.js";

export { linearFit };

/**
 * When will recovery outgrow its RTO? Each phase's duration is fitted against the restored
 * database's size, the size against time, and the two are combined. Pure: the report, the
 * channel message and `/metrics` share it.
 */

export const FORECAST_PHASES = ["restore", "scrub", "verify"] as const;

export type ForecastStatus =
  | "insufficient-history" // too few runs with a size, or over too short a time
  | "no-objective" // the drill has no RTO objective to cross
  | "size-independent" // no phase gets slower with size
  | "already-over" // the projected RTO at today's size is at or past the objective
  | "not-growing" // the database does not grow, so the objective is not reached
  | "beyond-horizon" // reached, but later than anyone should plan for
  | "crossing"; // reached in `weeksToCrossing`

export interface PhaseFit {
  phase: string;
  /** duration ≈ interceptMs + msPerByte × size, over `points` runs. */
  interceptMs: number;
  msPerByte: number;
  points: number;
}

export interface Forecast {
  status: ForecastStatus;
  /** Short, for a channel message or a tile: "RTO objective reached in about 9 weeks at +3% size a week". */
  headline: string;
  /** The headline with the numbers behind it, one sentence. */
  message: string;
  /** Runs with a known size (the fit's points). */
  runs: number;
  objectiveMs: number | null;
  sizeBytes?: number;
  /** Fitted growth per week as a fraction (0.03 = +3% a week). */
  weeklyGrowth?: number;
  projectedRtoMs?: number;
  crossingSizeBytes?: number;
  weeksToCrossing?: number;
  crossingAt?: string;
  phases: PhaseFit[];
}

export interface ForecastOptions {
  /** Defaults to the newest run's RTO objective. */
  objectiveMs?: number | null;
  /** Fewer runs with a size than this is not a trend (default 3). */
  minRuns?: number;
  /** Growth measured over less time than this is noise (default 3 days). */
  minSpanMs?: number;
  /** Later than this is "not in the foreseeable future" (default 5 years). */
  horizonWeeks?: number;
}

export interface SizeSample {
  at: number;
  sizeBytes: number;
  rtoMs: number | null;
  phases: Partial<Record<string, number>>;
}

const WEEK_MS = 7 * 86_400_000;
/** Below +0.1% a week a crossing is decades away or noise. */
const MIN_GROWTH = 0.001;

/** The restored database's size: a provider's `sizeBytes`, else the bytes the restore copied. */
export function restoredSize(record: RunRecord): number | undefined {
  const restore = record.steps.find((s) => s.kind === "restore" && s.outcome === "passed");
  const d = restore?.details ?? {};
  for (const v of [d.sizeBytes, d.bytesCopied])
    if (typeof v === "number" && Number.isFinite(v) && v > 0) return v;
  return undefined;
}

/** One sample per run that restored something of known size; phases only if their steps passed. */
export function sizeSamples(records: RunRecord[]): SizeSample[] {
  const samples: SizeSample[] = [];
  for (const r of records) {
    const sizeBytes = restoredSize(r);
    const at = Date.parse(r.startedAt);
    if (sizeBytes === undefined || !Number.isFinite(at)) continue;
    const phases: Partial<Record<string, number>> = {};
    for (const p of FORECAST_PHASES) {
      const steps = r.steps.filter((s) => s.kind === p);
      const value = r.measurements[`${p}Ms`]?.value;
      if (
        steps.length > 0 &&
        steps.every((s) => s.outcome === "passed") &&
        typeof value === "number"
      )
        phases[p] = value;
    }
    const rto = r.measurements.rtoMs?.value;
    samples.push({ at, sizeBytes, rtoMs: typeof rto === "number" ? rto : null, phases });
  }
  return samples.sort((a, b) => a.at - b.at);
}

function fitPhase(phase: string, samples: SizeSample[]): PhaseFit | undefined {
  const pts = samples.filter((s) => s.phases[phase] !== undefined);
  if (pts.length === 0) return undefined;
  const fit = linearFit(
    pts.map((s) => s.sizeBytes),
    pts.map((s) => s.phases[phase]!),
  );
  // A phase that gets faster as data grows is noise; call it constant rather than extrapolate.
  if (fit.b <= 0)
    return {
      phase,
      interceptMs: median(pts.map((s) => s.phases[phase]!)),
      msPerByte: 0,
      points: pts.length,
    };
  return { phase, interceptMs: fit.a, msPerByte: fit.b, points: pts.length };
}

/** Forecast from a drill's runs (any order; the newest sets the phases, size and objective). */
export function forecastRto(records: RunRecord[], opts: ForecastOptions = {}): Forecast {
  const newest = [...records].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  const objectiveMs =
    opts.objectiveMs !== undefined
      ? opts.objectiveMs
      : (newest?.measurements.rtoMs?.objective ?? null);
  const samples = sizeSamples(records);
  const base = { runs: samples.length, objectiveMs, phases: [] as PhaseFit[] };
  const minRuns = opts.minRuns ?? 3;
  const span = samples.length > 0 ? samples.at(-1)!.at - samples[0]!.at : 0;
  if (samples.length < minRuns || span < (opts.minSpanMs ?? 3 * 86_400_000))
    return {
      ...base,
      status: "insufficient-history",
      ...say(
        "Not enough history to forecast the RTO",
        `${samples.length} run${samples.length === 1 ? "" : "s"} with a known size${span > 0 ? ` over ${formatDuration(span)}` : ""} (needs ${minRuns} over ${formatDuration(opts.minSpanMs ?? 3 * 86_400_000)})`,
      ),
    };
  if (objectiveMs === null || !(objectiveMs > 0))
    return { ...base, status: "no-objective", ...say("No RTO objective to forecast against") };

  const current = samples.at(-1)!;
  const wanted = newest ? phasesOf(newest) : FORECAST_PHASES;
  const phases = wanted.map((p) => fitPhase(p, samples)).filter((f): f is PhaseFit => !!f);
  // Time outside the phases (start-up, bookkeeping) counts towards the RTO too.
  const overheads = samples
    .filter((s) => s.rtoMs !== null)
    .map((s) => s.rtoMs! - phases.reduce((t, f) => t + (s.phases[f.phase] ?? 0), 0));
  const overheadMs = overheads.length > 0 ? Math.max(0, median(overheads)) : 0;
  const fixedMs = overheadMs + phases.reduce((t, f) => t + f.interceptMs, 0);
  const perByte = phases.reduce((t, f) => t + f.msPerByte, 0);
  const projectedRtoMs = Math.max(0, fixedMs + perByte * current.sizeBytes);
  const growth = linearFit(
    samples.map((s) => (s.at - current.at) / WEEK_MS),
    samples.map((s) => Math.log(s.sizeBytes)),
  );
  const weeklyGrowth = Math.exp(growth.b) - 1;
  const known = {
    ...base,
    phases,
    sizeBytes: current.sizeBytes,
    weeklyGrowth,
    projectedRtoMs,
  };
  const against = `projected ${formatDuration(projectedRtoMs)} against ${formatDuration(objectiveMs)}`;
  if (projectedRtoMs >= objectiveMs)
    return {
      ...known,
      status: "already-over",
      ...say(
        `RTO objective already reached at today's size`,
        `${formatBytes(current.sizeBytes)}, ${against}`,
      ),
    };
  if (weeklyGrowth < MIN_GROWTH)
    return {
      ...known,
      status: "not-growing",
      ...say(
        "RTO objective not reached: the database is not growing",
        `${formatGrowth(weeklyGrowth)} a week at ${formatBytes(current.sizeBytes)}, ${against}`,
      ),
    };
  if (perByte <= 0)
    return {
      ...known,
      status: "size-independent",
      ...say(
        "RTO objective not reached: recovery time does not grow with the database's size",
        against,
      ),
    };
  const crossingSizeBytes = (objectiveMs - fixedMs) / perByte;
  const weeksToCrossing =
    Math.log(crossingSizeBytes / current.sizeBytes) / Math.log(1 + weeklyGrowth);
  const crossingAt = new Date(current.at + weeksToCrossing * WEEK_MS).toISOString();
  const timed = { ...known, crossingSizeBytes, weeksToCrossing, crossingAt };
  if (weeksToCrossing > (opts.horizonWeeks ?? 5 * 52))
    return {
      ...timed,
      status: "beyond-horizon",
      ...say(
        `RTO objective not reached within ${Math.round((opts.horizonWeeks ?? 260) / 52)} years at ${formatGrowth(weeklyGrowth)} size a week`,
        against,
      ),
    };
  return {
    ...timed,
    status: "crossing",
    ...say(
      `RTO objective reached in ${formatWeeks(weeksToCrossing)} at ${formatGrowth(weeklyGrowth)} size a week`,
      `at ${formatBytes(crossingSizeBytes)}; now ${formatBytes(current.sizeBytes)}, ${against}`,
    ),
  };
}

const phasesOf = (record: RunRecord) =>
  FORECAST_PHASES.filter((p) => record.steps.some((s) => s.kind === p && s.outcome !== "skipped"));

const say = (headline: string, detail?: string) => ({
  headline,
  message: detail ? `${headline} (${detail}).` : `${headline}.`,
});
