import type { ColumnRule, SimpleRule } from "../definitions/scrubber.js";
import { quoteIdent } from "../db.js";
import type { ColumnInfo, TableInfo } from "./catalog.js";
import type { Keys } from "./keys.js";
import { CARD_RE, EMAIL_RE, PHONE_RE, REPLACEMENTS } from "./patterns.js";

/** Faker pools hold this many values: a power of two, so the pick is the hash's low bits. */
export const POOL_SIZE = 4096;
const MAX_BIGINT = "9223372036854775807";

export interface PoolSpec {
  method: string;
  locale: string;
  /** `drill_scrub.pool_<n>`. */
  table: string;
}

/** What the compiler needs from the run: keys, and the pools it may ask for. */
export interface CompileEnv {
  keys: Keys;
  locale: string;
  pool(method: string, locale: string): PoolSpec;
}

export interface CompiledTable {
  /** `SELECT … FROM <table> t …`, producing the columns in their original order. */
  select: string;
  /** Unique columns, each with a hidden column holding the input's keyed hash (dropped after). */
  uniqueColumns: { column: string; hidden: string }[];
  /** Column → pools its values come from (a fake equal to a sampled original is no leak). */
  pools: Map<string, string[]>;
}

export const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * Compile one table's rules into a single SELECT that PostgreSQL runs for all rows: fakes are
 * picked from pool tables by a keyed hash of the input value (a hash join, no round trip per
 * row), so the same input gives the same output in every table with the same rule and secret.
 */
export function compileTable(
  table: TableInfo,
  rules: Map<string, ColumnRule>,
  env: CompileEnv,
): CompiledTable {
  const joins: string[] = [];
  const settings = new Map<string, string>(); // setting name → alias column
  const pools = new Map<string, string[]>();
  const uniqueColumns: { column: string; hidden: string }[] = [];
  const hidden: string[] = [];

  const keyRef = (purpose: string, kind: "seed" | "hex"): string => {
    const value = kind === "seed" ? env.keys.seed(purpose) : env.keys.hexKey(purpose);
    const name = env.keys.setting(purpose, value);
    const alias = `k${name.slice("drill.k".length)}`;
    settings.set(
      name,
      `current_setting(${lit(name)})${kind === "seed" ? "::bigint" : ""} as ${alias}`,
    );
    return `k.${alias}`;
  };
  const hashOf = (src: string, purpose: string) =>
    `(hashtextextended(${src}, ${keyRef(purpose, "seed")}) & ${MAX_BIGINT})`;
  const keyedHex = (src: string) =>
    `encode(sha256(convert_to(${keyRef("hash", "hex")} || ${src}, 'UTF8')), 'hex')`;

  const fakeExpr = (
    rule: { fake: string; locale?: string | undefined; unique?: boolean | undefined },
    src: string,
    column: string,
  ) => {
    const spec = env.pool(rule.fake, rule.locale ?? env.locale);
    const alias = `p${joins.length}`;
    const purpose = `fake:${rule.fake}:${rule.locale ?? env.locale}`;
    joins.push(
      `left join ${spec.table} ${alias} on ${alias}.i = ${hashOf(src, purpose)} % ${POOL_SIZE}`,
    );
    pools.set(column, [...(pools.get(column) ?? []), spec.table]);
    if (!rule.unique) return `${alias}.v`;
    // A keyed number from other bits of the same hash makes collisions rare; the rest are resolved after.
    const n = `((${hashOf(src, purpose)} >> 16) % 100000000)::text`;
    return `case when strpos(${alias}.v, '@') > 0 then split_part(${alias}.v, '@', 1) || '.' || ${n} || '@' || split_part(${alias}.v, '@', 2) else ${alias}.v || '-' || ${n} end`;
  };

  /** Expression for a simple rule on a text source; returns text (callers cast). */
  const textExpr = (
    rule: Exclude<SimpleRule, "keep" | null>,
    src: string,
    column: string,
    col: ColumnInfo | undefined,
  ): string => {
    if ("fake" in rule) return fakeExpr(rule, src, column);
    if ("hash" in rule) {
      const o = rule.hash;
      const len = o.length ?? 16;
      let hex = keyedHex(src);
      if (len > 64) hex = `(${hex} || ${keyedHex(`${src} || 'x'`)})`;
      let out = `substr(${hex}, 1, ${len})`;
      if (o.digitsOnly) out = `translate(${out}, 'abcdef', '012345')`;
      if (o.domain) out = `${out} || '@' || ${lit(o.domain)}`;
      return `case when ${src} is null then null else ${out} end`;
    }
    if ("mask" in rule) {
      const f = rule.mask.keepFirst ?? 0;
      const l = rule.mask.keepLast ?? 0;
      const c = lit(rule.mask.char ?? "*");
      return `case when length(${src}) <= ${f + l} then repeat(${c}, length(${src})) else left(${src}, ${f}) || repeat(${c}, length(${src}) - ${f + l}) || right(${src}, ${l}) end`;
    }
    if ("set" in rule) return rule.set === null ? "null::text" : lit(String(rule.set));
    if ("template" in rule) {
      const parts = rule.template.split(/(\{\{[^}]+\}\})/).filter((p) => p !== "");
      const body = parts
        .map((p) => {
          const m = /^\{\{([^}]+)\}\}$/.exec(p);
          if (!m) return lit(p);
          return m[1] === "hash"
            ? `substr(${keyedHex(src)}, 1, 16)`
            : `coalesce(t.${quoteIdent(m[1]!)}::text, '')`;
        })
        .join(" || ");
      return `case when ${src} is null then null else ${body} end`;
    }
    if ("text" in rule) {
      const o = rule.text;
      const all = o.emails === undefined && o.phones === undefined && o.cards === undefined;
      let out = src;
      if (all || o.emails)
        out = `regexp_replace(${out}, ${lit(EMAIL_RE)}, ${lit(REPLACEMENTS.emails)}, 'g')`;
      if (all || o.cards)
        out = `regexp_replace(${out}, ${lit(CARD_RE)}, ${lit(REPLACEMENTS.cards)}, 'g')`;
      if (all || o.phones)
        out = `regexp_replace(${out}, ${lit(PHONE_RE)}, ${lit(REPLACEMENTS.phones)}, 'g')`;
      // Regular expressions are the slow part: text with no digit and no "@" holds none of these.
      return `case when ${src} ~ '[0-9@]' then ${out} else ${src} end`;
    }
    // shiftDate on text inside JSON: parse, shift, format.
    return `(${shift(`(${src})::date`, rule.shiftDate, "date", column)})::text`;
    void col;
  };

  const rowKey =
    table.primaryKey.length > 0
      ? `row(${table.primaryKey.map((c) => `t.${quoteIdent(c)}`).join(", ")})::text`
      : undefined;
  const shift = (value: string, ms: number, typeName: string, column: string) => {
    const days = Math.max(1, Math.floor(ms / 86_400_000));
    // One stable shift per row (keyed by its primary key), never zero: a zero shift keeps the date.
    const h = hashOf(rowKey ?? `(${value})::text`, `shift:${days}`);
    const d = `((${h} % ${2 * days}) - ${days} + case when ${h} % ${2 * days} >= ${days} then 1 else 0 end)`;
    void column;
    return typeName === "date" ? `${value} + ${d}::int` : `${value} + ${d} * interval '1 day'`;
  };

  const selectList = table.columns.map((c) => {
    const ref = `t.${quoteIdent(c.name)}`;
    const rule = rules.get(c.name);
    const as = ` as ${quoteIdent(c.name)}`;
    const cast = (e: string) =>
      `(${e})::${c.type}${c.collation ? ` collate ${c.collation}` : ""}${as}`;
    if (rule === undefined || rule === "keep") return `${ref}${as}`;
    if (rule === null) return cast("null");
    if ("json" in rule) return cast(jsonExpr(ref, c, rule.json));
    if ("shiftDate" in rule) return cast(shift(ref, rule.shiftDate, c.typeName, c.name));
    if ("set" in rule && rule.set !== null) return cast(lit(String(rule.set)));
    if ("unique" in rule && rule.unique) {
      // Collisions are resolved between distinct inputs only: the input's hash tells them apart.
      const name = `drill_input_${hidden.length}`;
      hidden.push(`${hashOf(`${ref}::text`, "unique")} as ${name}`);
      uniqueColumns.push({ column: c.name, hidden: name });
    }
    return cast(textExpr(rule, `${ref}::text`, c.name, c));
  });

  function jsonExpr(ref: string, c: ColumnInfo, paths: Record<string, SimpleRule>): string {
    let acc = `${ref}::jsonb`;
    for (const [path, rule] of Object.entries(paths)) {
      if (rule === "keep") continue;
      const p = lit(
        `{${path
          .split(".")
          .map((s) => `"${s.replaceAll('"', '\\"')}"`)
          .join(",")}}`,
      );
      const src = `(${ref}::jsonb #>> ${p})`;
      let value: string;
      if (rule === null) value = `'null'::jsonb`;
      else if ("set" in rule)
        value =
          rule.set === null
            ? `'null'::jsonb`
            : `to_jsonb(${typeof rule.set === "string" ? lit(rule.set) : `${lit(String(rule.set))}::${typeof rule.set === "number" ? "numeric" : "boolean"}`})`;
      else value = `coalesce(to_jsonb(${textExpr(rule, src, c.name, undefined)}), 'null'::jsonb)`;
      acc = `case when ${src} is null then ${acc} else jsonb_set(${acc}, ${p}, ${value}, false) end`;
    }
    return acc;
  }

  const keysFrom =
    settings.size > 0 ? ` cross join (select ${[...settings.values()].join(", ")} offset 0) k` : "";
  const select = `select ${[...selectList, ...hidden].join(", ")} from ${table.qualified} t${keysFrom} ${joins.join(" ")}`;
  return { select, uniqueColumns, pools };
}
