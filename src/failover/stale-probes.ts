import { quoteTable, type Queryable } from "../db.js";

/** Probe tables are named with this prefix and carry their creation time in their comment. */
export const PROBE_PREFIX = "drill_failover_probe_";
/** Far beyond any failover step's timeout: a table this old belongs to a run that died. */
const STALE_MS = 6 * 3_600_000;

/** Mark a new probe table with when it was made, so a later run can tell a dead run's apart. */
export const probeComment = (table: string, now: number) =>
  `comment on table ${quoteTable(table)} is 'drill failover probe, created ${new Date(now).toISOString()}'`;

/**
 * Drop probe tables a killed run left behind (its cleanup never ran): on production they would
 * stay forever. A table is stale when its comment says it is older than six hours, or when it
 * has no such comment (made before comments were written). Returns the names dropped.
 */
export async function dropStaleProbes(db: Queryable, now: number): Promise<string[]> {
  const found = await db.query<{ name: string; note: string | null }>(
    `select c.relname as name, obj_description(c.oid, 'pg_class') as note
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and n.nspname = current_schema()
        and starts_with(c.relname, $1)`,
    [PROBE_PREFIX],
  );
  const dropped: string[] = [];
  for (const { name, note } of found.rows) {
    const created = Date.parse(/created (\S+)$/.exec(note ?? "")?.[1] ?? "");
    if (Number.isFinite(created) && now - created < STALE_MS) continue;
    await db.query(`drop table if exists ${quoteTable(name)}`);
    dropped.push(name);
  }
  return dropped;
}
