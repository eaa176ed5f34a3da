import { z } from "zod";
import { strict } from "../definitions/common.js";
import { boundsOf, readBounded } from "./bounded-query.js";
import { comparison, describeComparison, holds, type Comparison } from "./compare.js";
import type { Examples } from "../redact.js";
import { defineConnectionCheck, type CheckOutput } from "./types.js";

const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/**
 * A query and its expectation. The query runs as one statement, as a role that can only read, in
 * a read-only transaction, under a deadline it cannot lift, and only as much of its result is read
 * as the expectation needs (see bounded-query.ts). `expect` is about the first column of the first row: a scalar
 * (numbers compare as numbers, PostgreSQL returns bigint and numeric as strings; everything else
 * as text) or a comparison. `rows` is about how many rows came back: a count or a comparison.
 * A text value that differs from the expectation is recorded as a keyed hash unless the drill
 * says `showExamples: true`: the query may have read anything, an email included.
 */
export const sql = defineConnectionCheck({
  kind: "sql",
  session: "own",
  schema: strict({
    name: z
      .string()
      .min(1)
      .meta({ description: "shown in the summary and the run record (a query makes a poor name)" }),
    query: z.string().min(1).meta({
      description: "one SELECT, run as a read-only role in a read-only transaction on the copy",
    }),
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
  async run(o, ctx) {
    const bounded = await boundsOf(ctx);
    if (o.rows !== undefined) {
      const cap = rowCap(o.rows);
      const { counted } = await readBounded(o.query, { count: cap }, bounded);
      return countResult(o.rows, counted, cap);
    }
    // Two rows tell "exactly one" from "more than one"; the rest is never read.
    const { rows, fields } = await readBounded(o.query, { fetch: 2 }, bounded);
    return valueResult(o.expect!, rows, fields[0]?.name, ctx.examples);
  },
});

/**
 * Past the largest bound of the expectation every count passes or fails alike, so the count
 * stops one row beyond it: `rows: 3` reads at most 4, `{ gte: 1 }` at most 2.
 */
function rowCap(expected: number | Comparison): number {
  const bounds =
    typeof expected === "number"
      ? [expected]
      : [expected.lt, expected.lte, expected.gt, expected.gte, ...(expected.between ?? [])];
  const top = Math.max(0, ...bounds.filter((b): b is number => b !== undefined));
  return Math.floor(top) + 1;
}

function countResult(expected: number | Comparison, n: number, cap: number): CheckOutput {
  // At the cap the true count is cap or more; the verdict is the same for all of them.
  const measured = n >= cap ? `at least ${cap}` : n;
  if (typeof expected === "number") {
    return { measured, expected: `${expected} rows`, passed: n === expected };
  }
  return { measured, expected: `rows ${describeComparison(expected)}`, passed: holds(expected, n) };
}

async function valueResult(
  expect: z.output<typeof scalar> | Comparison,
  rows: Record<string, unknown>[],
  column: string | undefined,
  examples: Examples,
): Promise<CheckOutput> {
  const first = rows[0];
  const value = first === undefined || column === undefined ? null : normalise(first[column]);
  const many =
    rows.length > 1
      ? { message: "the query returned more than one row; expect compares a single value" }
      : undefined;
  if (expect !== null && typeof expect === "object") {
    const x = asNumber(value);
    const seen = x ?? (await shown(value, examples));
    return {
      measured: seen,
      expected: describeComparison(expect),
      passed: many === undefined && x !== undefined && holds(expect, x),
      ...(x === undefined
        ? { message: `the query returned ${JSON.stringify(seen)}, not a number` }
        : many),
    };
  }
  // count(*) and numeric arrive as strings; compared with a number they are numbers.
  const measured = typeof expect === "number" ? (asNumber(value) ?? value) : value;
  // A value equal to the expectation is the drill's own text; any other may be data.
  const equal = same(measured, expect);
  return {
    measured: equal ? measured : await shown(measured, examples),
    expected: `= ${JSON.stringify(expect)}`,
    passed: many === undefined && equal,
    ...many,
  };
}

/** Numbers, booleans and null as they are; text (dates included) as the drill shows examples. */
async function shown(v: unknown, examples: Examples): Promise<unknown> {
  if (typeof v !== "string" || NUMERIC.test(v)) return v;
  return (await examples.of([v]))[0];
}

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
