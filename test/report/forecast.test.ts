import { describe, expect, it } from "vitest";
import { forecastRto, linearFit, restoredSize, sizeSamples } from "../../src/report/forecast.js";
import { formatBytes, formatGrowth, formatWeeks } from "../../src/report/format.js";
import { runRecord, weeklyHistory } from "./records.js";

const WEEK = 7 * 86_400_000;
const OBJECTIVE = 45 * 60_000;

/** The restore cost per MB that makes 12 weeks of +3% reach the objective 9 weeks after the last. */
function msPerMBCrossingIn(weeks: number): number {
  const now = 10_000 * 1.03 ** 11;
  const at = now * 1.03 ** weeks;
  // restore (60s + k·MB) + scrub (30s + k/2·MB) + verify 20s + overhead 5s
  return (OBJECTIVE - 115_000) / (1.5 * at);
}

describe("forecastRto", () => {
  it("says when growth carries the RTO past its objective", () => {
    const history = weeklyHistory({
      weeks: 12,
      startBytes: 10e9,
      growth: 0.03,
      msPerMB: msPerMBCrossingIn(9),
      objectiveMs: OBJECTIVE,
    });
    const f = forecastRto(history);
    expect(f.status).toBe("crossing");
    expect(f.runs).toBe(12);
    expect(f.weeklyGrowth).toBeCloseTo(0.03, 4);
    expect(f.weeksToCrossing).toBeGreaterThan(8.7);
    expect(f.weeksToCrossing).toBeLessThan(9.3);
    expect(f.message).toMatch(/^RTO objective reached in about 9 weeks at \+3% size a week/);
    expect(f.headline).toBe("RTO objective reached in about 9 weeks at +3% size a week");
    const last = Date.parse(history[0]!.startedAt);
    expect(Date.parse(f.crossingAt!) - last).toBeCloseTo(f.weeksToCrossing! * WEEK, -3);
    const byPhase = Object.fromEntries(f.phases.map((p) => [p.phase, p]));
    expect(Object.keys(byPhase)).toEqual(["restore", "scrub", "verify"]);
    expect(byPhase.restore!.msPerByte * 1e6).toBeCloseTo(msPerMBCrossingIn(9), 3);
    expect(byPhase.verify!.msPerByte).toBe(0);
    expect(byPhase.verify!.interceptMs).toBe(20_000);
    expect(f.projectedRtoMs).toBeCloseTo(history[0]!.measurements.rtoMs!.value!, -2);
  });

  it("says the objective is not reached when the database does not grow", () => {
    const f = forecastRto(
      weeklyHistory({ weeks: 6, startBytes: 5e9, growth: 0, msPerMB: 10, objectiveMs: OBJECTIVE }),
    );
    expect(f.status).toBe("not-growing");
    expect(f.weeklyGrowth).toBeCloseTo(0, 6);
    expect(f.message).toMatch(/^RTO objective not reached: the database is not growing/);
    expect(f.weeksToCrossing).toBeUndefined();
  });

  it("refuses to extrapolate from too few runs or too short a time", () => {
    const two = weeklyHistory({ weeks: 2, startBytes: 1e9, growth: 0.1, msPerMB: 50 });
    expect(forecastRto(two)).toMatchObject({ status: "insufficient-history", runs: 2 });
    expect(forecastRto(two).message).toMatch(
      /^Not enough history to forecast the RTO \(2 runs with a known size over 7d \(needs 3 over 3d\)\)\.$/,
    );
    expect(forecastRto([])).toMatchObject({ status: "insufficient-history", runs: 0 });

    // Five runs in one afternoon: a growth rate per week from minutes would be nonsense.
    const afternoon = [0, 1, 2, 3, 4].map((i) =>
      runRecord({
        at: new Date(Date.UTC(2026, 10, 28, 14) + i * 600_000).toISOString(),
        sizeBytes: 65e6 + i * 1000,
        restoreMs: 700,
        verifyMs: 400,
      }),
    );
    expect(forecastRto(afternoon)).toMatchObject({ status: "insufficient-history", runs: 5 });
  });

  it("counts only runs that restored something of known size", () => {
    const history = weeklyHistory({ weeks: 3, startBytes: 1e9, growth: 0.05, msPerMB: 50 });
    const noSize = runRecord({ at: "2026-03-01T00:00:00Z", restoreMs: 1, verifyMs: 1 });
    const failed = runRecord({
      at: "2026-03-02T00:00:00Z",
      sizeBytes: 9e9,
      restoreMs: 5,
      verifyMs: 1,
    });
    failed.steps[0]!.outcome = "error";
    expect(restoredSize(noSize)).toBeUndefined();
    expect(restoredSize(failed)).toBeUndefined();
    expect(sizeSamples([noSize, failed, ...history])).toHaveLength(3);
  });

  it("reports an objective already reached, a size-independent RTO, a far crossing, no objective", () => {
    const growing = { weeks: 8, startBytes: 10e9, growth: 0.03 };
    expect(
      forecastRto(weeklyHistory({ ...growing, msPerMB: 200, objectiveMs: OBJECTIVE })),
    ).toMatchObject({
      status: "already-over",
    });
    expect(
      forecastRto(weeklyHistory({ ...growing, msPerMB: 0, objectiveMs: OBJECTIVE })),
    ).toMatchObject({
      status: "size-independent",
    });
    const slow = weeklyHistory({
      weeks: 8,
      startBytes: 10e9,
      growth: 0.002,
      msPerMB: 10,
      objectiveMs: OBJECTIVE,
    });
    expect(forecastRto(slow)).toMatchObject({ status: "beyond-horizon" });
    expect(forecastRto(slow).message).toMatch(/not reached within 5 years at \+0\.2% size a week/);
    const none = weeklyHistory({ ...growing, msPerMB: 10, objectiveMs: null });
    expect(forecastRto(none)).toMatchObject({ status: "no-objective", objectiveMs: null });
    expect(forecastRto(none, { objectiveMs: OBJECTIVE }).status).toBe("crossing");
  });

  it("fits least squares lines and formats sizes, growth and waits", () => {
    expect(linearFit([1, 2, 3], [3, 5, 7])).toEqual({ a: 1, b: 2 });
    expect(linearFit([2, 2], [1, 3])).toEqual({ a: 2, b: 0 });
    expect(formatBytes(65_673_155)).toBe("65.7 MB");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatGrowth(0.0312)).toBe("+3%");
    expect(formatGrowth(0.002)).toBe("+0.2%");
    expect(formatWeeks(0.5)).toBe("about 4 days");
    expect(formatWeeks(9.2)).toBe("about 9 weeks");
    expect(formatWeeks(130)).toBe("about 2.5 years");
  });
});
