import type { ColumnRule, ElementRule } from "../definitions/scrubber.js";
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
  /** Keyed 63-bit hash of `src`; `int` for an integer source. */
  hashOf(src: string, purpose: string, int?: boolean): string;
  /** The pool of a faker method as a jsonb array of `value` (over its `v`), built once per statement. */
  poolRef(method: string, locale: string, column: string, value?: string): string;
  /** Start of hidden column names: no column of the table starts with it. */
  hiddenPrefix: string;
}

/** One select-list expression per column, in table order; unique columns' hidden inputs apart. */
export function ruleExpressions(
  ctx: RowContext,
  rules: Map<string, ColumnRule>,
): { columns: string[]; uniqueColumns: UniqueColumn[] } {
  const uniqueColumns: UniqueColumn[] = [];
  const columns = ctx.table.columns.map((c) => {
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
    if ("each" in rule) return cast(eachExpr(ctx, ref, rule.each, c.name));
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
    return cast(textExpr(ctx, rule, `${ref}::text`, c.name));
  });
  return { columns, uniqueColumns };
}

/**
 * A fake picked from the pool by the keyed hash's low bits. A unique fake appends the hash's
 * other 51 bits (hex), so two inputs share a fake only if their 63-bit keyed hashes collide:
 * unique by construction, no pass over the table after the load.
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
  if (!rule.unique)
    return `(${ctx.poolRef(rule.fake, locale, column)} ->> (${h} % ${POOL_SIZE})::int)`;
  const shaped = `case when strpos(v, '@') > 0 then split_part(v, '@', 1) || '.' || chr(1) || '@' || split_part(v, '@', 2) else v || '-' || chr(1) end`;
  const pool = ctx.poolRef(rule.fake, locale, column, shaped);
  return `replace(${pool} ->> (${h} % ${POOL_SIZE})::int, chr(1), to_hex(${h} >> ${POOL_BITS}))`;
}

/** Expression for a simple rule on a text source; returns text (callers cast). */
function textExpr(
  ctx: RowContext,
  rule: Exclude<ElementRule, "keep" | null>,
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
    const numbers = (x: string) => {
      if (all || o.cards)
        x = `regexp_replace(${x}, ${lit(CARD_RE)}, ${lit(REPLACEMENTS.cards)}, 'g')`;
      if (all || o.phones)
        x = `regexp_replace(${x}, ${lit(PHONE_RE)}, ${lit(REPLACEMENTS.phones)}, 'g')`;
      return x;
    };
    // Regular expressions are the slow part: text with no digit and no "@" holds none of these,
    // and an email needs an "@" (its pass is skipped on text without one).
    if (!(all || o.emails))
      return `case when ${src} ~ '[0-9@]' then ${numbers(src)} else ${src} end`;
    const emails = `regexp_replace(${src}, ${lit(EMAIL_RE)}, ${lit(REPLACEMENTS.emails)}, 'g')`;
    const rest = numbers(src) === src ? "" : ` when ${src} ~ '[0-9]' then ${numbers(src)}`;
    return `case when strpos(${src}, '@') > 0 then ${numbers(emails)}${rest} else ${src} end`;
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
  // m = h mod 2·days in [0, 2·days) → m - days, plus 1 when m ≥ days (m / days is 0 or 1).
  const d = `((${h} % ${2 * days}) - ${days} + (${h} % ${2 * days}) / ${days})`;
  return typeName === "date" ? `${value} + ${d}::int` : `${value} + ${d} * interval '1 day'`;
}

/**
 * Each path's rule applied in turn, where the original document has a value there. One
 * jsonb_set per path, aimed at the empty path (a no-op) where there is none: a CASE per path
 * would copy everything before it into both branches, doubling the statement with each path.
 */
function jsonExpr(
  ctx: RowContext,
  ref: string,
  column: string,
  paths: Record<string, ElementRule>,
): string {
  const doc = `${ref}::jsonb`;
  let acc = doc;
  for (const [path, rule] of Object.entries(paths)) {
    if (rule === "keep") continue;
    const p = lit(
      `{${path
        .split(".")
        .map((s) => `"${s.replaceAll('"', '\\"')}"`)
        .join(",")}}`,
    );
    const src = `(${doc} #>> ${p})`;
    let value: string;
    if (rule === null) value = `'null'::jsonb`;
    else if ("set" in rule)
      value =
        rule.set === null
          ? `'null'::jsonb`
          : `to_jsonb(${lit(String(rule.set))}::${typeof rule.set === "string" ? "text" : typeof rule.set === "number" ? "numeric" : "boolean"})`;
    else value = `coalesce(to_jsonb(${textExpr(ctx, rule, src, column)}), 'null'::jsonb)`;
    acc = `jsonb_set(${acc}, case when ${src} is null then '{}' else ${p}::text[] end, case when ${src} is null then 'null'::jsonb else ${value} end, false)`;
  }
  // jsonb_set refuses a scalar document, which has none of the paths: it stays as it is.
  return acc === doc
    ? doc
    : `case when jsonb_typeof(${doc}) in ('object', 'array') then ${acc} else ${doc} end`;
}

/** Each element of a one-dimensional array through `rule`, in order; nulls stay null. */
function eachExpr(ctx: RowContext, ref: string, rule: ElementRule, column: string): string {
  if (rule === "keep") return ref;
  const element = rule === null ? "null::text" : textExpr(ctx, rule, "u.x::text", column);
  return `case when ${ref} is null then null else array(select ${element} from unnest(${ref}) with ordinality u(x, i) order by u.i) end`;
}
