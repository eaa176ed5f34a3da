import type { Unclassified } from "./plan.js";
import type { LeakReport } from "./scan.js";
import type { ScrubReport, TableReport } from "./scrub.js";

/** What happened to one database of the copy. */
export interface DatabaseReport {
  database: string;
  /** The scrubber it was scrubbed with; null for databases no scrubber names. */
  scrubber: string | null;
  /**
   * passed/failed: scrubbed; empty: no user table nor large object, left as it is; dropped:
   * `otherDatabases: drop`; unclassified: holds data no scrubber names, the step failed on it.
   */
  outcome: "passed" | "failed" | "empty" | "dropped" | "unclassified";
  /** Tables rewritten (scrubbed), or user tables found (the others). */
  tables: number;
  rows: number;
  /** "clean", "2 finding(s)", "off"; null where nothing was scanned. */
  leakScan: string | null;
  /** The scrub's own report (scrubbed databases only); merged into the step's, not repeated. */
  report?: ScrubReport;
}

/** The scrub step's report over every database: today's single-database shape, summed. */
export interface DatabasesReport {
  outcome: "passed" | "failed";
  findings: string[];
  databases: Omit<DatabaseReport, "report">[];
  tables: (TableReport & { database: string })[];
  totals: {
    databases: number;
    tables: number;
    rows: number;
    durationMs: number;
    rowsPerSecond: number;
  };
  unclassified: (Unclassified & { database: string })[];
  /** Findings of every database's leak scan (named by database when several), each scan by database. */
  leakScan?: { findings: string[]; databases: Record<string, LeakReport> };
}

const rate = (rows: number, ms: number) => (ms > 0 ? Math.round((rows * 1000) / ms) : 0);

/** One report from each database's: findings and tables named by database, totals summed. */
export function mergeReports(all: DatabaseReport[], stepFindings: string[]): DatabasesReport {
  const scrubbed = all.filter((d) => d.report !== undefined) as Required<DatabaseReport>[];
  // With one database scrubbed, findings read as they always did.
  const inDb = (database: string) => (f: string) =>
    scrubbed.length < 2
      ? f
      : f.startsWith("warning: ")
        ? `warning: database ${database}: ${f.slice("warning: ".length)}`
        : `database ${database}: ${f}`;
  const findings = [
    ...stepFindings,
    ...scrubbed.flatMap((d) => d.report.findings.map(inDb(d.database))),
  ];
  const rows = scrubbed.reduce((n, d) => n + d.report.totals.rows, 0);
  const durationMs = scrubbed.reduce((n, d) => n + d.report.totals.durationMs, 0);
  const scans = scrubbed.filter((d) => d.report.leakScan !== undefined);
  const failed =
    stepFindings.length > 0 ||
    scrubbed.some((d) => d.report.outcome === "failed") ||
    all.some((d) => d.outcome === "unclassified");
  return {
    outcome: failed ? "failed" : "passed",
    findings,
    databases: all.map(({ report: _, ...d }) => d),
    tables: scrubbed.flatMap((d) => d.report.tables.map((t) => ({ database: d.database, ...t }))),
    totals: {
      databases: scrubbed.length,
      tables: scrubbed.reduce((n, d) => n + d.report.totals.tables, 0),
      rows,
      durationMs,
      rowsPerSecond: rate(rows, durationMs),
    },
    unclassified: scrubbed.flatMap((d) =>
      d.report.unclassified.map((u) => ({ database: d.database, ...u })),
    ),
    ...(scans.length > 0
      ? {
          leakScan: {
            findings: scans.flatMap((d) => d.report.leakScan!.findings.map(inDb(d.database))),
            databases: Object.fromEntries(scans.map((d) => [d.database, d.report.leakScan!])),
          },
        }
      : {}),
  };
}
