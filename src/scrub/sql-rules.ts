import type { ColumnRule, SimpleRule } from "../definitions/scrubber.js";
import { quoteIdent } from "../db.js";
import type { TableInfo } from "./catalog.js";
import { CARD_RE, EMAIL_RE, PHONE_RE, REPLACEMENTS } from "./patterns.js";
import { POOL_BITS, POOL_SIZE, colRef, lit, type CompileEnv, type UniqueColumn } from "./sql.js";

/** What rule expressions may ask of the row being compiled (see compileTable). */
export interface RowContext {
  table: TableInfo;
  env: CompileEnv;
  /** Hex key for keyed sha256, as a reference usable in the select list. */
  keyRef(purpose: string): string;
  /** Keyed 63-bit hash of `src`, computed once per row; `int` for an integer source. */
  hashOf(src: string, purpose: string, int?: boolean): string;
  /** The pool of a faker method as a jsonb array, built once per statement. */
  poolRef(method: string, locale: string, column: string): string;
}

/** One select-list expression per column, in table order, plus hidden unique-input columns. */
export function ruleExpressions(
  ctx: RowContext,
  rules: Map<string, ColumnRule>,
): { selectList: string[]; uniqueColumns: UniqueColumn[] } {
  const uniqueColumns: UniqueColumn[] = [];
  const hidden: string[] = [];
  const selectList = ctx.table.columns.map((c) => {
    const ref = colRef(c.name);
    const rule = rules.get(c.name);
    const as = ` as ${quoteIdent(c.name)}`;
    const cast = (e: string) =>
      `(${e})::${c.type}${c.collation ? ` collate ${c.collation}` : ""}${as}`;
    if (rule === undefined || rule === "keep") return `${ref}${as}`;
    if (rule === null) return cast("null");
    if ("json" in rule) return cast(jsonExpr(ctx, ref, c.name, rule.json));
    if ("shiftDate" in rule) return cast(shift(ctx, ref, rule.shiftDate, c.typeName));
    if ("set" in rule && rule.set !== null) return cast(lit(String(rule.set)));
    if ("unique" in rule && rule.unique) {
      // Collisions are resolved between distinct inputs only: the input's hash tells them apart.
      const name = `drill_input_${hidden.length}`;
      hidden.push(`${ctx.hashOf(`${ref}::text`, "unique")} as ${name}`);
      uniqueColumns.push({ column: c.name, hidden: name, byConstruction: "fake" in rule });
    }
    return cast(textExpr(ctx, rule, `${ref}::text`, c.name));
  });
  return { selectList: [...selectList, ...hidden], uniqueColumns };
}

/**
 * A fake picked from the pool by the keyed hash's low bits. A unique fake appends the hash's
 * other 51 bits (hex), so two inputs share a fake only if their 63-bit keyed hashes collide:
 * unique by construction, no pass over the table after the load.
 */
function fakeExpr(
  ctx: RowContext,
  rule: { fake: string; locale?: string | undefined; unique?: boolean | undefined },
  src: string,
  column: string,
): string {
  const locale = rule.locale ?? ctx.env.locale;
  const pool = ctx.poolRef(rule.fake, locale, column);
  const h = ctx.hashOf(src, `fake:${rule.fake}:${locale}`);
  const v = `(${pool} ->> (${h} % ${POOL_SIZE})::int)`;
  if (!rule.unique) return v;
  const n = `to_hex(${h} >> ${POOL_BITS})`;
  return `case when strpos(${v}, '@') > 0 then split_part(${v}, '@', 1) || '.' || ${n} || '@' || split_part(${v}, '@', 2) else ${v} || '-' || ${n} end`;
}

/** Expression for a simple rule on a text source; returns text (callers cast). */
function textExpr(
  ctx: RowContext,
  rule: Exclude<SimpleRule, "keep" | null>,
  src: string,
  column: string,
): string {
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
  const d = `((${h} % ${2 * days}) - ${days} + case when ${h} % ${2 * days} >= ${days} then 1 else 0 end)`;
  return typeName === "date" ? `${value} + ${d}::int` : `${value} + ${d} * interval '1 day'`;
}

function jsonExpr(
  ctx: RowContext,
  ref: string,
  column: string,
  paths: Record<string, SimpleRule>,
): string {
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
    else value = `coalesce(to_jsonb(${textExpr(ctx, rule, src, column)}), 'null'::jsonb)`;
    acc = `case when ${src} is null then ${acc} else jsonb_set(${acc}, ${p}, ${value}, false) end`;
  }
  return acc;
}
