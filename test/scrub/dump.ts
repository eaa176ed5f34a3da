import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "vitest";
import type { TableInfo } from "../../src/scrub/catalog.js";
import type { ScrubOptions, ScrubReport } from "../../src/scrub/scrub.js";
import type { CompiledTable } from "../../src/scrub/sql.js";
import type { ConnectionInfo } from "../../src/types.js";
import { q } from "./fixture.js";

const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";

/** `pg_dump --data-only` of the whole database (large objects included): what a reader would get. */
export async function dataDump(conn: ConnectionInfo): Promise<string> {
  const { stdout } = await promisify(execFile)(PG_DUMP, ["--data-only", "--no-owner"], {
    env: {
      ...process.env,
      PGHOST: conn.host,
      PGPORT: String(conn.port),
      PGUSER: conn.user,
      PGPASSWORD: conn.password ?? "",
      PGDATABASE: conn.database,
    },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/** The non-null values `v` of each query (the originals to look for after the scrub). */
export async function originalsOf(conn: ConnectionInfo, sqls: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const sql of sqls)
    for (const r of await q<{ v: string | null }>(conn, sql)) if (r.v) out.push(r.v);
  return out;
}

/** Scrub options for a test: two workers, the full leak scan, quiet. */
export const scrubOptions = (file: string): ScrubOptions => ({
  file,
  workers: 2,
  leakScan: { sample: 5000, patterns: true, canaries: true },
  signal: new AbortController().signal,
  progress: () => {},
});

/** A passed scrub with nothing unclassified: its tables and rows, sorted by table. */
export function passedTables(report: ScrubReport): [string, number][] {
  expect(report.findings, report.findings.join("\n")).toEqual([]);
  expect(report.outcome).toBe("passed");
  expect(report.unclassified).toEqual([]);
  return report.tables.map((t): [string, number] => [t.table, t.rows]).sort();
}

/**
 * The data-only dump holds none of the originals and nothing matching `marks` (the fixture's
 * recognisable original text); `copied` is a table the dump must hold (it is not empty).
 */
export async function expectNoSurvivors(
  conn: ConnectionInfo,
  originals: string[],
  copied: string,
  marks: RegExp,
): Promise<void> {
  const dump = await dataDump(conn);
  expect(dump).toContain(`COPY public.${copied} `);
  expect(originals.filter((v) => dump.includes(v))).toEqual([]);
  expect(dump).not.toMatch(marks);
}

/** Everything PostgreSQL says about the relations of `public` besides their rows. */
export const catalogShape = (conn: ConnectionInfo) =>
  q<{ what: string }>(
    conn,
    `select 'rel ' || c.oid::regclass || ' ' || c.relkind::text || ' ' || c.relpersistence::text || ' ' ||
            coalesce(pg_get_expr(c.relpartbound, c.oid), '-') || ' ' || coalesce(pg_get_partkeydef(c.oid), '-') || ' ' ||
            coalesce((select string_agg(i.inhparent::regclass::text, ',') from pg_inherits i where i.inhrelid = c.oid), '-') || ' ' ||
            coalesce(c.relacl::text, '-') || ' ' || coalesce(obj_description(c.oid, 'pg_class'), '-') as what
       from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
     union all select 'con ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated
       from pg_constraint where connamespace = 'public'::regnamespace
     union all select 'idx ' || indexdef from pg_indexes where schemaname = 'public'
     union all select 'trg ' || tgrelid::regclass || ' ' || pg_get_triggerdef(oid) || ' ' || tgenabled::text from pg_trigger where not tgisinternal
     union all select 'col ' || table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(domain_name, '-') || ' ' || udt_name || ' ' || is_nullable || ' ' ||
            coalesce(column_default, '-') || ' ' || is_identity || ' ' || coalesce(generation_expression, '-')
       from information_schema.columns where table_schema = 'public'
     union all select 'cmt ' || c.oid::regclass || '.' || a.attname || ' ' || col_description(c.oid, a.attnum)
       from pg_class c join pg_attribute a on a.attrelid = c.oid where c.relnamespace = 'public'::regnamespace and col_description(c.oid, a.attnum) is not null
     order by 1`,
  ).then((r) => r.map((x) => x.what));

/** A compiled rewrite of table `u` (id, email) with `email` from `fake`, unique by construction as fakes are. */
export const emailRewrite = (table: TableInfo, fake: string): CompiledTable => ({
  columns: ["t.id as id", `(${fake})::text as email`],
  from: `from ${table.qualified} t`,
  uniqueColumns: [
    {
      column: "email",
      hidden: "drill_input_0",
      hiddenExpr: "(hashtextextended(t.email, 7) & 9223372036854775807) as drill_input_0",
      byConstruction: true,
    },
  ],
  pools: new Map(),
});

/** The values of `sample` found in `dump`. */
export const survivors = (dump: string, sample: string[]): string[] =>
  sample.filter((v) => dump.includes(v));
