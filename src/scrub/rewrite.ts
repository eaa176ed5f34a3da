import type { Queryable } from "../db.js";
import { quoteIdent } from "../db.js";
import type { TableInfo } from "./catalog.js";
import type { TableDefinition } from "./preserve.js";
import { selectOf, type CompiledTable } from "./sql.js";

/**
 * Per session, for the index builds after the load: 64MB (the default) sorts a 1M-row email
 * index on disk in passes. Server memory, not this process's; at most `workers` at once.
 */
const MAINTENANCE_WORK_MEM = "256MB";

export interface RewriteResult {
  rows: number;
  durationMs: number;
  /** Unique columns whose fakes collided and were given a deterministic suffix. */
  collisionsResolved: number;
}

/**
 * Rewrite one table in one transaction: build the scrubbed copy with CREATE TABLE AS (PostgreSQL
 * computes every fake), drop the original (its files are unlinked at commit, with the original
 * values in them), give the copy the original's name and replay everything the original had:
 * indexes and constraints are built once, after the load, not maintained row by row.
 * Cross-table foreign keys and views were dropped before and are re-created after all tables.
 *
 * Fakes unique by construction carry no hidden input column: when a unique index refuses one
 * anyway (two inputs' 63-bit keyed hashes collided: rare), the transaction is rolled back and
 * the table rewritten again with the hidden inputs and a collision pass for them.
 */
export async function rewriteTable(
  db: Queryable,
  table: TableInfo,
  compiled: CompiledTable,
  def: TableDefinition,
): Promise<RewriteResult> {
  const started = performance.now();
  let r: { rows: number; collisionsResolved: number };
  try {
    r = await attempt(db, table, compiled, def, false);
  } catch (e) {
    if (
      (e as { code?: string }).code !== "23505" ||
      !compiled.uniqueColumns.some((u) => u.byConstruction)
    )
      throw e;
    r = await attempt(db, table, compiled, def, true);
  }
  return { ...r, durationMs: performance.now() - started };
}

async function attempt(
  db: Queryable,
  table: TableInfo,
  compiled: CompiledTable,
  def: TableDefinition,
  retry: boolean,
): Promise<{ rows: number; collisionsResolved: number }> {
  const tmpName = `drill_new_${table.oid}`;
  const tmp = `${quoteIdent(table.schema)}.${quoteIdent(tmpName)}`;
  const hidden = compiled.uniqueColumns.filter((u) => retry || !u.byConstruction);
  await db.query("begin");
  try {
    // Index builds after the load are sorts: give them memory (server side, this session only).
    await db.query(`set local maintenance_work_mem = '${MAINTENANCE_WORK_MEM}'`);
    // The planner prices a regex or a pool pick like an addition, so it thinks sending each row
    // from a parallel worker costs more than computing it; it does not (1M rows: 2.7 s serial,
    // 1.8 s with 2 workers). Tables under min_parallel_table_scan_size stay serial.
    await db.query("set local parallel_tuple_cost = 0.01");
    // A policy hiding rows from the owner (FORCE ROW LEVEL SECURITY) would make the swap lose
    // them: with row_security off such a read fails instead.
    await db.query("set local row_security = off");
    const created = await db.query(
      `create ${def.unlogged ? "unlogged " : ""}table ${tmp} as ${selectOf(compiled, retry)}`,
    );
    const rows = created.rowCount ?? 0;
    let collisionsResolved = 0;
    for (const u of compiled.uniqueColumns.filter((c) => !c.byConstruction))
      collisionsResolved += await resolveCollisions(db, tmp, quoteIdent(u.column), u.hidden);
    for (const s of def.detach) await db.query(s);
    await db.query(`drop table ${table.qualified}`);
    await db.query(`alter table ${tmp} rename to ${quoteIdent(table.name)}`);
    if (retry) {
      // The first attempt's unique index refused a fake: resolve as other unique rules are.
      await db.query("savepoint drill_restore");
      try {
        for (const s of def.restore) await db.query(s);
      } catch (e) {
        if ((e as { code?: string }).code !== "23505") throw e;
        await db.query("rollback to savepoint drill_restore");
        for (const u of compiled.uniqueColumns.filter((c) => c.byConstruction))
          collisionsResolved += await resolveCollisions(
            db,
            table.qualified,
            quoteIdent(u.column),
            u.hidden,
          );
        for (const s of def.restore) await db.query(s);
      }
    } else for (const s of def.restore) await db.query(s);
    for (const u of hidden)
      await db.query(`alter table ${table.qualified} drop column ${u.hidden}`);
    await db.query("commit");
    return { rows, collisionsResolved };
  } catch (e) {
    await db.query("rollback").catch(() => {});
    throw e;
  }
}

/**
 * Distinct inputs whose fakes still collide (rare: pool pick plus a keyed number) get "-2", "-3"…
 * ordered by the input's keyed hash, before "@" for emails; repeated until none collide. Rows
 * with the same input keep the same output.
 */
export async function resolveCollisions(
  db: Queryable,
  tmp: string,
  col: string,
  input: string,
): Promise<number> {
  let total = 0;
  for (let round = 0; round < 10; round++) {
    const r = await db.query(
      `with d as (
         select n.ctid as c, dense_rank() over (partition by n.${col} order by n.${input}) as rn
           from ${tmp} n where n.${col} in (
             select ${col} from ${tmp} group by ${col} having min(${input}) <> max(${input})))
       update ${tmp} u set ${col} = case when strpos(u.${col}, '@') > 0
           then split_part(u.${col}, '@', 1) || '-' || d.rn || '@' || split_part(u.${col}, '@', 2)
           else u.${col} || '-' || d.rn end
         from d where u.ctid = d.c and d.rn > 1`,
    );
    const changed = r.rowCount ?? 0;
    total += changed;
    if (changed === 0) return total;
  }
  return total;
}
