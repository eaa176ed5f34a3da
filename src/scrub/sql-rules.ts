import type { ColumnRule, ElementRule } from "../definitions/scrubber.js";
import { quoteIdent } from "../db.js";
import type { TableInfo } from "./catalog.js";
import { jsonExpr } from "./sql-json.js";
import { freeTextExpr } from "./sql-text.js";
import { POOL_BITS, POOL_SIZE, colRef, lit } from "./sql-literal.js";
import type { CompileEnv, UniqueColumn } from "./sql.js";
import { elementOf, type ValueType } from "./value-types.js";

/** What rule expressions may ask of the row being compiled (see compileTable). */
export interface RowContext {
  table: TableInfo;
  env: CompileEnv;
  /** Hex key for keyed sha256, as a reference usable in the select list. */
  keyRef(purpose: string): string;
  /** Keyed 63-bit hash of `src`; `int` for an integer source. */
  hashOf(src: string, purpose: string, int?: boolean): string;
  /** The pool of a faker method as a jsonb array of `value` (over its `v`), built once per statement. */
  poolRef(method: string, locale: string, column: string, value?: string): string;
  /** Start of hidden column names: no column of the table starts with it. */
  hiddenPrefix: string;
}

type ValueRule = Exclude<ElementRule, "keep" | null>;

/**
 * One select-list expression per column, in table order; unique columns' hidden inputs apart;
 * and each column's typed expression without its alias (what it becomes, see names.ts).
 */
export function ruleExpressions(
  ctx: RowContext,
  rules: Map<string, ColumnRule>,
): { columns: string[]; uniqueColumns: UniqueColumn[]; expressions: Map<string, string> } {
  const uniqueColumns: UniqueColumn[] = [];
  const expressions = new Map<string, string>();
  const columns = ctx.table.columns.map((c) => {
    const ref = colRef(c.name);
    const rule = rules.get(c.name);
    const as = ` as ${quoteIdent(c.name)}`;
    const typed = (e: string) => {
      const x = `(${e})::${c.type}${c.collation ? ` collate ${c.collation}` : ""}`;
      expressions.set(c.name, x);
      return `${x}${as}`;
    };
    if (rule === undefined || rule === "keep") return `${ref}${as}`;
    if (rule === null) return typed("null");
    if ("json" in rule)
      return typed(jsonExpr(ref, rule, (r, src) => textExpr(ctx, r, src, c.name)));
    if ("set" in rule && rule.set !== null) return typed(lit(String(rule.set)));
    if ("each" in rule) return typed(eachExpr(ctx, ref, rule.each, c.name, elementOf(c)));
    if ("unique" in rule && rule.unique) {
      // Collisions are resolved between distinct inputs only: the input's hash tells them apart.
      const hidden = `${ctx.hiddenPrefix}input_${uniqueColumns.length}`;
      uniqueColumns.push({
        column: c.name,
        hidden,
        hiddenExpr: `${ctx.hashOf(`${ref}::text`, "unique")} as ${hidden}`,
        byConstruction: "fake" in rule,
      });
    }
    return typed(valueExpr(ctx, rule, ref, c, c.name));
  });
  return { columns, uniqueColumns, expressions };
}

/**
 * A rule on one value `v` of type `t` (a column, or an array element); text out, the caller
 * casts. Dates shift as themselves; network addresses hash by their address (so the text
 * "10.1.2.3" and the inet 10.1.2.3 get one fake), and a cidr's fake is masked to a network.
 */
function valueExpr(ctx: RowContext, rule: ValueRule, v: string, t: ValueType, column: string) {
  if ("shiftDate" in rule && t.category === "D") return shift(ctx, v, rule.shiftDate, t.typeName);
  if ("fake" in rule && t.typeName === "inet") return fakeExpr(ctx, rule, `host(${v})`, column);
  if ("fake" in rule && t.typeName === "cidr") {
    const f = `(${fakeExpr(ctx, rule, `${v}::text`, column)})::inet`;
    const bits = `least(masklen(${v}), case when family(${f}) = 4 then 32 else 128 end)`;
    return `network(set_masklen(${f}, ${bits}))::text`;
  }
  return textExpr(ctx, rule, `${v}::text`, column);
}

/**
 * A fake picked from the pool by the keyed hash's low bits. A unique fake appends the hash's
 * other 51 bits (hex), so two inputs share a fake only if their 63-bit keyed hashes collide:
 * unique by construction, no pass over the table after the load. Every rule using a method
 * (and locale) that any rule of the scrubber marks unique gets that form too: one input, one
 * output in every table, so natural keys still join.
 *
 * The hex goes before the "@" of an email ("ann.1f3@x.org"), else after a "-": the pool of a
 * unique fake is drawn with that shape once per statement, a \u0001 marking where the hex goes
 * (faker never draws control characters), so each row looks its pick up once.
 */
function fakeExpr(
  ctx: RowContext,
  rule: { fake: string; locale?: string | undefined; unique?: boolean | undefined },
  src: string,
  column: string,
): string {
  const locale = rule.locale ?? ctx.env.locale;
  const h = ctx.hashOf(src, `fake:${rule.fake}:${locale}`);
  if (!rule.unique && !ctx.env.uniqueFakes?.has(`${rule.fake}:${locale}`))
    return `(${ctx.poolRef(rule.fake, locale, column)} ->> (${h} % ${POOL_SIZE})::int)`;
  const shaped = `case when strpos(v, '@') > 0 then split_part(v, '@', 1) || '.' || chr(1) || '@' || split_part(v, '@', 2) else v || '-' || chr(1) end`;
  const pool = ctx.poolRef(rule.fake, locale, column, shaped);
  return `replace(${pool} ->> (${h} % ${POOL_SIZE})::int, chr(1), to_hex(${h} >> ${POOL_BITS}))`;
}

/** Expression for a simple rule on a text source; returns text (callers cast). */
function textExpr(ctx: RowContext, rule: ValueRule, src: string, column: string): string {
  const keyedHex = (s: string) =>
    `encode(sha256(convert_to(${ctx.keyRef("hash")} || ${s}, 'UTF8')), 'hex')`;
  if ("fake" in rule) return fakeExpr(ctx, rule, src, column);
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
          : `coalesce(${colRef(m[1]!)}::text, '')`;
      })
      .join(" || ");
    return `case when ${src} is null then null else ${body} end`;
  }
  if ("text" in rule) return freeTextExpr(ctx.env, rule.text, src);
  // shiftDate on text inside JSON: parse, shift, format.
  return `(${shift(ctx, `(${src})::date`, rule.shiftDate, "date")})::text`;
}

/** One stable shift per row (keyed by its primary key), never zero: a zero shift keeps the date. */
function shift(ctx: RowContext, value: string, ms: number, typeName: string): string {
  const days = Math.max(1, Math.floor(ms / 86_400_000));
  const pk = ctx.table.primaryKey;
  const pkType = ctx.table.columns.find((c) => c.name === pk[0])?.typeName ?? "";
  const purpose = `shift:${days}`;
  const h =
    pk.length === 1 && /^int[248]$/.test(pkType)
      ? ctx.hashOf(`${colRef(pk[0]!)}::bigint`, purpose, true)
      : pk.length === 1
        ? ctx.hashOf(`${colRef(pk[0]!)}::text`, purpose)
        : pk.length > 1
          ? ctx.hashOf(`row(${pk.map(colRef).join(", ")})::text`, purpose)
          : ctx.hashOf(`(${value})::text`, purpose);
  // m = h mod 2·days in [0, 2·days) → m - days, plus 1 when m ≥ days (m / days is 0 or 1).
  const d = `((${h} % ${2 * days}) - ${days} + (${h} % ${2 * days}) / ${days})`;
  return typeName === "date" ? `${value} + ${d}::int` : `${value} + ${d} * interval '1 day'`;
}

/**
 * Each element of a one-dimensional array through `rule`, in order, as the element type (the
 * column's cast turns the text[] back); null elements stay null, and so does a null array.
 */
function eachExpr(
  ctx: RowContext,
  ref: string,
  rule: ElementRule,
  column: string,
  element: ValueType | undefined,
): string {
  if (rule === "keep") return ref;
  const t = element ?? { type: "text", typeName: "text", category: "S" };
  const x = rule === null ? "null" : valueExpr(ctx, rule, "u.x", t, column);
  return `case when ${ref} is null then null else array(select case when u.x is null then null else (${x})::text end from unnest(${ref}) with ordinality u(x, i) order by u.i) end`;
}
