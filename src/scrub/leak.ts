import type { PatternName } from "../definitions/scrubber.js";
import type { Queryable } from "../db.js";
import type { Probe } from "./leak-probes.js";
import { CARD_RE, EMAIL_RE, IBAN_RE, PHONE_RE, REPLACEMENTS, ibanValid, luhn } from "./patterns.js";
import { lit } from "./sql.js";

export { keptTextProbes, patternProbes, sampledProbes, type Probe } from "./leak-probes.js";
export { plantCanaries, removeCanaries, survivingCanaries, type Canary } from "./canaries.js";

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
