import { formatDuration } from "../duration.js";
import type { ControlRow, DrillEvidence, Judged, RunRow } from "./matrix.js";

/** Plain text pieces the terminal, Markdown and HTML views share; callers escape them. */

/** `2026-11-30 04:00` (UTC). */
export const day = (iso: string): string => iso.slice(0, 16).replace("T", " ");

/** `4m12s / 45m ✓`, `missed` when over; `-` when not measured. */
export function judgedText(j: Judged | null): string {
  if (!j || j.measuredMs === null) return "-";
  const of = j.objectiveMs === null ? "" : ` / ${formatDuration(j.objectiveMs)}`;
  const verdict = j.met === null ? "" : j.met ? " ✓" : " ✗ missed";
  return `${formatDuration(j.measuredMs)}${of}${verdict}`;
}

export function gapsText(d: DrillEvidence): string {
  // Without a schedule there is no month a run was due in; only no run at all is a gap.
  if (d.gaps === null)
    return d.passed === 0
      ? "no passed run in the period (no schedule)"
      : "no schedule: months not judged";
  return d.gaps.length === 0 ? "none" : d.gaps.join(", ");
}

export const lastSuccessText = (d: DrillEvidence): string =>
  d.lastSuccess ? day(d.lastSuccess.startedAt) : "never";

/** The newest of a control's drills' last successes. */
export function controlLastSuccess(c: ControlRow): string {
  const times = c.drills.flatMap((d) => (d.lastSuccess ? [d.lastSuccess.startedAt] : []));
  return times.length === 0 ? "never" : day(times.sort().at(-1)!);
}

/** `orders-restore: 2026-03, 2026-07`, one part per drill with gaps. */
export function controlGaps(c: ControlRow): string {
  if (c.drills.length === 0) return "no drill";
  const parts = c.drills.filter((d) => (d.gaps ? d.gaps.length > 0 : d.passed === 0));
  if (parts.length > 0) return parts.map((d) => `${d.drill}: ${gapsText(d)}`).join("; ");
  return c.drills.some((d) => d.gaps !== null) ? "none" : "not judged (no schedule)";
}

export const runCount = (c: ControlRow) => c.drills.reduce((n, d) => n + d.runs.length, 0);
export const passedCount = (c: ControlRow) => c.drills.reduce((n, d) => n + d.passed, 0);

export const NO_DRILL = "no drill evidences this control";

/** What a gap is, said under the period in every form. */
export const GAP_RULE =
  "a gap is a whole month (UTC) in which a drill's schedule came due and no run passed";

export const SUMMARY_HEADERS = [
  "control",
  "framework",
  "drills",
  "runs",
  "passed",
  "last success",
  "gaps",
];

/** A control's row of the summary table, beside SUMMARY_HEADERS. */
export const summaryCells = (c: ControlRow): string[] => [
  c.id,
  c.framework,
  c.drills.map((d) => d.drill).join(", ") || "no drill",
  String(runCount(c)),
  String(passedCount(c)),
  controlLastSuccess(c),
  controlGaps(c),
];

export const RUN_HEADERS = [
  "date (UTC)",
  "outcome",
  "RTO measured / objective",
  "RPO measured / objective",
  "signature",
  "findings",
];

/** A run's row, beside RUN_HEADERS. */
export const runCells = (r: RunRow): string[] => [
  day(r.startedAt),
  r.outcome,
  judgedText(r.rto),
  judgedText(r.rpo),
  r.signature,
  r.findings.join("; "),
];
