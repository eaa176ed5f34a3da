import { checkName, strict, tableName } from "../definitions/common.js";
import { quoteIdent } from "../db.js";
import { columnList, requireColumns } from "./relations.js";
import { defineCheck } from "./types.js";

/**
 * The columns together form a unique key, as a UNIQUE constraint would (rows with a null in the
 * key are exempt), checked on the data whatever the constraints say. No example values: a
 * duplicated key may well be personal data (an email).
 */
export const unique = defineCheck({
  kind: "unique",
  schema: strict({
    name: checkName,
    table: tableName.meta({ description: "the table to check" }),
    columns: columnList.meta({
      description: "together one key; write one check per column for separate keys",
    }),
  }).meta({
    description:
      "No two rows share a value of the columns, checked on the data whatever the constraints say.",
  }),
  describe: (o) => o.name ?? `unique ${o.table}(${o.columns.join(", ")})`,
  async run(o, db) {
    const table = await requireColumns(db, o.table, o.columns);
    const cols = o.columns.map(quoteIdent);
    const { rows } = await db.query<{ keys: string; rows: string | null }>(
      `select count(*) as keys, sum(n) as rows from (
         select count(*) as n from ${table}
          where ${cols.map((c) => `${c} is not null`).join(" and ")}
          group by ${cols.join(", ")} having count(*) > 1) d`,
    );
    const keys = Number(rows[0]!.keys);
    const dupRows = Number(rows[0]!.rows ?? 0);
    return {
      measured: keys,
      expected: "= 0 duplicated keys",
      passed: keys === 0,
      details: { table: o.table, columns: o.columns, duplicatedKeys: keys, rowsInvolved: dupRows },
      ...(keys > 0 ? { message: `${keys} keys occur more than once, in ${dupRows} rows` } : {}),
    };
  },
});
