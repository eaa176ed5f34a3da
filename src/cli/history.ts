import { formatDuration } from "../duration.js";
import type { ExitCode } from "../errors.js";
import { openHistory } from "../history/open.js";
import type { Measurement, RunRecord } from "../types.js";
import { writeLine, type Io } from "./io.js";
import { loadOrReport } from "./project.js";

export interface HistoryFlags {
  json?: boolean;
  limit?: number;
}

/** `drill history [drill]`: past runs, newest first, from the configured store. */
export async function historyCommand(
  drill: string | undefined,
  flags: HistoryFlags,
  io: Io,
): Promise<ExitCode> {
  // Only config is needed: a drill deleted since still has its history.
  const project = await loadOrReport(io, []);
  if (!project) return 2;
  if (drill !== undefined && !project.drills.has(drill)) {
    // A drill deleted since still has history: only warn.
    const all = await loadOrReport(io);
    if (all && !all.drills.has(drill))
      writeLine(io.stderr, `note: no drill file for "${drill}"; showing its history`);
  }
  const store = openHistory(project);
  try {
    const runs = await store.list(drill, { limit: flags.limit ?? 20 });
    if (flags.json) {
      writeLine(io.stdout, JSON.stringify(runs, null, 2));
      return 0;
    }
    if (runs.length === 0) {
      writeLine(io.stdout, drill ? `no runs of ${drill} yet` : "no runs yet");
      return 0;
    }
    for (const line of historyTable(runs)) writeLine(io.stdout, line);
    return 0;
  } finally {
    await store.close().catch(() => {});
  }
}

const HEADERS = ["time (UTC)", "drill", "outcome", "RTO", "RPO", "downtime", "duration", "run"];

/** One line per run, columns padded to their widest cell. */
export function historyTable(runs: RunRecord[]): string[] {
  const rows = runs.map((r) => [
    r.startedAt.slice(0, 16).replace("T", " "),
    r.drill,
    r.outcome,
    judged(r.measurements.rtoMs),
    judged(r.measurements.rpoMs),
    judged(r.measurements.downtimeMs),
    formatDuration(r.durationMs),
    r.id,
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 3 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(HEADERS), ...rows.map(line)];
}

/** `4m 12s`, with `!` when the objective was missed; `-` when not measured. */
function judged(measured: Measurement | undefined): string {
  if (!measured || measured.value === null) return "-";
  return `${formatDuration(measured.value)}${measured.met === false ? " !" : ""}`;
}
