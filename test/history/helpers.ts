import { RECORD_SCHEMA_VERSION, type Outcome, type RunRecord } from "../../src/types.js";

/** A run record as the engine makes them; `minute` orders them in time. */
export function record(drill: string, minute: number, outcome: Outcome = "passed"): RunRecord {
  const started = Date.parse("2026-11-28T10:00:00Z") + minute * 60_000;
  const stamp = new Date(started).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: `${stamp}-${drill}-${(minute + 0xa000).toString(16)}`,
    drill,
    environment: "sandbox",
    provider: "local",
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(started + 1500).toISOString(),
    durationMs: 1500,
    outcome,
    steps: [],
    measurements: {
      rtoMs: { value: 1200, objective: 300_000, met: true },
      rpoMs: { value: 4600, objective: 93_600_000, met: true },
    },
    findings: outcome === "passed" ? [] : ["verify: rowCount orders: measured 0, expected >= 1"],
  };
}
