import { z } from "zod";
import { strict } from "../definitions/common.js";
import { defineCheck } from "./types.js";

const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/**
 * A query whose first column of its first row is compared with `expect`. Numbers compare as
 * numbers (PostgreSQL returns bigint and numeric as strings), everything else as text.
 */
export const sql = defineCheck({
  kind: "sql",
  schema: strict({
    name: z.string().min(1),
    query: z.string().min(1),
    expect: scalar,
  }),
  describe: (o) => o.name,
  async run(o, db) {
    const { rows, fields } = await db.query<Record<string, unknown>>(o.query);
    const first = rows[0];
    const column = fields[0]?.name;
    const value = first === undefined || column === undefined ? null : normalise(first[column]);
    // count(*) and numeric arrive as strings; compared with a number they are numbers.
    const measured =
      typeof o.expect === "number" && typeof value === "string" && NUMERIC.test(value)
        ? Number(value)
        : value;
    return {
      measured,
      expected: `= ${JSON.stringify(o.expect)}`,
      passed: same(measured, o.expect),
    };
  },
});

const NUMERIC = /^-?\d+(\.\d+)?$/;

function normalise(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}

function same(measured: unknown, expected: z.output<typeof scalar>): boolean {
  if (expected === null || measured === null) return measured === expected;
  if (typeof expected === "number") return Number(measured) === expected;
  if (typeof expected === "boolean")
    return measured === expected || String(measured) === String(expected);
  return String(measured) === expected;
}
