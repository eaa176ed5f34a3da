import { z } from "zod";
import { checkName, strict } from "../definitions/common.js";
import { quoteIdent, type Queryable } from "../db.js";
import { defineCheck } from "./types.js";
import { eachInSavepoint } from "./savepoint.js";

interface Constraint {
  name: string;
  type: "c" | "f";
  schema: string;
  table: string;
  partitioned: boolean;
  noInherit: boolean;
  matchFull: boolean;
  columns: string[];
  refSchema: string | null;
  refTable: string | null;
  refPartitioned: boolean;
  refColumns: string[] | null;
  expr: string | null;
  validated: boolean;
}

/**
 * Every foreign key and check constraint of the database, re-validated on the data, NOT VALID
 * ones included. `ALTER TABLE … VALIDATE CONSTRAINT` writes, and checks run read-only, so each
 * constraint becomes the query that finds the rows breaking it: an anti-join for a foreign key,
 * `not (<expression>)` for a check. Clones of a partitioned table's constraints are skipped: the
 * parent's query scans every partition.
 */
export const constraints = defineCheck({
  kind: "constraints",
  schema: strict({
    name: checkName,
    exclude: z
      .array(z.string().min(1))
      .optional()
      .meta({ description: "constraint names not to check (known exceptions)" }),
  }).meta({
    description:
      "Re-validates every foreign key and check constraint on the data, NOT VALID ones included.",
  }),
  describe: (o) => o.name ?? "constraints hold",
  async run(o, db) {
    const excluded = new Set(o.exclude ?? []);
    const all = (await listConstraints(db)).filter((c) => !excluded.has(c.name));
    const results = await eachInSavepoint(db, all, async (c) => {
      const { rows } = await db.query<{ n: string }>(violationQuery(c));
      return Number(rows[0]!.n);
    });
    const violations = [];
    const errors = [];
    for (const [i, r] of results.entries()) {
      const c = all[i]!;
      const id = {
        constraint: c.name,
        table: `${c.schema}.${c.table}`,
        type: c.type === "f" ? "foreign key" : "check",
        ...(c.validated ? {} : { notValid: true }),
      };
      if ("error" in r) errors.push({ ...id, error: r.error });
      else if (r.value > 0) violations.push({ ...id, rows: r.value });
    }
    const lines = [
      ...violations.map((v) => `${v.constraint} on ${v.table}: ${v.rows} rows`),
      ...errors.map((e) => `${e.constraint} on ${e.table} could not be checked: ${e.error}`),
    ];
    if (violations.length === 0 && errors.length > 0) throw new Error(lines.join("; "));
    return {
      measured: violations.length,
      expected: `= 0 of ${all.length} violated`,
      passed: violations.length === 0,
      details: { checked: all.length, violations, errors },
      ...(lines.length > 0 ? { message: lines.join("; ") } : {}),
    };
  },
});

async function listConstraints(db: Queryable): Promise<Constraint[]> {
  const { rows } = await db.query<Constraint>(
    `select c.conname as name, c.contype as type, n.nspname as schema, r.relname as table,
            r.relkind = 'p' as partitioned, c.connoinherit as "noInherit",
            c.confmatchtype = 'f' as "matchFull", c.convalidated as validated,
            array(select a.attname::text from unnest(c.conkey) with ordinality k(num, i)
                    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.num
                   order by k.i) as columns,
            fn.nspname as "refSchema", fr.relname as "refTable",
            coalesce(fr.relkind = 'p', false) as "refPartitioned",
            case when c.contype = 'f' then
              array(select a.attname::text from unnest(c.confkey) with ordinality k(num, i)
                      join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.num
                     order by k.i) end as "refColumns",
            case when c.contype = 'c' then pg_get_expr(c.conbin, c.conrelid) end as expr
       from pg_constraint c
       join pg_class r on r.oid = c.conrelid
       join pg_namespace n on n.oid = r.relnamespace
       left join pg_class fr on fr.oid = c.confrelid
       left join pg_namespace fn on fn.oid = fr.relnamespace
      where c.contype in ('c', 'f')
        and n.nspname not in ('pg_catalog', 'information_schema')
        and n.nspname !~ '^pg_(toast|temp)'
        and (c.contype <> 'f' or c.conparentid = 0)
        and (c.contype <> 'c' or c.conislocal)
      order by n.nspname, r.relname, c.conname`,
  );
  return rows;
}

/**
 * `only` mirrors what PostgreSQL itself enforces: a foreign key binds the rows of its own table
 * (all partitions when partitioned), a NO INHERIT check only the table, others its children too.
 */
function violationQuery(constraint: Constraint): string {
  const table = `${quoteIdent(constraint.schema)}.${quoteIdent(constraint.table)}`;
  if (constraint.type === "c") {
    // The expression is PostgreSQL's own deparse of the catalog, not text from a drill file.
    return `select count(*) as n from ${constraint.noInherit ? "only " : ""}${table} where not (${constraint.expr})`;
  }
  const ref = `${quoteIdent(constraint.refSchema!)}.${quoteIdent(constraint.refTable!)}`;
  const cols = constraint.columns.map((col) => `c.${quoteIdent(col)}`);
  const match = cols
    .map((col, i) => `p.${quoteIdent(constraint.refColumns![i]!)} = ${col}`)
    .join(" and ");
  const missing = `not exists (select 1 from ${constraint.refPartitioned ? "" : "only "}${ref} p where ${match})`;
  const from = `from ${constraint.partitioned ? "" : "only "}${table} c`;
  const where = constraint.matchFull
    ? `not (${cols.map((x) => `${x} is null`).join(" and ")})
       and (${cols.map((x) => `${x} is null`).join(" or ")} or ${missing})`
    : `${cols.map((x) => `${x} is not null`).join(" and ")} and ${missing}`;
  return `select count(*) as n ${from} where ${where}`;
}
