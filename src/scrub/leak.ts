import { randomBytes } from "node:crypto";
import type { ColumnRule, PatternName, SimpleRule } from "../definitions/scrubber.js";
import { quoteIdent, type Queryable } from "../db.js";
import { displayName, isTextual, type ColumnInfo, type TableInfo } from "./catalog.js";
import { CARD_RE, EMAIL_RE, IBAN_RE, PHONE_RE, REPLACEMENTS, ibanValid, luhn } from "./patterns.js";
import type { TablePlan } from "./plan.js";
import { lit } from "./sql.js";

/** A place values are read from: a column, or a path inside a JSON column. */
export interface Probe {
  table: TableInfo;
  column: ColumnInfo;
  /** SQL text expression over alias `t`. */
  src: string;
  label: string;
}

const sampledRule = (r: SimpleRule): boolean =>
  r !== null && r !== "keep" && ("fake" in r || "hash" in r || "mask" in r || "template" in r);

/** Scrubbed values worth remembering: fakes, hashes, masks, templates (text and dates are judged otherwise). */
export function sampledProbes(plans: TablePlan[]): Probe[] {
  const out: Probe[] = [];
  for (const { table, rules } of plans) {
    for (const column of table.columns) {
      const rule = rules.get(column.name);
      const ref = `t.${quoteIdent(column.name)}`;
      const label = `${displayName(table)}.${column.name}`;
      if (rule === undefined || rule === null || rule === "keep") continue;
      if ("json" in rule) {
        for (const [path, inner] of Object.entries(rule.json))
          if (sampledRule(inner))
            out.push({
              table,
              column,
              src: `(${ref}::jsonb #>> ${jsonPath(path)})`,
              label: `${label}.${path}`,
            });
      } else if (sampledRule(rule)) out.push({ table, column, src: `${ref}::text`, label });
    }
  }
  return out;
}

/** Columns kept as they are that can hold text: where a copied value would hide. */
export function keptTextProbes(plans: TablePlan[]): Probe[] {
  return plans.flatMap(({ table, rules }) =>
    table.columns
      .filter((c) => isTextual(c) && (rules.get(c.name) ?? "keep") === "keep")
      .map((c) => ({
        table,
        column: c,
        src: `t.${quoteIdent(c.name)}::text`,
        label: `${displayName(table)}.${c.name}`,
      })),
  );
}

/** Columns the pattern detectors read: kept text, and free text or JSON that was scrubbed in parts. */
export function patternProbes(plans: TablePlan[]): Probe[] {
  const partial = plans.flatMap(({ table, rules }) =>
    table.columns
      .filter((c) => {
        const r = rules.get(c.name) as ColumnRule | undefined;
        return (
          r !== undefined && r !== null && typeof r === "object" && ("text" in r || "json" in r)
        );
      })
      .map((c) => {
        const r = rules.get(c.name) as { json?: Record<string, SimpleRule> };
        // Transformed paths hold fakes that look like the real thing: scan the rest of the document.
        const strip = Object.entries(r.json ?? {})
          .filter(([, rule]) => rule !== "keep")
          .map(([path]) => ` #- ${jsonPath(path)}`)
          .join("");
        const ref = `t.${quoteIdent(c.name)}`;
        const src = r.json ? `(${ref}::jsonb${strip})::text` : `${ref}::text`;
        return { table, column: c, src, label: `${displayName(table)}.${c.name}` };
      }),
  );
  return [...keptTextProbes(plans), ...partial];
}

const jsonPath = (path: string) =>
  lit(
    `{${path
      .split(".")
      .map((s) => `"${s.replaceAll('"', '\\"')}"`)
      .join(",")}}`,
  );

/**
 * Before the rewrite: up to `n` distinct values per probe, kept only as keyed 64-bit hashes
 * computed by the server (the values never reach this process). Very short values are skipped:
 * they recur by chance and would only make noise. A value is "distinctive" when it could only
 * be someone's (8+ characters with a space, digit or "@": a full name, email, phone, address);
 * only those are looked for in kept columns, where a lone "Harris" may be a composer.
 */
export async function sampleHashes(
  db: Queryable,
  probes: Probe[],
  n: number,
  seed: string,
): Promise<Map<string, boolean>> {
  const hashes = new Map<string, boolean>();
  for (const p of probes) {
    const pct = p.table.estimatedRows > 0 ? Math.min(100, (300 * n) / p.table.estimatedRows) : 100;
    const { rows } = await db.query<{ h: string; d: boolean }>(
      `select distinct hashtextextended(v, $1)::text as h, (length(v) >= 8 and v ~ '[[:space:]@0-9]') as d
         from (select ${p.src} as v from ${p.table.qualified} t tablesample bernoulli (${pct.toFixed(4)})) s
        where length(v) >= 4 limit ${n}`,
      [seed],
    );
    for (const r of rows) hashes.set(r.h, (hashes.get(r.h) ?? false) || r.d);
  }
  return hashes;
}

/** After the rewrite: rows per probe whose value hashes to a sampled original (fakes from a pool excepted). */
export async function findSampled(
  db: Queryable,
  probes: { probe: Probe; pools: string[]; distinctiveOnly: boolean }[],
  hashes: Map<string, boolean>,
  seed: string,
): Promise<Record<string, number>> {
  const hits: Record<string, number> = {};
  if (hashes.size === 0) return hits;
  await db.query(
    "create temp table if not exists drill_leak (h bigint primary key, distinctive boolean not null)",
  );
  await db.query("truncate drill_leak");
  await db.query("insert into drill_leak select * from unnest($1::bigint[], $2::boolean[])", [
    [...hashes.keys()],
    [...hashes.values()],
  ]);
  await db.query("analyze drill_leak");
  for (const { probe: p, pools, distinctiveOnly } of probes) {
    const notPool = pools
      .map((pool) => ` and not exists (select 1 from ${pool} x where x.v = ${p.src})`)
      .join("");
    const { rows } = await db.query<{ n: number }>(
      `select count(*)::int as n from ${p.table.qualified} t
        where hashtextextended(${p.src}, $1) in (select h from drill_leak${distinctiveOnly ? " where distinctive" : ""})${notPool}`,
      [seed],
    );
    if (rows[0]!.n > 0) hits[p.label] = rows[0]!.n;
  }
  await db.query("drop table drill_leak");
  return hits;
}

export type PatternCounts = Partial<Record<PatternName, number>>;

/** Rows per probe with emails, phone numbers, Luhn-valid card numbers or valid IBANs. */
export async function findPatterns(
  db: Queryable,
  probes: Probe[],
): Promise<Record<string, PatternCounts>> {
  const out: Record<string, PatternCounts> = {};
  // What the `text` transformer writes must not count as found.
  const cleaned = (src: string) =>
    Object.values(REPLACEMENTS).reduce((e, r) => `replace(${e}, ${lit(r)}, '')`, src);
  for (const p of probes) {
    const v = cleaned(p.src);
    const { rows } = await db.query<{ emails: number; phones: number }>(
      `select count(*) filter (where v ~ $1)::int as emails, count(*) filter (where v ~ $2)::int as phones
         from (select ${v} as v from ${p.table.qualified} t) s where v is not null`,
      [EMAIL_RE, PHONE_RE],
    );
    const counts: PatternCounts = {};
    if (rows[0]!.emails > 0) counts.emails = rows[0]!.emails;
    if (rows[0]!.phones > 0) counts.phones = rows[0]!.phones;
    for (const [name, re, valid] of [
      ["cards", CARD_RE, luhn],
      ["ibans", IBAN_RE, ibanValid],
    ] as const) {
      const found = await db.query<{ m: string }>(
        `select (regexp_matches(v, $1, 'g'))[1] as m
           from (select ${v} as v from ${p.table.qualified} t) s where v ~ $2 limit 10000`,
        [`(${re})`, re],
      );
      const n = found.rows.filter((r) => valid(r.m)).length;
      if (n > 0) counts[name] = n;
    }
    if (Object.keys(counts).length > 0) out[p.label] = counts;
  }
  return out;
}

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
    await db.query(`delete from ${c.table.qualified} where ${pk}::text = $1`, [c.key]);
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
