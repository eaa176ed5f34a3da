import { quoteIdent, type Queryable } from "../db.js";

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
  /** GENERATED ALWAYS AS … STORED: computed by PostgreSQL, never classified nor copied. */
  generated?: boolean;
  /** Inherited from a parent table (inheritance): classified by the parent's rules. */
  inherited?: boolean;
}

/** A partition of a partitioned table: not in the catalog's list, rewritten under its root. */
export interface PartitionInfo {
  oid: number;
  schema: string;
  name: string;
  qualified: string;
  /** A leaf holds rows; an intermediate (sub-partitioned) partition holds none. */
  leaf: boolean;
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
  /** Why the table cannot be rewritten (no kind of table is refused today: always null). */
  unsupported: string | null;
  estimatedRows: number;
  /**
   * A partitioned table's partitions at every level (the catalog lists only the root: rules are
   * written once on it). Absent for other tables.
   */
  partitions?: PartitionInfo[];
  /** Inheritance (not partitioning) parents, qualified: their rules apply to inherited columns. */
  inheritsFrom?: string[];
  /** A parent of inheritance children (not partitions). */
  hasChildren?: boolean;
}

/**
 * Schemas PostgreSQL owns: never scrubbed, never reported. drill's own working schema has a
 * random name per run and is read around, never filtered by a name a production schema could have.
 * No backslash (`like 'pg\_%'`): a restored function may turn standard_conforming_strings off in
 * drill's session, and `pg_%` would then pass over a production schema named `pgdata`.
 */
export const SYSTEM_SCHEMA_FILTER = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_'`;

/**
 * Every user table with its columns, in schema/name order: ordinary and partitioned tables and
 * inheritance members; partitions are listed under their root (`partitions`), never on their
 * own. Foreign tables are not data of the copy and are not listed (see foreign.ts).
 */
export async function readCatalog(db: Queryable): Promise<TableInfo[]> {
  const { rows } = await db.query<{
    oid: number;
    schema: string;
    name: string;
    relkind: string;
    parents: { schema: string; name: string }[];
    children: boolean;
    partitions: Omit<PartitionInfo, "qualified">[] | null;
    reltuples: number;
    columns: ColumnInfo[];
    pk: string[] | null;
  }>(
    `select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind::text as relkind,
            (select coalesce(json_agg(json_build_object('schema', pn.nspname, 'name', p.relname) order by i.inhseqno), '[]')
               from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace
              where i.inhrelid = c.oid) as parents,
            exists (select 1 from pg_inherits i where i.inhparent = c.oid) as children,
            case when c.relkind = 'p' then (
              select json_agg(json_build_object('oid', p.relid::int, 'schema', pn.nspname, 'name', pc.relname,
                                                'leaf', p.isleaf) order by p.level, pc.relname)
                from pg_partition_tree(c.oid) p join pg_class pc on pc.oid = p.relid
                join pg_namespace pn on pn.oid = pc.relnamespace
               where p.level > 0 and pc.relkind in ('r', 'p')) end as partitions,
            greatest(case when c.relkind = 'p'
              then (select sum(greatest(pc.reltuples, 0)) from pg_partition_tree(c.oid) p join pg_class pc on pc.oid = p.relid)
              else c.reltuples end, 0)::float8 as reltuples,
            (select json_agg(json_build_object(
                'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                'category', t.typcategory, 'typeName', coalesce(bt.typname, t.typname),
                'notNull', a.attnotnull, 'generated', a.attgenerated <> '', 'inherited', a.attinhcount > 0,
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
      where c.relkind in ('r', 'p') and not c.relispartition and ${SYSTEM_SCHEMA_FILTER}
        and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
      order by n.nspname, c.relname`,
  );
  return rows.map((r) => ({
    oid: r.oid,
    schema: r.schema,
    name: r.name,
    qualified: `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`,
    columns: r.columns ?? [],
    primaryKey: r.pk ?? [],
    unsupported: null,
    estimatedRows: r.reltuples,
    ...(r.relkind === "p"
      ? {
          partitions: (r.partitions ?? []).map((p) => ({
            ...p,
            qualified: `${quoteIdent(p.schema)}.${quoteIdent(p.name)}`,
          })),
        }
      : {
          inheritsFrom: r.parents.map((p) => `${quoteIdent(p.schema)}.${quoteIdent(p.name)}`),
          hasChildren: r.children,
        }),
  }));
}

/**
 * Rewritten in place (scratch copy, TRUNCATE, INSERT back) rather than swapped: a partition tree
 * or an inheritance tree cannot be dropped and renamed, and generated columns must be recomputed.
 */
export const rewrittenInPlace = (table: TableInfo): boolean =>
  table.partitions !== undefined ||
  (table.inheritsFrom?.length ?? 0) > 0 ||
  table.hasChildren === true ||
  table.columns.some((c) => c.generated === true);

/** Text-like columns (where PII hides in `keep` columns): strings, json, jsonb. */
export const isTextual = (column: ColumnInfo): boolean =>
  column.category === "S" || column.typeName === "json" || column.typeName === "jsonb";

export const isJson = (column: ColumnInfo): boolean =>
  column.typeName === "json" || column.typeName === "jsonb";

/** `public.customers` shown as `customers`, other schemas qualified. */
export const displayName = (t: { schema: string; name: string }): string =>
  t.schema === "public" ? t.name : `${t.schema}.${t.name}`;
