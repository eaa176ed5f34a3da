import type { Queryable } from "../db.js";

/** One column of a user table as the restored database has it. */
export interface ColumnInfo {
  name: string;
  /** `format_type` output, e.g. `character varying(40)`, usable in a cast. */
  type: string;
  /** Type category from pg_type: S string, D date/time, N numeric, U user (json), … */
  category: string;
  /** Base type name: text, varchar, jsonb, date, timestamptz, … */
  typeName: string;
  notNull: boolean;
  /** Non-default collation, quoted, to keep on transformed columns. */
  collation: string | null;
}

export interface TableInfo {
  oid: number;
  schema: string;
  name: string;
  /** `"schema"."name"`. */
  qualified: string;
  columns: ColumnInfo[];
  /** Primary key columns, in key order (empty when the table has none). */
  primaryKey: string[];
  /** Partitioned, partition or inheritance member: not rewritten (not supported). */
  unsupported: string | null;
  estimatedRows: number;
}

/**
 * Schemas PostgreSQL owns: never scrubbed, never reported. drill's own working schema has a
 * random name per run and is read around, never filtered by a name a production schema could have.
 */
export const SYSTEM_SCHEMA_FILTER = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'`;

/** Every ordinary user table with its columns, in schema/name order. */
export async function readCatalog(db: Queryable): Promise<TableInfo[]> {
  const { rows } = await db.query<{
    oid: number;
    schema: string;
    name: string;
    relkind: string;
    ispartition: boolean;
    inherits: boolean;
    reltuples: number;
    columns: ColumnInfo[];
    pk: string[] | null;
  }>(
    `select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind::text as relkind,
            c.relispartition as ispartition,
            exists (select 1 from pg_inherits i where i.inhrelid = c.oid or i.inhparent = c.oid) as inherits,
            greatest(c.reltuples, 0)::float8 as reltuples,
            (select json_agg(json_build_object(
                'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                'category', t.typcategory, 'typeName', coalesce(bt.typname, t.typname),
                'notNull', a.attnotnull,
                'collation', case when a.attcollation <> 0 and a.attcollation <> t.typcollation
                             then quote_ident(co.collname) end) order by a.attnum)
               from pg_attribute a join pg_type t on t.oid = a.atttypid
               left join pg_type bt on bt.oid = t.typbasetype and t.typtype = 'd'
               left join pg_collation co on co.oid = a.attcollation
              where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
            (select array_agg(a.attname::text order by k.ord)
               from pg_constraint pc
               cross join lateral unnest(pc.conkey) with ordinality k(attnum, ord)
               join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
              where pc.conrelid = c.oid and pc.contype = 'p') as pk
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and ${SYSTEM_SCHEMA_FILTER}
        and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
      order by n.nspname, c.relname`,
  );
  return rows.map((r) => ({
    oid: r.oid,
    schema: r.schema,
    name: r.name,
    qualified: `${quote(r.schema)}.${quote(r.name)}`,
    columns: r.columns ?? [],
    primaryKey: r.pk ?? [],
    unsupported:
      r.relkind === "p" || r.ispartition
        ? "partitioned tables are not supported yet"
        : r.inherits
          ? "tables with inheritance are not supported yet"
          : null,
    estimatedRows: r.reltuples,
  }));
}

const quote = (id: string) => `"${id.replaceAll('"', '""')}"`;

/** Text-like columns (where PII hides in `keep` columns): strings, json, jsonb. */
export const isTextual = (c: ColumnInfo): boolean =>
  c.category === "S" || c.typeName === "json" || c.typeName === "jsonb";

export const isJson = (c: ColumnInfo): boolean => c.typeName === "json" || c.typeName === "jsonb";

/** `public.customers` shown as `customers`, other schemas qualified. */
export const displayName = (t: { schema: string; name: string }): string =>
  t.schema === "public" ? t.name : `${t.schema}.${t.name}`;
