import { z } from "zod";
import { checkName, columnName, strict, tableName } from "../definitions/common.js";
import { quoteIdent, quoteTable, type Queryable } from "../db.js";
import { columnsOf, requireColumns } from "./relations.js";
import { CheckFailure, defineCheck } from "./types.js";

const migrations = strict({
  table: tableName.meta({ description: "the migration tool's table, e.g. flyway_schema_history" }),
  column: columnName.meta({ description: "its version column; the highest version is compared" }),
  atLeast: z.union([z.string().min(1), z.number()]).meta({
    description: 'the lowest acceptable version: 20240101120000, "1.4.2", …',
  }),
});

/**
 * The restored schema is the one the application expects: its migrations table has reached a
 * version, and/or tables exist with (at least) the listed columns.
 */
export const schemaCheck = defineCheck({
  kind: "schema",
  schema: strict({
    name: checkName,
    migrations: migrations
      .optional()
      .meta({ description: "the schema's migrations must be at least at a version" }),
    tables: z
      .record(tableName, z.array(columnName))
      .optional()
      .meta({ description: "table → columns that must exist (an empty list: the table only)" }),
  })
    .refine((o) => o.migrations !== undefined || o.tables !== undefined, {
      message: "give migrations, tables or both",
    })
    .meta({
      description:
        "The schema is at least at a migration version, and/or tables have the columns named.",
    }),
  describe: (o) => o.name ?? "schema",
  async run(o, db) {
    const measured: string[] = [];
    const expected: string[] = [];
    const problems: string[] = [];
    const details: Record<string, unknown> = {};
    if (o.migrations) {
      const m = o.migrations;
      expected.push(`version >= ${m.atLeast}`);
      const latest = await latestVersion(db, m.table, m.column).catch((e: unknown) => {
        if (e instanceof CheckFailure) problems.push(e.message);
        else throw e;
        return undefined;
      });
      details.version = latest ?? null;
      if (latest === undefined) {
        measured.push("no version");
        if (problems.length === 0) problems.push(`"${m.table}" has no versions`);
      } else {
        measured.push(`version ${latest}`);
        if (compareVersions(latest, String(m.atLeast)) < 0)
          problems.push(`migrations at ${latest}, expected at least ${m.atLeast}`);
      }
    }
    if (o.tables) {
      const names = Object.keys(o.tables);
      expected.push(`${names.length} tables with their columns`);
      const missing: string[] = [];
      for (const [table, columns] of Object.entries(o.tables)) {
        missing.push(...(await missingOf(db, table, columns)));
      }
      details.missing = missing;
      measured.push(missing.length === 0 ? "nothing missing" : `missing ${missing.join(", ")}`);
      if (missing.length > 0) problems.push(`missing in the restored copy: ${missing.join(", ")}`);
    }
    return {
      measured: measured.join("; "),
      expected: expected.join(" and "),
      passed: problems.length === 0,
      details,
      ...(problems.length > 0 ? { message: problems.join("; ") } : {}),
    };
  },
});

async function latestVersion(db: Queryable, table: string, column: string) {
  const quoted = await requireColumns(db, table, [column]);
  const { rows } = await db.query<{ v: string }>(
    `select distinct ${quoteIdent(column)}::text as v from ${quoted} where ${quoteIdent(column)} is not null`,
  );
  return rows
    .map((r) => r.v)
    .sort(compareVersions)
    .at(-1);
}

/** "table" or "table.column" for each thing that is not there. */
async function missingOf(db: Queryable, table: string, columns: string[]): Promise<string[]> {
  const { rows } = await db.query<{ found: boolean }>(
    "select to_regclass($1) is not null as found",
    [quoteTable(table)],
  );
  if (!rows[0]?.found) return [`table ${table}`];
  const present = new Set(await columnsOf(db, quoteTable(table)));
  return columns.filter((c) => !present.has(c)).map((c) => `${table}.${c}`);
}

/**
 * Versions compare piece by piece, digits as numbers: "1.10" > "1.9", "20240102" > "20231231",
 * "V2__add" > "V10" is false. Digit runs are BigInt so 14-digit timestamps stay exact.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = BigInt(x) - BigInt(y);
      if (d !== 0n) return d < 0n ? -1 : 1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
