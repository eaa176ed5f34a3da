import { z } from "zod";
import { strict } from "../definitions/common.js";
import { comparison, describeComparison, holds } from "./compare.js";
import { defineCheck } from "./types.js";

const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/**
 * A query and its expectation. `expect` is about the first column of the first row: a scalar
 * (numbers compare as numbers, PostgreSQL returns bigint and numeric as strings; everything else
 * as text) or a comparison. `rows` is about how many rows came back: a count or a comparison.
 */
export const sql = defineCheck({
  kind: "sql",
  schema: strict({
    name: z
      .string()
      .min(1)
      .meta({ description: "shown in the summary and the run record (a query makes a poor name)" }),
    query: z
      .string()
      .min(1)
      .meta({ description: "one SELECT, run in a read-only transaction on the copy" }),
    expect: z.union([scalar, comparison]).optional().meta({
      description:
        "the first value: a scalar, or a comparison such as { lt: 5 } or { between: [1, 10] }",
    }),
    rows: z
      .union([z.number().int().min(0), comparison])
      .optional()
      .meta({
        description: "the number of rows returned: a count, or a comparison such as { gte: 1 }",
      }),
  })
    .refine((o) => (o.expect === undefined) !== (o.rows === undefined), {
      message: "give exactly one of expect (the first value) and rows (how many rows)",
    })
    .meta({
      description:
        "Runs a query and compares the first value (`expect`) or the number of rows (`rows`).",
    }),
  describe: (o) => o.name,
  async run(o, db) {
    const { rows, fields } = await db.query<Record<string, unknown>>(o.query);
    if (o.rows !== undefined) {
      const n = rows.length;
      if (typeof o.rows === "number") {
        return { measured: n, expected: `${o.rows} rows`, passed: n === o.rows };
      }
      return {
        measured: n,
        expected: `rows ${describeComparison(o.rows)}`,
        passed: holds(o.rows, n),
      };
    }
    const first = rows[0];
    const column = fields[0]?.name;
    const value = first === undefined || column === undefined ? null : normalise(first[column]);
    const expect = o.expect!;
    if (expect !== null && typeof expect === "object") {
      const x = asNumber(value);
      return {
        measured: x ?? value,
        expected: describeComparison(expect),
        passed: x !== undefined && holds(expect, x),
        ...(x === undefined
          ? { message: `the query returned ${JSON.stringify(value)}, not a number` }
          : {}),
      };
    }
    // count(*) and numeric arrive as strings; compared with a number they are numbers.
    const measured = typeof expect === "number" ? (asNumber(value) ?? value) : value;
    return { measured, expected: `= ${JSON.stringify(expect)}`, passed: same(measured, expect) };
  },
});

const NUMERIC = /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i;

function asNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && NUMERIC.test(v)) return Number(v);
  return undefined;
}

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
