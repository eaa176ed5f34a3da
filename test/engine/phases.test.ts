import { describe, expect, it } from "vitest";
import { findRegressions, phaseMeasurements } from "../../src/engine/phases.js";
import type { RunRecord, StepRecord } from "../../src/types.js";

const step = (
  kind: string,
  durationMs: number,
  outcome: StepRecord["outcome"] = "passed",
): StepRecord => ({
  name: kind,
  kind,
  startedAt: "2026-11-28T10:00:00.000Z",
  durationMs,
  outcome,
  details: {},
});

const past = (outcome: RunRecord["outcome"], restoreMs: number): RunRecord =>
  ({
    outcome,
    measurements: { restoreMs: { value: restoreMs, objective: null, met: null } },
  }) as unknown as RunRecord;

describe("phaseMeasurements", () => {
  it("adds up each phase's steps beside its budget and leaves out phases that did not run", () => {
    const steps = [
      step("restore", 4000),
      step("verify", 700),
      step("verify", 300),
      step("scrub", 0, "skipped"),
      step("cleanup", 500),
    ];
    expect(phaseMeasurements(steps, { restore: 3000, verify: 2000 })).toEqual({
      restoreMs: { value: 4000, objective: 3000, met: false },
      verifyMs: { value: 1000, objective: 2000, met: true },
    });
  });
});

describe("findRegressions", () => {
  const current = { restoreMs: { value: 1300, objective: null, met: null } };

  it("flags a phase more than 25% slower than the median of the last five passed runs", () => {
    const history = [
      past("passed", 1000),
      past("failed", 5000),
      past("passed", 900),
      past("passed", 1100),
      past("passed", 1000),
      past("passed", 950),
      past("passed", 100),
    ];
    // Passed, newest first: 1000, 900, 1100, 1000, 950 → median 1000; the sixth (100) is too old.
    expect(findRegressions(current, history)).toEqual([
      { phase: "restore", durationMs: 1300, medianMs: 1000, runs: 5, slowerByPct: 30 },
    ]);
  });

  it("does not flag 25% or less, or a phase without history", () => {
    expect(
      findRegressions({ restoreMs: { value: 1250, objective: null, met: null } }, [
        past("passed", 1000),
      ]),
    ).toEqual([]);
    expect(findRegressions(current, [])).toEqual([]);
    expect(findRegressions(current, [past("failed", 100)])).toEqual([]);
  });
});
