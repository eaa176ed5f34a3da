import { checkName, columnName, columnRef, strict, tableName } from "../definitions/common.js";
import { quoteIdent } from "../db.js";
import { requireColumns, splitColumnRef } from "./relations.js";
import { defineCheck } from "./types.js";

const EXAMPLES = 5;

/**
 * Every non-null `table.column` value exists in `references`, whether or not a foreign key says
 * so (restores of logical dumps, sharded data, FKs dropped for speed). Examples are the dangling
 * key values only, never other columns of the rows, and only as keyed hashes unless the drill
 * says `showExamples: true`: a key may well be personal (an email), and the record is posted.
 */
export const noOrphans = defineCheck({
  kind: "noOrphans",
  schema: strict({
    name: checkName,
    table: tableName.meta({ description: "the child table" }),
    column: columnName.meta({ description: "the child column that refers to the parent" }),
    references: columnRef.meta({ description: 'the parent column, "table.column"' }),
  }).meta({
    description:
      "Every non-null value of a column has its parent row, with or without a foreign key.",
  }),
  describe: (o) => o.name ?? `noOrphans ${o.table}.${o.column} → ${o.references}`,
  async run(o, db, ctx) {
    const parent = splitColumnRef(o.references);
    const child = await requireColumns(db, o.table, [o.column]);
    const ref = await requireColumns(db, parent.table, [parent.column]);
    const c = quoteIdent(o.column);
    const p = quoteIdent(parent.column);
    const orphans = `from ${child} c where c.${c} is not null
      and not exists (select 1 from ${ref} p where p.${p} = c.${c})`;
    const { rows } = await db.query<{ n: string }>(`select count(*) as n ${orphans}`);
    const n = Number(rows[0]!.n);
    let examples: string[] = [];
    if (n > 0) {
      const found = await db.query<{ k: string }>(
        `select k::text as k from (select distinct c.${c} as k ${orphans} order by 1 limit ${EXAMPLES}) e`,
      );
      examples = await ctx.examples.of(found.rows.map((r) => r.k));
    }
    const shown = ctx.examples.show ? "" : " (keyed hashes; showExamples: true shows the values)";
    return {
      measured: n,
      expected: "= 0",
      passed: n === 0,
      details: { table: o.table, column: o.column, references: o.references, orphans: n, examples },
      ...(n > 0
        ? {
            message: `${n} rows of ${o.table} point at missing ${o.references}, e.g. ${examples.join(", ")}${shown}`,
          }
        : {}),
    };
  },
});
