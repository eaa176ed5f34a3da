import type { Queryable } from "../db.js";
import { SYSTEM_SCHEMA_FILTER } from "./catalog.js";

/**
 * Refresh every populated materialized view of the database, each after the ones it reads, once
 * all tables are scrubbed. pg_depend links a view to the tables it names, not to the tables a
 * function it calls reads (`select * from f()`): a view found only through dependencies would
 * keep original rows. Views re-created after the swap (`skip`, qualified names) are fresh.
 * Returns the refreshed views' qualified names (to analyze: their statistics held originals).
 */
export async function refreshMaterializedViews(
  db: Queryable,
  workSchema: string,
  skip: Set<string>,
): Promise<string[]> {
  const { rows } = await db.query<{ oid: number; name: string; deps: number[] }>(
    `select c.oid::int as oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name,
            (select coalesce(array_agg(distinct d.refobjid::int), '{}') from pg_rewrite r
               join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
               join pg_class dc on dc.oid = d.refobjid and dc.relkind = 'm'
              where r.ev_class = c.oid and d.refobjid <> c.oid) as deps
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'm' and c.relispopulated and n.nspname <> $1 and ${SYSTEM_SCHEMA_FILTER}
      order by c.oid`,
    [workSchema],
  );
  const byOid = new Map(rows.map((r) => [r.oid, r]));
  const done = new Set<number>();
  const order: string[] = [];
  const visit = (oid: number) => {
    const v = byOid.get(oid);
    if (!v || done.has(oid)) return;
    done.add(oid);
    for (const d of v.deps) visit(d);
    order.push(v.name);
  };
  for (const r of rows) visit(r.oid);
  const refreshed = order.filter((name) => !skip.has(name));
  for (const name of refreshed) await db.query(`refresh materialized view ${name}`);
  return refreshed;
}
