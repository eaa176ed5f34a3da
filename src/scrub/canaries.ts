import { randomBytes } from "node:crypto";
import { quoteIdent, type Queryable } from "../db.js";
import { displayName, type TableInfo } from "./catalog.js";
import type { TablePlan } from "./plan.js";

export interface Canary {
  label: string;
  table: TableInfo;
  column: string;
  value: string;
  /** Primary key value of the planted row (removed after the scan). */
  key: string;
}

/**
 * Plant known fake personal data: one extra row per rewritten table, a copy of an existing row
 * (so foreign keys and checks hold) with a new integer key and canary values in its transformed
 * text columns. The scan proves they came out changed, then removes the rows: the copy's own
 * data is never altered. Tables without a kept single integer key, or whose constraints refuse
 * the copy, get no canary.
 */
export async function plantCanaries(db: Queryable, plans: TablePlan[]): Promise<Canary[]> {
  const canaries: Canary[] = [];
  for (const { table, rules, rewrite } of plans) {
    const pk =
      table.primaryKey.length === 1
        ? table.columns.find((c) => c.name === table.primaryKey[0])
        : undefined;
    if (!rewrite || !pk || rules.get(pk.name) !== "keep" || !/^int[248]$/.test(pk.typeName))
      continue;
    const targets = table.columns.filter((c) => {
      const r = rules.get(c.name);
      const len = /\((\d+)\)/.exec(c.type);
      return (
        c.category === "S" &&
        r !== undefined &&
        r !== null &&
        r !== "keep" &&
        !("json" in r) &&
        !("set" in r) &&
        (!len || Number(len[1]) >= 24)
      );
    });
    if (targets.length === 0) continue;
    // An ALWAYS or REPLICA trigger would fire on the planted row (and copy it into a log).
    const { rows: firing } = await db.query(
      `select 1 from pg_trigger where tgrelid = $1 and not tgisinternal and tgenabled in ('A', 'R')`,
      [table.oid],
    );
    if (firing.length > 0) continue;
    const values = new Map(
      targets.map((c) => [c.name, `c${randomBytes(4).toString("hex")}@canary.invalid`]),
    );
    const list = table.columns.map((c) => quoteIdent(c.name)).join(", ");
    const params: string[] = [];
    const select = table.columns
      .map((c) => {
        if (c === pk)
          return `(select coalesce(max(${quoteIdent(pk.name)}), 0) + 1 from ${table.qualified})`;
        const v = values.get(c.name);
        if (v === undefined) return `t.${quoteIdent(c.name)}`;
        params.push(v);
        return `$${params.length}::${c.type}`;
      })
      .join(", ");
    await db.query("begin");
    try {
      await db.query("set local session_replication_role = replica");
      const r = await db.query<{ key: string }>(
        `insert into ${table.qualified} (${list}) overriding system value
         select ${select} from ${table.qualified} t limit 1 returning ${quoteIdent(pk.name)}::text as key`,
        params,
      );
      await db.query("commit");
      const key = r.rows[0]?.key;
      if (key !== undefined)
        for (const [column, value] of values)
          canaries.push({ label: `${displayName(table)}.${column}`, table, column, value, key });
    } catch {
      await db.query("rollback").catch(() => {});
    }
  }
  return canaries;
}

/** Remove the planted rows (their values are scrubbed by now). */
export async function removeCanaries(db: Queryable, canaries: Canary[]): Promise<void> {
  const seen = new Set<string>();
  for (const c of canaries) {
    const pk = quoteIdent(c.table.primaryKey[0]!);
    if (seen.has(c.table.qualified)) continue;
    seen.add(c.table.qualified);
    // No ordinary trigger fires on the removal (a delete trigger would log the row elsewhere).
    // `only`: an inheritance parent's planted row, not a child's (a partitioned table has no own rows).
    const only = c.table.partitions ? "" : "only ";
    await db.query("begin");
    try {
      await db.query("set local session_replication_role = replica");
      await db.query(`delete from ${only}${c.table.qualified} where ${pk}::text = $1`, [c.key]);
      await db.query("commit");
    } catch (e) {
      await db.query("rollback").catch(() => {});
      throw e;
    }
  }
}

/** Canaries still found (as a whole value inside their column) after the scrub. */
export async function survivingCanaries(db: Queryable, canaries: Canary[]): Promise<string[]> {
  const survived: string[] = [];
  for (const c of canaries) {
    const { rows } = await db.query<{ n: number }>(
      `select count(*)::int as n from ${c.table.qualified} where strpos(${quoteIdent(c.column)}::text, $1) > 0`,
      [c.value],
    );
    if (rows[0]!.n > 0) survived.push(c.label);
  }
  return survived;
}
