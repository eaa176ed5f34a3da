import type { CheckResult, Measurement, RunRecord, StepRecord } from "../../src/types.js";

const m = (value: number | null, objective: number | null = null): Measurement => ({
  value,
  objective,
  met: value === null || objective === null ? null : value <= objective,
});

export interface RunSpec {
  at: string;
  drill?: string;
  sizeBytes?: number;
  restoreMs: number;
  scrubMs?: number;
  verifyMs: number;
  /** Time in the RTO outside the phases. */
  overheadMs?: number;
  rtoObjectiveMs?: number | null;
  outcome?: RunRecord["outcome"];
  checks?: CheckResult[];
  failover?: { durationMs: number; downtimeMs: number; downtimeOffsetMs: number };
}

/** A run record as the engine writes one, built by hand: restore, [scrub], verify, [failover], cleanup. */
export function runRecord(spec: RunSpec): RunRecord {
  const start = Date.parse(spec.at);
  const steps: StepRecord[] = [];
  let t = start;
  const step = (kind: string, durationMs: number, details: Record<string, unknown> = {}) => {
    steps.push({
      name: kind,
      kind,
      startedAt: new Date(t).toISOString(),
      durationMs,
      outcome: "passed",
      details,
    });
    t += durationMs;
  };
  step("restore", spec.restoreMs, spec.sizeBytes ? { bytesCopied: spec.sizeBytes } : {});
  if (spec.scrubMs !== undefined) step("scrub", spec.scrubMs);
  step("verify", spec.verifyMs, {
    checks: spec.checks ?? [
      {
        name: "rowCount orders",
        kind: "rowCount",
        outcome: "passed",
        measured: 30000,
        expected: ">= 1000",
        durationMs: 12,
      },
    ],
  });
  const rto = t - start + (spec.overheadMs ?? 0);
  t += spec.overheadMs ?? 0;
  const measurements: RunRecord["measurements"] = {
    rtoMs: m(rto, spec.rtoObjectiveMs === undefined ? 300_000 : spec.rtoObjectiveMs),
    rpoMs: m(3_600_000, 93_600_000),
    restoreMs: m(spec.restoreMs),
    ...(spec.scrubMs !== undefined ? { scrubMs: m(spec.scrubMs) } : {}),
    verifyMs: m(spec.verifyMs),
  };
  if (spec.failover) {
    const f = spec.failover;
    const before = t + f.downtimeOffsetMs;
    step("failover", f.durationMs, {
      probe: {
        downtimeMs: f.downtimeMs,
        lastAckBefore: { id: 10, at: new Date(before).toISOString(), node: "127.0.0.1:5432" },
        firstAckAfter: {
          id: 11,
          at: new Date(before + f.downtimeMs).toISOString(),
          node: "127.0.0.1:5433",
        },
      },
    });
    measurements.downtimeMs = m(f.downtimeMs, 60_000);
    measurements.lostWrites = m(0, 0);
  }
  step("cleanup", 400);
  const drill = spec.drill ?? "orders";
  return {
    schemaVersion: 1,
    id: `${spec.at.replace(/[-:]/g, "").slice(0, 15)}-${drill}-abcd`,
    drill,
    environment: "sandbox",
    provider: "local",
    startedAt: new Date(start).toISOString(),
    finishedAt: new Date(t).toISOString(),
    durationMs: t - start,
    outcome: spec.outcome ?? "passed",
    steps,
    measurements,
    findings: [],
  };
}

/** Weekly runs whose size grows by `growth` a week and whose restore takes `msPerMB` per MB. */
export function weeklyHistory(opts: {
  weeks: number;
  startBytes: number;
  growth: number;
  msPerMB: number;
  objectiveMs?: number | null;
}): RunRecord[] {
  const out: RunRecord[] = [];
  for (let w = 0; w < opts.weeks; w++) {
    const size = opts.startBytes * (1 + opts.growth) ** w;
    out.push(
      runRecord({
        at: new Date(Date.UTC(2026, 0, 5) + w * 7 * 86_400_000).toISOString(),
        sizeBytes: Math.round(size),
        restoreMs: Math.round(60_000 + (size / 1e6) * opts.msPerMB),
        scrubMs: Math.round(30_000 + (size / 1e6) * opts.msPerMB * 0.5),
        verifyMs: 20_000,
        overheadMs: 5_000,
        ...(opts.objectiveMs !== undefined ? { rtoObjectiveMs: opts.objectiveMs } : {}),
      }),
    );
  }
  return out.reverse(); // as the history store lists them: newest first
}

export const HOSTILE = `<script>alert("x")</script>`;

/**
 * A failed run after twelve weeks of history: scrub, a failover with measured downtime, a failed
 * check whose name and message are markup, a finding and a warning.
 */
export function failedRunWithHistory(): { record: RunRecord; history: RunRecord[] } {
  const history = weeklyHistory({
    weeks: 12,
    startBytes: 10e9,
    growth: 0.03,
    msPerMB: 100,
    objectiveMs: 45 * 60_000,
  });
  const record = runRecord({
    at: "2026-03-30T04:00:00Z",
    sizeBytes: 14.3e9,
    restoreMs: 1_500_000,
    scrubMs: 700_000,
    verifyMs: 25_000,
    overheadMs: 3000,
    rtoObjectiveMs: 45 * 60_000,
    outcome: "failed",
    failover: { durationMs: 40_000, downtimeMs: 9_000, downtimeOffsetMs: 12_000 },
    checks: [
      {
        name: "rowCount orders",
        kind: "rowCount",
        outcome: "passed",
        measured: 30000,
        expected: ">= 1000",
        durationMs: 120,
      },
      {
        name: HOSTILE,
        kind: "sql",
        outcome: "failed",
        measured: "<b>3</b>",
        expected: "= 0",
        durationMs: 40,
        message: `<img src="http://example.invalid/x.png">`,
      },
    ],
  });
  record.findings = [`check ${HOSTILE} failed: measured 3, expected = 0`];
  record.warnings = ["restore took 25m, 40% slower than the median of the last 5 passed runs"];
  return { record, history };
}
