import { describe, expect, it } from "vitest";
import { markdownReport, md } from "../../src/report/markdown.js";
import type { RunRecord } from "../../src/types.js";
import { failedRunWithHistory, HOSTILE, runRecord } from "./records.js";

/**
 * The failed run the HTML report is tested with (scrub, failover, a failed check whose name is
 * markup), plus what the scrub step writes, a step error with a `|` and a newline, and the
 * forecast the engine stores.
 */
function failedRun(): RunRecord {
  const { record } = failedRunWithHistory();
  const scrub = record.steps.find((s) => s.kind === "scrub")!;
  scrub.details = {
    totals: { tables: 4, rows: 126_000, durationMs: 700_000, rowsPerSecond: 180 },
    leakScan: { findings: [{ table: "customers", column: "notes", kind: "email" }] },
  };
  const cleanup = record.steps.find((s) => s.kind === "cleanup")!;
  cleanup.outcome = "error";
  cleanup.error = { code: "X", message: "drop failed | retrying\nsecond line", hint: "see logs" };
  record.measurements.downtimeMs = { value: 9_000, objective: 5_000, met: false };
  record.forecast = { status: "crossing", headline: "RTO objective reached in about 9 weeks" };
  return record;
}

/** The rows of the table under a `### heading`, each split into its cells. */
function tableUnder(text: string, heading: string): string[][] {
  const lines = text.split("\n");
  const start = lines.indexOf(`### ${heading}`);
  expect(start, `no section ${heading}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    // A cell ends at a `|` that is not escaped.
    rows.push(
      line
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

describe("markdownReport", () => {
  const record = failedRun();
  const text = markdownReport(record);

  it("titles the run with its outcome and drill, then id, environment and duration", () => {
    expect(text.split("\n")[0]).toBe("## ❌ orders failed");
    expect(text).toContain(`run ${record.id} · sandbox · `);
    expect(text).toContain("started 2026-03-30 04:00:00 UTC");
  });

  it("tables every step with its duration and outcome; a `|` or newline stays in its cell", () => {
    const rows = tableUnder(text, "Steps");
    expect(rows[0]).toEqual(["step", "kind", "duration", "outcome", "note"]);
    expect(rows[1]).toEqual(["---", "---", "---:", "---", "---"]);
    expect(rows.slice(2).map((r) => [r[0], r[2], r[3]])).toEqual([
      ["restore", "25m", "passed"],
      ["scrub", "11m40s", "passed"],
      ["verify", "25.0s", "passed"],
      ["failover", "40.0s", "passed"],
      ["cleanup", "400ms", "error"],
    ]);
    const cleanup = rows.at(-1)!;
    expect(cleanup).toHaveLength(5);
    expect(cleanup[4]).toBe("drop failed \\| retrying second line (hint: see logs)");
  });

  it("puts each measurement beside its objective and verdict, RTO and RPO first", () => {
    const { rtoMs, rpoMs, ...rest } = record.measurements;
    // Keys in another order, as the PostgreSQL history store returns them.
    const rows = tableUnder(
      markdownReport({ ...record, measurements: { ...rest, rpoMs, rtoMs } }),
      "Objectives",
    ).slice(2);
    expect(rows.slice(0, 2).map((r) => r[0])).toEqual(["RTO", "RPO"]);
    const byLabel = Object.fromEntries(rows.map((r) => [r[0], r.slice(1)]));
    expect(rows[0]).toEqual(["RTO", "37m8s", "45m", "✅ met"]);
    expect(byLabel["failover downtime"]).toEqual(["9.0s", "5.0s", "❌ missed"]);
    expect(byLabel["lost writes"]).toEqual(["0", "0", "✅ met"]);
    expect(byLabel.restore).toEqual(["25m", "—", ""]);
  });

  it("lists failed checks with their measured values, escaped so markup stays text", () => {
    expect(text).toContain("1 of 2 passed.");
    expect(text).toContain(
      '- ❌ \\<script\\>alert("x")\\</script\\>: measured \\<b\\>3\\</b\\>, expected = 0',
    );
    expect(text).not.toContain(HOSTILE);
    // Every `<` from the record is backslash-escaped: nothing renders as an element.
    expect(text).not.toMatch(/(?<!\\)<(script|b|img)\b/);
  });

  it("says failover downtime, lost writes, scrub rows and the leak scan", () => {
    expect(text).toContain("- **Failover downtime**: 9.0s (objective 5.0s) missed");
    expect(text).toContain("- **Lost writes**: 0 (allowed 0) met");
    expect(text).toContain("- **Scrub**: passed, 126000 rows");
    expect(text).toContain("- **Leak scan**: 1 finding(s)");
  });

  it("lists findings and warnings, and the forecast once", () => {
    expect(text).toContain("### Findings");
    expect(text).toContain("- ⚠️ restore took 25m, 40% slower than the median");
    expect(text).toMatch(/### Forecast\n\nRTO objective reached in about 9 weeks\n$/);
    expect(text.match(/about 9 weeks/g)).toHaveLength(1);
    // The history's forecast, when the caller has one, replaces the record's.
    const given = markdownReport(record, { forecast: "Not enough history yet." });
    expect(given).toContain("### Forecast\n\nNot enough history yet.");
    expect(given).not.toContain("about 9 weeks");
  });

  it("leaves out what a plain passed run did not do", () => {
    const passed = markdownReport(
      runRecord({ at: "2026-04-01T04:00:00Z", restoreMs: 1000, verifyMs: 500 }),
    );
    expect(passed.split("\n")[0]).toBe("## ✅ orders passed");
    expect(passed).toContain("1 of 1 passed.");
    for (const absent of ["❌", "### Failover and scrub", "### Findings", "### Forecast"])
      expect(passed).not.toContain(absent);
  });
});

describe("md", () => {
  it("escapes what would start markup, a link or a new cell, and joins lines", () => {
    expect(md("a|b")).toBe("a\\|b");
    expect(md("[x](http://e.invalid) *y* `z` <i> & \\")).toBe(
      "\\[x\\](http://e.invalid) \\*y\\* \\`z\\` \\<i\\> \\& \\\\",
    );
    expect(md("one\ntwo\r\nthree")).toBe("one two three");
    expect(md("order_items")).toBe("order\\_items");
  });
});
