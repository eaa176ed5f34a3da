import { CONTROL_IDS, CONTROLS, type ControlId } from "../definitions/controls.js";
import type { Measurement, Outcome, RunRecord } from "../types.js";
import { cronSchedule } from "../daemon/cron.js";
import { monthOf, wholeMonths } from "./period.js";

/**
 * The control matrix: per control, every drill that evidences it, their runs in the period, the
 * last success and the months a scheduled drill has no passing run. Pure: drills, records and
 * signature statuses in, the model out; markdown.ts, html.ts and --json show it.
 */

export const MATRIX_SCHEMA_VERSION = 1;

export interface DrillInput {
  name: string;
  description?: string;
  schedule?: string;
  /** IANA zone of the schedule (the drill's, else config's; UTC when unset). */
  timezone?: string;
  controls: readonly string[];
}

/** How a stored record stands as evidence: "signed" or what `drill verify-evidence` found. */
export type SignatureStatus = string;

export interface MatrixInput {
  drills: readonly DrillInput[];
  /** Each drill's stored records, any order, any time. */
  runs: ReadonlyMap<string, readonly RunRecord[]>;
  /** Run id → its evidence status; a run not in the map is "unknown". */
  signatures: ReadonlyMap<string, SignatureStatus>;
  since: number;
  now: number;
}

export interface Judged {
  measuredMs: number | null;
  objectiveMs: number | null;
  met: boolean | null;
}

export interface RunRow {
  id: string;
  startedAt: string;
  outcome: Outcome;
  rto: Judged | null;
  rpo: Judged | null;
  signature: SignatureStatus;
  /** Why it did not pass, one line each, as the record says. */
  findings: string[];
}

export interface DrillEvidence {
  drill: string;
  description: string | null;
  schedule: string | null;
  /** Runs in the period, newest first. */
  runs: RunRow[];
  passed: number;
  /** The newest passed run, in the period or before it. */
  lastSuccess: { id: string; startedAt: string } | null;
  /**
   * Months (YYYY-MM, UTC) wholly in the period in which the schedule was due and no run passed;
   * null: no schedule, not judged. A yearly drill is judged only in the month it is due.
   */
  gaps: string[] | null;
}

export interface ControlRow {
  id: ControlId;
  framework: string;
  title: string;
  description: string;
  /** Empty: no drill evidences this control, itself a gap for the audit. */
  drills: DrillEvidence[];
}

export interface ControlMatrix {
  schemaVersion: typeof MATRIX_SCHEMA_VERSION;
  generatedAt: string;
  period: { since: string; until: string; months: string[] };
  controls: ControlRow[];
}

export function buildMatrix(input: MatrixInput): ControlMatrix {
  const months = wholeMonths(input.since, input.now);
  const evidence = new Map(
    input.drills.map((d) => [d.name, drillEvidence(d, input, months)] as const),
  );
  const controls = CONTROL_IDS.map((id): ControlRow => {
    const drills = input.drills
      .filter((d) => d.controls.includes(id))
      .map((d) => evidence.get(d.name)!)
      .sort((a, b) => a.drill.localeCompare(b.drill));
    return { id, ...CONTROLS[id], drills };
  });
  return {
    schemaVersion: MATRIX_SCHEMA_VERSION,
    generatedAt: new Date(input.now).toISOString(),
    period: {
      since: new Date(input.since).toISOString(),
      until: new Date(input.now).toISOString(),
      months,
    },
    controls,
  };
}

function drillEvidence(drill: DrillInput, input: MatrixInput, months: string[]): DrillEvidence {
  const all = [...(input.runs.get(drill.name) ?? [])].sort(
    (a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id),
  );
  const inPeriod = all.filter((r) => {
    const t = Date.parse(r.startedAt);
    return t >= input.since && t <= input.now;
  });
  const passed = inPeriod.filter((r) => r.outcome === "passed");
  const last = all.find((r) => r.outcome === "passed" && Date.parse(r.startedAt) <= input.now);
  const passedMonths = new Set(passed.map((r) => monthOf(r.startedAt)));
  return {
    drill: drill.name,
    description: drill.description ?? null,
    schedule: drill.schedule ?? null,
    runs: inPeriod.map((r) => ({
      id: r.id,
      startedAt: r.startedAt,
      outcome: r.outcome,
      rto: judged(r.measurements?.rtoMs),
      rpo: judged(r.measurements?.rpoMs),
      signature: input.signatures.get(r.id) ?? "unknown",
      findings: Array.isArray(r.findings) ? r.findings.map(String) : [],
    })),
    passed: passed.length,
    lastSuccess: last ? { id: last.id, startedAt: last.startedAt } : null,
    gaps: drill.schedule
      ? months.filter((m) => !passedMonths.has(m) && dueIn(drill.schedule!, drill.timezone, m))
      : null,
  };
}

const judged = (m: Measurement | undefined): Judged | null =>
  m ? { measuredMs: m.value, objectiveMs: m.objective, met: m.met } : null;

/** Whether a cron schedule comes due at least once in a UTC month (`YYYY-MM`). */
function dueIn(schedule: string, timezone: string | undefined, month: string): boolean {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const next = cronSchedule(schedule, timezone).next(Date.UTC(y, m - 1, 1) - 1);
  return next !== null && next < Date.UTC(y, m, 1);
}
