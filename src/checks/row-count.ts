import { z } from "zod";
import { strict, tableName } from "../definitions/common.js";
import { quoteTable } from "../db.js";
import { defineCheck } from "./types.js";

const count = z.number().int().min(0);

export const rowCount = defineCheck({
  kind: "rowCount",
  schema: strict({
    name: z.string().min(1).optional(),
    table: tableName,
    min: count.optional(),
    max: count.optional(),
    exact: count.optional(),
  }).refine((o) => o.min !== undefined || o.max !== undefined || o.exact !== undefined, {
    message: "give at least one of min, max, exact",
  }),
  describe: (o) => o.name ?? `rowCount ${o.table}`,
  async run(o, db) {
    const { rows } = await db.query<{ n: string }>(
      `select count(*) as n from ${quoteTable(o.table)}`,
    );
    const n = Number(rows[0]!.n);
    const expected: string[] = [];
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
    return { measured: n, expected: expected.join(" and "), passed };
  },
});
