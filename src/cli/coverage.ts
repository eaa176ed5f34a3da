import { providerFleet } from "../coverage/fleet.js";
import { collectCoverage, type FleetLister } from "../coverage/collect.js";
import { ageText, isProblem, type CoverageEntry, type CoverageReport } from "../coverage/model.js";
import { formatDuration } from "../duration.js";
import type { ExitCode } from "../errors.js";
import { openHistory } from "../history/open.js";
import { systemClock, type Clock } from "../types.js";
import { writeLine, type Io } from "./io.js";
import { printable } from "../definitions/problems.js";
import { loadOrReport } from "./project.js";

export interface CoverageFlags {
  environment?: string;
  json?: boolean;
}

/**
 * `drill coverage [--environment NAME] [--json]`: every database the environments see, grouped
 * covered, stale, uncovered and ignored. Exit 1 when any is stale or uncovered, 0 otherwise;
 * 2 for an unknown environment, 3 when AWS cannot be listed (thrown to the CLI entry).
 */
export async function coverageCommand(
  flags: CoverageFlags,
  io: Io,
  deps: { clock?: Clock; fleet?: FleetLister } = {},
): Promise<ExitCode> {
  // A drill being edited into shape would hide what every other drill covers: all must load.
  const project = await loadOrReport(io);
  if (!project) return 2;
  const store = openHistory(project);
  try {
    const report = await collectCoverage(project, {
      ...(flags.environment !== undefined ? { environment: flags.environment } : {}),
      clock: deps.clock ?? systemClock,
      store,
      fleet: deps.fleet ?? providerFleet(),
    });
    if (flags.json) writeLine(io.stdout, JSON.stringify(report, null, 2));
    else for (const line of coverageLines(report)) writeLine(io.stdout, line);
    return report.entries.some(isProblem) ? 1 : 0;
  } finally {
    await store.close().catch(() => {});
  }
}

const GROUPS = ["covered", "stale", "uncovered", "ignored"] as const;

/** One heading per non-empty group, one padded line per database, and a summary. */
export function coverageLines(report: CoverageReport): string[] {
  const lines: string[] = [];
  // Names and tag values come from the account: no terminal escapes or line breaks through.
  const rowOf = (e: CoverageEntry) =>
    [e.environment, e.kind, e.id, ...describe(e)].map((c) => printable(c));
  // One set of column widths for all groups, so they line up under each other.
  const all = report.entries.map(rowOf);
  const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...all.map((r) => r[i]!.length)));
  for (const group of GROUPS) {
    const entries = report.entries.filter((e) => e.state === group);
    if (entries.length === 0) continue;
    lines.push(`${group} (${entries.length})`);
    for (const r of entries.map(rowOf))
      lines.push(`  ${r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join("  ")}`.trimEnd());
  }
  const c = report.counts;
  lines.push(
    `coverage: ${c.covered} covered, ${c.stale} stale, ${c.uncovered} uncovered, ${c.ignored} ignored (maxAge ${formatDuration(report.maxAgeMs)})`,
  );
  return lines;
}

/** The drills column, then the last pass (or why there is none). */
function describe(e: CoverageEntry): [string, string] {
  const drills = e.drills.length > 0 ? e.drills.join(",") : "no drill";
  const pass = e.lastPass
    ? `last pass ${e.lastPass.at.slice(0, 16).replace("T", " ")} (${ageText(e.lastPass.ageMs)} ago, ${e.lastPass.drill})`
    : e.drills.length > 0
      ? "never passed"
      : "";
  return [drills, e.ignored !== undefined ? `ignored: ${e.ignored}` : pass];
}
