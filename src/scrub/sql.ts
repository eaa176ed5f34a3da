import type { ColumnRule } from "../definitions/scrubber.js";
import type { TableInfo } from "./catalog.js";
import type { Keys } from "./keys.js";
import { lit } from "./sql-literal.js";
import { ruleExpressions, type RowContext } from "./sql-rules.js";

const MAX_BIGINT = "9223372036854775807";

export interface PoolSpec {
  method: string;
  locale: string;
  /** `<working schema>.pool_<n>`. */
  table: string;
}

/** What the compiler needs from the run: keys, and the pools it may ask for. */
export interface CompileEnv {
  keys: Keys;
  locale: string;
  pool(method: string, locale: string): PoolSpec;
  /**
   * `method:locale` of every fake some rule of the scrubber marks unique: every rule using one
   * of them gets the tagged (unique by construction) form, so one input gives one output in every
   * table whether or not each side says unique.
   */
  uniqueFakes?: ReadonlySet<string>;
  /** Known names in free text (see names.ts): absent when the scrubber has no person-name fake. */
  names?: { gate: string; replace: string };
}

export interface UniqueColumn {
  column: string;
  /** Hidden column holding the input's keyed hash (dropped after): tells distinct inputs apart. */
  hidden: string;
  /** The hidden column's select-list entry (`<keyed hash> as <hidden>`). */
  hiddenExpr: string;
  /**
   * Unique by construction (a fake carrying its full keyed hash): no hidden column and no
   * collision pass; only a failed unique index build (a 63-bit hash collision) sends the table
   * through the rewrite again with the hidden column and a collision pass.
   */
  byConstruction: boolean;
}

export interface CompiledTable {
  /** Transformed columns in their original order: `<expression> as <column>`. */
  columns: string[];
  /** `from <table> t`. */
  from: string;
  uniqueColumns: UniqueColumn[];
  /** Column → its typed expression on the row alias `t` (no alias): what the column becomes. */
  expressions?: Map<string, string>;
  /** Column → pools its values come from (a fake equal to a sampled original is no leak). */
  pools: Map<string, string[]>;
}

/**
 * The SELECT for a rewrite: the columns, then the hidden inputs of the unique columns that need
 * a collision pass (`all`: of every unique column, for the retry after a refused unique index).
 */
export function selectOf(compiled: CompiledTable, all = false): string {
  const hidden = compiled.uniqueColumns.filter((u) => all || !u.byConstruction);
  return `select ${[...compiled.columns, ...hidden.map((u) => u.hiddenExpr)].join(", ")} ${compiled.from}`;
}

/**
 * Compile one table's rules into a single `select <transformed columns> from <table> t` that
 * PostgreSQL runs for all rows, with a parallel plan when the table is large enough. Anything
 * that keeps the expressions apart from the scan (an `offset 0` subquery computing each hash once
 * per row, a join to a row of constants) also keeps them above the Gather, in the one process
 * that writes the new table (1M rows, 2 cores: 4-6 s fenced; 2.7 s serial, 1.7-2.1 s parallel
 * standing alone). So every expression stands alone, parallel safe:
 *
 * - Keys and pools are uncorrelated scalar sub-selects, `(select current_setting('drill.k0')::
 *   bigint)` and `(select jsonb_agg(v order by i) from <working schema>.pool_0)`: InitPlans, run once
 *   per statement by the leader and handed to the workers. The keys stay in session settings
 *   (never in statement text, see Keys). A pool is a jsonb array indexed by the hash's low bits:
 *   `->>` on it is a bounded offset walk, where a join per pool cost a hash probe and a tuple
 *   copy per row.
 * - A keyed hash is computed where it is used: an expression uses each at most twice, and
 *   hashing a short value costs less than a fence.
 */
export function compileTable(
  table: TableInfo,
  rules: Map<string, ColumnRule>,
  env: CompileEnv,
): CompiledTable {
  // Hidden column names must not collide with the table's own columns.
  let prefix = "drill_";
  while (table.columns.some((c) => c.name.startsWith(prefix))) prefix += "_";
  const pools = new Map<string, string[]>();

  const keyOf = (purpose: string, kind: "seed" | "hex"): string => {
    const value = kind === "seed" ? env.keys.seed(purpose) : env.keys.hexKey(purpose);
    const name = env.keys.setting(purpose, value);
    return `(select current_setting(${lit(name)})${kind === "seed" ? "::bigint" : ""})`;
  };
  const hashOf = (src: string, purpose: string, int = false): string => {
    const fn = int ? "hashint8extended" : "hashtextextended";
    return `(${fn}(${src}, ${keyOf(purpose, "seed")}) & ${MAX_BIGINT})`;
  };
  const poolRef = (method: string, locale: string, column: string, value = "v"): string => {
    const spec = env.pool(method, locale);
    pools.set(column, [...new Set([...(pools.get(column) ?? []), spec.table])]);
    return `(select jsonb_agg(${value} order by i) from ${spec.table})`;
  };

  const keyRef = (purpose: string) => keyOf(purpose, "hex");
  const ctx: RowContext = { table, env, keyRef, hashOf, poolRef, hiddenPrefix: prefix };
  const { columns, uniqueColumns, expressions } = ruleExpressions(ctx, rules);
  return { columns, from: `from ${table.qualified} t`, uniqueColumns, expressions, pools };
}
