import type { Queryable } from "../db.js";
import { DrillError } from "../errors.js";
import { errorText, isPgError, pgFacts } from "../redact.js";
import { displayName, type TableInfo } from "./catalog.js";
import type { CompiledTable } from "./sql.js";

const HINTS: Record<string, string> = {
  "22": "a value in the column does not fit its rule (say, shiftDate on text that is not a date): correct the rule, or classify the column another way; the value is not recorded",
  "23": "the rewritten rows break a constraint: a rule gave rows of a unique key equal values (set, or a fake without unique: true); the values are not recorded",
};

/**
 * A table's rewrite failed inside PostgreSQL: the error says which table and, when it can tell,
 * which column, with the SQLSTATE and no value (see redact.ts). A data error (class 22: a date
 * inside JSON that is not one) names no column, so each rewritten column's expression is run
 * alone until one fails the same way: a scan per column, paid only when the rewrite failed.
 * `db` is the worker's session, keys applied; the failed transaction was rolled back.
 */
export async function rewriteFailure(
  db: Queryable,
  table: TableInfo,
  compiled: CompiledTable,
  e: unknown,
): Promise<unknown> {
  if (!isPgError(e)) return e;
  const facts = pgFacts(e);
  const column =
    facts.column ??
    (facts.sqlstate.startsWith("22")
      ? await failingColumn(db, table, compiled, e.code).catch(() => undefined)
      : undefined);
  const where = column
    ? `${displayName(table)}.${column}`
    : `${displayName(table)}${facts.key ? ` key (${facts.key})` : ""}`;
  const names = [table.schema, table.name, ...table.columns.map((c) => c.name)];
  const hint = HINTS[facts.sqlstate.slice(0, 2)];
  return new DrillError("platform", "SCRUB_REWRITE_FAILED", `${where}: ${errorText(e, names)}`, {
    ...(hint ? { hint } : {}),
    cause: e,
    postgres: {
      ...facts,
      schema: table.schema,
      table: table.name,
      ...(column ? { column } : {}),
    },
  });
}

async function failingColumn(
  db: Queryable,
  table: TableInfo,
  compiled: CompiledTable,
  sqlstate: string,
): Promise<string | undefined> {
  await db.query("begin read only");
  try {
    // As the rewrite reads: a policy hiding rows must not hide the failing one.
    await db.query("set local row_security = off");
    for (const [column, expression] of compiled.expressions ?? []) {
      await db.query("savepoint drill_column");
      try {
        // count(x) evaluates x on every row to know whether it is null.
        await db.query(`select count(${expression}) from ${table.qualified} t`);
      } catch (err) {
        if (isPgError(err) && err.code === sqlstate) return column;
      } finally {
        await db.query("rollback to savepoint drill_column");
      }
    }
    return undefined;
  } finally {
    await db.query("rollback").catch(() => {});
  }
}
