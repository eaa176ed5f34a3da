import { z } from "zod";
import { checkName, columnName, duration, strict, tableName } from "../definitions/common.js";
import { formatDuration } from "../duration.js";
import { quoteIdent } from "../db.js";
import { requireColumns } from "./relations.js";
import { CheckFailure, defineCheck } from "./types.js";

/**
 * The newest value of a timestamp column, aged against the snapshot's time (how much data the
 * snapshot itself had not caught: the RPO) or against now. Its age in
 * `details.ageMs` is what verify reports as the measured RPO.
 */
export const freshness = defineCheck({
  kind: "freshness",
  schema: strict({
    name: checkName,
    table: tableName.meta({ description: "the table holding the timestamps" }),
    column: columnName.meta({ description: "a timestamp column; its newest value dates the copy" }),
    maxAge: duration.optional().meta({
      description: "the newest value may be at most this old (without it the age is only measured)",
    }),
    against: z.enum(["snapshot", "now"]).default("snapshot").meta({
      description: "age the newest value against the snapshot's time or the current time",
    }),
  }).meta({
    description:
      "The age of a timestamp column's newest value, against the snapshot's time or now; the worse of it and the restore's `newestData` is the measured RPO.",
  }),
  describe: (o) => o.name ?? `freshness ${o.table}.${o.column}`,
  async run(o, db, ctx) {
    const expected = o.maxAge === undefined ? "any age" : `<= ${formatDuration(o.maxAge)}`;
    const reference = o.against === "now" ? ctx.now() : ctx.snapshotTakenAt;
    if (reference === undefined) {
      throw new CheckFailure(
        "the restored copy has no snapshot time (restored from an archive?): use `against: now`",
        "no snapshot time",
        expected,
      );
    }
    const quoted = await requireColumns(db, o.table, [o.column]);
    const { rows } = await db.query<{ newest: Date | null }>(
      `select max(${quoteIdent(o.column)})::timestamptz as newest from ${quoted}`,
    );
    const newest = rows[0]?.newest ?? null;
    if (newest === null) {
      return {
        measured: null,
        expected,
        passed: false,
        message: `"${o.table}.${o.column}" has no values: nothing dates the copy`,
        details: { table: o.table, column: o.column, against: o.against },
      };
    }
    // A newest value after the reference (clock skew, a future-dated row) is not negative age.
    const ageMs = Math.max(0, reference - newest.getTime());
    return {
      measured: formatDuration(ageMs),
      expected,
      passed: o.maxAge === undefined || ageMs <= o.maxAge,
      details: {
        table: o.table,
        column: o.column,
        against: o.against,
        newest: newest.toISOString(),
        reference: new Date(reference).toISOString(),
        ageMs,
      },
    };
  },
});
