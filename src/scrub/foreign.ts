import type { Queryable } from "../db.js";

/**
 * Drop every foreign server of the copy, with its user mappings, foreign tables and whatever
 * depends on them (views), and say what went. A foreign table holds no data of the copy: it is
 * a door to another server (often production itself, with a stored password in the user
 * mapping), which the team receiving the copy could read or write through. drill never reads
 * one (not scrubbed, not scanned); refusing the whole scrub instead would leave every database
 * using postgres_fdw without a drill, and the copy never needs the door.
 */
export async function dropForeignServers(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ what: string }>(
    `select 'server ' || quote_ident(s.srvname) as what, 1 as k from pg_foreign_server s
     union all
     select 'user mapping for ' || quote_ident(u.usename) || ' on server ' || quote_ident(u.srvname), 2
       from pg_user_mappings u
     union all
     select 'foreign table ' || f.ftrelid::regclass::text, 3 from pg_foreign_table f
     union all
     select distinct 'view ' || r.ev_class::regclass::text || ' (reads a foreign table)', 4
       from pg_foreign_table f join pg_depend d on d.refobjid = f.ftrelid and d.classid = 'pg_rewrite'::regclass
       join pg_rewrite r on r.oid = d.objid where r.ev_class <> f.ftrelid
     order by 2, 1`,
  );
  if (rows.length === 0) return [];
  const { rows: servers } = await db.query<{ name: string }>(
    `select quote_ident(srvname) as name from pg_foreign_server order by 1`,
  );
  await db.query("begin");
  try {
    for (const s of servers) await db.query(`drop server ${s.name} cascade`);
    await db.query("commit");
  } catch (e) {
    await db.query("rollback").catch(() => {});
    throw e;
  }
  return rows.map((r) => r.what);
}
