import type { Queryable } from "../db.js";
import { quoteIdent } from "../db.js";
import type { PartitionInfo, TableInfo } from "./catalog.js";
import { resolveCollisions, type RewriteResult } from "./rewrite.js";
import { selectOf, type CompiledTable } from "./sql.js";

/** What one in-place rewrite works on: a leaf partition, or one inheritance member's own rows. */
interface Target {
  oid: number;
  qualified: string;
}

/**
 * Rewrite a table whose structure a swap cannot keep (partition tree, inheritance tree,
 * generated columns), one relation at a time, each in one transaction: build its scrubbed rows
 * into an unlogged scratch table in the run's working schema, TRUNCATE the relation (a new file:
 * the one with the original values is unlinked at commit), INSERT the scrubbed rows back (routed
 * to the same partition, generated columns recomputed, identity values kept), drop the scratch.
 * Indexes, constraints, bounds, triggers, grants and comments stay as they were: nothing is
 * replayed. Foreign keys touching the table were dropped before (TRUNCATE refuses a referenced
 * table) and are re-created after all tables, as for swapped ones.
 */
export async function rewriteInPlace(
  db: Queryable,
  table: TableInfo,
  compiled: CompiledTable,
  workSchema: string,
  /** One leaf of a partitioned table (leaves are rewritten by several workers at once); else all. */
  leaf?: PartitionInfo,
): Promise<RewriteResult> {
  const started = performance.now();
  const targets: Target[] = leaf
    ? [leaf]
    : table.partitions
      ? table.partitions.filter((p) => p.leaf)
      : [{ oid: table.oid, qualified: table.qualified }];
  // Generated columns are left out of the select (compiled without them) and of the insert.
  const columns = table.columns
    .filter((c) => !c.generated)
    .map((c) => quoteIdent(c.name))
    .join(", ");
  let rows = 0;
  let collisionsResolved = 0;
  for (const target of targets) {
    const scratch = `${workSchema}.scratch_${target.oid}`;
    let r: { rows: number; collisionsResolved: number };
    try {
      r = await rewriteOne(db, target, compiled, columns, scratch, false);
    } catch (e) {
      // As in the swap: a fake unique by construction met a 63-bit hash collision (rare).
      if (
        (e as { code?: string }).code !== "23505" ||
        !compiled.uniqueColumns.some((u) => u.byConstruction)
      )
        throw e;
      r = await rewriteOne(db, target, compiled, columns, scratch, true);
    }
    rows += r.rows;
    collisionsResolved += r.collisionsResolved;
  }
  return { rows, collisionsResolved, durationMs: performance.now() - started };
}

async function rewriteOne(
  db: Queryable,
  target: Target,
  compiled: CompiledTable,
  columns: string,
  scratch: string,
  retry: boolean,
): Promise<{ rows: number; collisionsResolved: number }> {
  await db.query("begin");
  try {
    await db.query("set local parallel_tuple_cost = 0.01");
    // A policy filtering the owner's reads (FORCE ROW LEVEL SECURITY) would make the TRUNCATE
    // lose the rows it hides: with row_security off such a read fails instead.
    await db.query("set local row_security = off");
    // Every user trigger, ALWAYS and REPLICA ones included (session_replication_role would let
    // those fire), is disabled for the TRUNCATE and INSERT, then set back to what it was.
    const { rows: triggers } = await db.query<{ name: string; enabled: string }>(
      `select quote_ident(tgname) as name, tgenabled::text as enabled from pg_trigger
        where tgrelid = $1 and not tgisinternal and tgenabled <> 'D'`,
      [target.oid],
    );
    if (triggers.length > 0) await db.query(`alter table ${target.qualified} disable trigger user`);
    // Hidden inputs ride along where collisions are resolved in the scratch table (every unique
    // column on the retry), before the relation's unique indexes see the rows.
    const select = selectOf({ ...compiled, from: `from only ${target.qualified} t` }, retry);
    const created = await db.query(`create unlogged table ${scratch} as ${select}`);
    const rows = created.rowCount ?? 0;
    let collisionsResolved = 0;
    for (const u of compiled.uniqueColumns.filter((c) => retry || !c.byConstruction))
      collisionsResolved += await resolveCollisions(db, scratch, quoteIdent(u.column), u.hidden);
    await db.query(`truncate only ${target.qualified}`);
    await db.query(
      `insert into ${target.qualified} (${columns}) overriding system value select ${columns} from ${scratch}`,
    );
    await db.query(`drop table ${scratch}`);
    for (const t of triggers) {
      const mode = { O: "enable", R: "enable replica", A: "enable always" }[t.enabled] ?? "enable";
      await db.query(`alter table ${target.qualified} ${mode} trigger ${t.name}`);
    }
    await db.query("commit");
    return { rows, collisionsResolved };
  } catch (e) {
    await db.query("rollback").catch(() => {});
    throw e;
  }
}

/** What a scrub rewrites as one piece of work: a table, or one leaf of a partitioned table. */
export interface RewriteUnit<T> {
  plan: T;
  leaf?: PartitionInfo;
}

/**
 * A partitioned table rewritten in place becomes one unit per leaf, so that the workers share
 * its leaves (the biggest tables are often the partitioned ones); any other table is one unit.
 */
export const rewriteUnits = <T extends { table: TableInfo }>(
  plans: T[],
  inPlace: (p: T) => boolean,
): RewriteUnit<T>[] =>
  plans.flatMap((plan) =>
    inPlace(plan) && plan.table.partitions
      ? plan.table.partitions.filter((p) => p.leaf).map((leaf) => ({ plan, leaf }))
      : [{ plan }],
  );

/** One table's result from its units' results: rows summed, duration from first start to last end. */
export function mergeUnits(
  parts: { r: RewriteResult; start: number; end: number }[],
): RewriteResult {
  if (parts.length === 0) return { rows: 0, durationMs: 0, collisionsResolved: 0 };
  return {
    rows: parts.reduce((n, p) => n + p.r.rows, 0),
    collisionsResolved: parts.reduce((n, p) => n + p.r.collisionsResolved, 0),
    durationMs: Math.max(...parts.map((p) => p.end)) - Math.min(...parts.map((p) => p.start)),
  };
}
