import { checkName, strict, tableName } from "../definitions/common.js";
import { quoteIdent } from "../db.js";
import { columnList, requireColumns } from "./relations.js";
import { defineCheck } from "./types.js";

/** No nulls in the named columns, checked on the data whatever the constraints say. */
export const notNull = defineCheck({
  kind: "notNull",
  schema: strict({
    name: checkName,
    table: tableName.meta({ description: "the table to check" }),
    columns: columnList.meta({ description: "columns that must hold no nulls" }),
  }).meta({
    description: "No nulls in the columns, checked on the data whatever the constraints say.",
  }),
  describe: (o) => o.name ?? `notNull ${o.table}(${o.columns.join(", ")})`,
  async run(o, db) {
    const table = await requireColumns(db, o.table, o.columns);
    // Positional aliases: column names may be anything, the result keys must not collide.
    const counts = o.columns
      .map((c, i) => `count(*) filter (where ${quoteIdent(c)} is null) as n${i}`)
      .join(", ");
    const { rows } = await db.query<Record<string, string>>(`select ${counts} from ${table}`);
    const nulls = Object.fromEntries(o.columns.map((c, i) => [c, Number(rows[0]![`n${i}`])]));
    const total = Object.values(nulls).reduce((a, b) => a + b, 0);
    const bad = Object.entries(nulls).filter(([, n]) => n > 0);
    return {
      measured: total,
      expected: "= 0 nulls",
      passed: total === 0,
      details: { table: o.table, nulls },
      ...(bad.length > 0
        ? { message: `nulls in ${bad.map(([c, n]) => `${o.table}.${c} (${n})`).join(", ")}` }
        : {}),
    };
  },
});
