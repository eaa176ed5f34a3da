import { formatDuration } from "../duration.js";
import { median } from "../report/fit.js";
import type { Measurements, RunRecord, StepRecord } from "../types.js";
import { measurement } from "./objectives.js";

/** The phases of recovery: together they make the RTO, each may have a budget. */
export const PHASES = ["restore", "scrub", "verify"] as const;
export type Phase = (typeof PHASES)[number];

/** How many passed runs make the baseline, and how much slower is a regression. */
const BASELINE_RUNS = 5;
const SLOWER_BY = 0.25;

export interface Regression {
  phase: Phase;
  durationMs: number;
  medianMs: number;
  /** How many earlier passed runs the median is taken over. */
  runs: number;
  slowerByPct: number;
}

/**
 * `restoreMs`, `scrubMs`, `verifyMs`: each phase's time (steps of one kind added up) beside its
 * budget. Phases that did not finish are not measured: a skipped verify took no time.
 */
export function phaseMeasurements(
  steps: StepRecord[],
  budgets: Partial<Record<Phase, number>> = {},
): Measurements {
  const out: Measurements = {};
  for (const phase of PHASES) {
    const ran = steps.filter((s) => s.kind === phase && s.outcome !== "skipped");
    if (ran.length === 0) continue;
    const total = ran.reduce((sum, s) => sum + s.durationMs, 0);
    out[`${phase}Ms`] = measurement(total, budgets[phase] ?? null);
  }
  return out;
}

/** Phases more than 25% slower than the median of the last five passed runs of the drill. */
export function findRegressions(current: Measurements, history: RunRecord[]): Regression[] {
  const passed = history.filter((r) => r.outcome === "passed").slice(0, BASELINE_RUNS);
  const regressions: Regression[] = [];
  for (const phase of PHASES) {
    const now = current[`${phase}Ms`]?.value;
    const past = passed
      .map((r) => r.measurements[`${phase}Ms`]?.value)
      .filter((v): v is number => typeof v === "number");
    if (now === undefined || now === null || past.length === 0) continue;
    const medianMs = median(past);
    if (medianMs > 0 && now > medianMs * (1 + SLOWER_BY)) {
      const slowerByPct = Math.round((now / medianMs - 1) * 100);
      regressions.push({ phase, durationMs: now, medianMs, runs: past.length, slowerByPct });
    }
  }
  return regressions;
}

export const describeRegression = (regression: Regression) =>
  `${regression.phase} took ${formatDuration(regression.durationMs)}, ${regression.slowerByPct}% slower than the median ${formatDuration(regression.medianMs)} of the last ${regression.runs} passed runs`;
