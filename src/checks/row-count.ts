import { z } from "zod";
import { checkName, strict, tableName } from "../definitions/common.js";
import type { RunRecord } from "../types.js";
import { requireTable } from "./relations.js";
import { defineCheck, type CheckRecord } from "./types.js";

const count = z.number().int().min(0);

export const rowCount = defineCheck({
  kind: "rowCount",
  schema: strict({
    name: checkName,
    table: tableName.meta({ description: "the table to count" }),
    min: count.optional().meta({ description: "at least this many rows" }),
    max: count.optional().meta({ description: "at most this many rows" }),
    exact: count.optional().meta({ description: "exactly this many rows" }),
    withinPercentOfPrevious: z.number().positive().max(1000).optional().meta({
      description:
        "the count may differ by at most this many percent from the same table's count in the previous passed run of this drill",
    }),
  })
    .refine(
      (o) =>
        o.min !== undefined ||
        o.max !== undefined ||
        o.exact !== undefined ||
        o.withinPercentOfPrevious !== undefined,
      { message: "give at least one of min, max, exact, withinPercentOfPrevious" },
    )
    .meta({
      description:
        "Counts a table's rows: `min`, `max`, `exact`, or `withinPercentOfPrevious` against the same table in the drill's last passed run.",
    }),
  describe: (o) => o.name ?? `rowCount ${o.table}`,
  async run(o, db, ctx) {
    const quoted = await requireTable(db, o.table);
    const { rows } = await db.query<{ n: string }>(`select count(*) as n from ${quoted}`);
    const n = Number(rows[0]!.n);
    const expected: string[] = [];
    const details: Record<string, unknown> = { table: o.table };
    let message: string | undefined;
    let passed = true;
    if (o.exact !== undefined) {
      expected.push(`= ${o.exact}`);
      passed &&= n === o.exact;
    }
    if (o.min !== undefined) {
      expected.push(`>= ${o.min}`);
      passed &&= n >= o.min;
    }
    if (o.max !== undefined) {
      expected.push(`<= ${o.max}`);
      passed &&= n <= o.max;
    }
    if (o.withinPercentOfPrevious !== undefined) {
      const pct = o.withinPercentOfPrevious;
      const run = await ctx.previousPassedRun();
      const previous = run ? previousCount(run, o.table) : undefined;
      if (run === undefined || previous === undefined) {
        // Nothing to compare with yet (first run, or the table was not counted then): not a
        // finding, but the record says the comparison did not happen.
        expected.push(`within ${pct}% of the previous passed run (none yet)`);
        message = run
          ? `the previous passed run ${run.id} did not count "${o.table}"`
          : "no previous passed run of this drill to compare with";
      } else {
        expected.push(`within ${pct}% of ${previous} (run ${run.id})`);
        const changePct =
          previous === 0 ? (n === 0 ? 0 : Infinity) : ((n - previous) / previous) * 100;
        details.previous = { run: run.id, count: previous, changePercent: round(changePct) };
        if (Math.abs(changePct) > pct) {
          passed = false;
          message = `${n < previous ? "dropped" : "grew"} ${round(Math.abs(changePct))}% since run ${run.id}: ${n} rows, was ${previous}`;
        }
      }
    }
    return {
      measured: n,
      expected: expected.join(" and "),
      passed,
      details,
      ...(message ? { message } : {}),
    };
  },
});

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);

/** The count a rowCount check of `table` measured in a verify step of an earlier run. */
function previousCount(run: RunRecord, table: string): number | undefined {
  for (const step of run.steps) {
    if (step.kind !== "verify" || !Array.isArray(step.details.checks)) continue;
    for (const c of step.details.checks as CheckRecord[]) {
      if (c.kind !== "rowCount" || typeof c.measured !== "number") continue;
      // Records written before checks had details are matched by their default name.
      const counted = (c.details?.table as string | undefined) ?? c.name.replace(/^rowCount /, "");
      if (counted === table) return c.measured;
    }
  }
  return undefined;
}
