import { z } from "zod";
import { columnName } from "../definitions/common.js";
import { quoteTable, type Queryable } from "../db.js";
import { CheckFailure } from "./types.js";

/**
 * Tables and columns named in a drill may not exist in the restored copy (the database moved on,
 * or a typo): say so as the check's failure before any query trips over it.
 */
export async function requireTable(db: Queryable, table: string): Promise<string> {
  const quoted = quoteTable(table);
  const { rows } = await db.query<{ found: boolean }>(
    "select to_regclass($1) is not null as found",
    [quoted],
  );
  if (!rows[0]?.found) {
    throw new CheckFailure(
      `table "${table}" does not exist in the restored copy`,
      "missing",
      `table "${table}" exists`,
    );
  }
  return quoted;
}

/** The table must exist and have every column; returns the quoted table name. */
export async function requireColumns(
  db: Queryable,
  table: string,
  columns: readonly string[],
): Promise<string> {
  const quoted = await requireTable(db, table);
  const present = new Set(await columnsOf(db, quoted));
  const missing = columns.filter((c) => !present.has(c));
  if (missing.length === 1) {
    throw new CheckFailure(
      `column "${table}.${missing[0]}" does not exist in the restored copy`,
      "missing",
      `column "${table}.${missing[0]}" exists`,
    );
  }
  if (missing.length > 1) {
    const list = missing.map((c) => `"${c}"`).join(", ");
    throw new CheckFailure(
      `columns ${list} of table "${table}" do not exist in the restored copy`,
      "missing",
      `columns ${list} of "${table}" exist`,
    );
  }
  return quoted;
}

/** Column names of an existing table (quoted name), in order. */
export async function columnsOf(db: Queryable, quotedTable: string): Promise<string[]> {
  const { rows } = await db.query<{ attname: string }>(
    `select attname from pg_attribute
      where attrelid = to_regclass($1) and attnum > 0 and not attisdropped order by attnum`,
    [quotedTable],
  );
  return rows.map((r) => r.attname);
}

/** `orders.customer_id` or `shop.orders.customer_id` → table and column. */
export function splitColumnRef(ref: string): { table: string; column: string } {
  const parts = ref.split(".");
  const column = parts.pop()!;
  return { table: parts.join("."), column };
}

/** Columns named by a check: at least one, none twice. */
export const columnList = z
  .array(columnName)
  .min(1, { message: "name at least one column" })
  .refine((cs) => new Set(cs).size === cs.length, { message: "a column is listed twice" });
