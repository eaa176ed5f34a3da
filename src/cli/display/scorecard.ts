import { formatDuration } from "../../duration.js";
import type { ExitCode } from "../../errors.js";
import type { Measurement, RunRecord } from "../../types.js";
import { colourOutcome, type Style } from "./style.js";

/** One drill of a `drill run` of several: its record, or only its exit code when it never started. */
export interface ScorecardEntry {
  drill: string;
  code: ExitCode;
  record?: RunRecord;
}

const HEADER = ["drill", "outcome", "restore", "RTO", "RPO", "downtime", "leak scan", "evidence"];

/** Why a drill without a record ended, in the words of the exit codes (see runCommand). */
const NO_RECORD: Record<ExitCode, string> = {
  0: "passed",
  1: "failed",
  2: "bad input",
  3: "error",
  130: "interrupted",
};

/**
 * The table `drill run --all` (or several drills) ends with, one row per drill in the order
 * asked: measured values beside "met"/"missed", so a reader sees which objective broke where.
 */
export function scorecardLines(entries: ScorecardEntry[], style: Style): string[] {
  const rows = entries.map((e) => (e.record ? recordRow(e.record) : missingRow(e)));
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const pad = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  const lines = ["", style.bold("scorecard"), style.dim(pad(HEADER).trimEnd())];
  rows.forEach((cells, i) => {
    const outcome = entries[i]!.record?.outcome ?? "error";
    // Colour after padding: escape codes would throw the column widths off.
    const line = pad(cells).replace(cells[1]!, colourOutcome(style, outcome, cells[1]!));
    lines.push(line.trimEnd());
  });
  return lines;
}

function recordRow(r: RunRecord): string[] {
  const restore = r.steps.find((s) => s.kind === "restore");
  const scans = r.steps.flatMap((s) => {
    const scan = s.details.leakScan as { findings?: string[] } | undefined;
    return scan?.findings ? [scan.findings.length] : [];
  });
  const leak =
    scans.length === 0
      ? "-"
      : scans.every((n) => n === 0)
        ? "clean"
        : `${scans.reduce((a, b) => a + b, 0)} finding(s)`;
  return [
    r.drill,
    r.outcome,
    restore ? formatDuration(restore.durationMs) : "-",
    objective(r.measurements.rtoMs),
    objective(r.measurements.rpoMs),
    objective(r.measurements.downtimeMs),
    leak,
    r.storedAt ?? "-",
  ];
}

const missingRow = (e: ScorecardEntry) => [
  e.drill,
  NO_RECORD[e.code],
  "-",
  "-",
  "-",
  "-",
  "-",
  "no record",
];

function objective(m: Measurement | undefined): string {
  if (!m || m.value === null) return "-";
  const verdict = m.met === null ? "" : m.met ? " met" : " missed";
  return `${formatDuration(m.value)}${verdict}`;
}
