import type { PatternName } from "../definitions/scrubber.js";
import type { Queryable } from "../db.js";
import type { Probe } from "./leak-probes.js";
import { CARD_RE, EMAIL_RE, IBAN_RE, PHONE_RE, ibanValid, luhn } from "./patterns.js";
import { MAX_PHRASE_WORDS, wordsOf, type Phrases, type TextSource } from "./leak-text.js";

export {
  keptTextProbes,
  patternSources,
  phraseSources,
  sampledProbes,
  type Probe,
} from "./leak-probes.js";
export { findPhrases } from "./leak-text.js";
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
): Promise<{ hashes: Map<string, boolean>; phrases: Phrases }> {
  const hashes = new Map<string, boolean>();
  const phrases: Phrases = new Map();
  for (const p of probes) {
    const pct = p.table.estimatedRows > 0 ? Math.min(100, (300 * n) / p.table.estimatedRows) : 100;
    // Distinctive values are also remembered as phrases: their words, to be found inside text.
    const { rows } = await db.query<{ h: string; d: boolean; p: string; w: number; f: string }>(
      `select h, d, hashtextextended(array_to_string(a, ' '), $1)::text as p, cardinality(a) as w,
              hashtextextended(a[1], $1)::text as f
         from (select distinct hashtextextended(v, $1)::text as h,
                      (length(v) >= 8 and v ~ '[[:space:]@0-9]') as d, ${wordsOf("v")} as a
                 from (select ${p.src} as v from ${p.table.qualified} t tablesample bernoulli (${pct.toFixed(4)})${elements(p, ",")}) s
                where length(v) >= 4 limit ${n}) x`,
      [seed],
    );
    for (const r of rows) {
      hashes.set(r.h, (hashes.get(r.h) ?? false) || r.d);
      if (r.d && r.w > 0 && r.w <= MAX_PHRASE_WORDS) phrases.set(r.p, { words: r.w, first: r.f });
    }
  }
  return { hashes, phrases };
}

/** `from` an array's elements (alias `u(e)`), for probes of `each` columns. */
const elements = (probe: Probe, join: string) =>
  probe.unnest ? `${join} unnest(${probe.unnest}) u(e)` : "";

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
    const match = `hashtextextended(${p.src}, $1) in (select h from drill_leak${distinctiveOnly ? " where distinctive" : ""})${notPool}`;
    const { rows } = await db.query<{ n: number }>(
      `select count(*)::int as n from ${p.table.qualified} t
        where ${p.unnest ? `exists (select 1${elements(p, " from")} where ${match})` : match}`,
      [seed],
    );
    if (rows[0]!.n > 0) hits[p.label] = rows[0]!.n;
  }
  await db.query("drop table drill_leak");
  return hits;
}

export type PatternCounts = Partial<Record<PatternName, number>>;

/** Rows per source (or per large object) with emails, phone numbers, Luhn-valid card numbers or valid IBANs. */
export async function findPatterns(
  db: Queryable,
  sources: TextSource[],
): Promise<Record<string, PatternCounts>> {
  const out: Record<string, PatternCounts> = {};
  const labelOf = (s: TextSource, key: string | null) =>
    key === null ? s.label : `large object ${key}`;
  const add = (label: string, name: PatternName, n: number) => {
    if (n > 0) (out[label] ??= {})[name] = ((out[label] ??= {})[name] ?? 0) + n;
  };
  for (const s of sources) {
    const { rows } = await db.query<{ key: string | null; emails: number; phones: number }>(
      `select key, count(*) filter (where v ~ $1)::int as emails, count(*) filter (where v ~ $2)::int as phones
         from (${s.sql}) s where v is not null group by key`,
      [EMAIL_RE, PHONE_RE],
    );
    for (const r of rows) {
      add(labelOf(s, r.key), "emails", r.emails);
      add(labelOf(s, r.key), "phones", r.phones);
    }
    for (const [name, re, valid] of [
      ["cards", CARD_RE, luhn],
      ["ibans", IBAN_RE, ibanValid],
    ] as const) {
      const found = await db.query<{ key: string | null; m: string }>(
        `select key, (regexp_matches(v, $1, 'g'))[1] as m from (${s.sql}) s where v ~ $2 limit 10000`,
        [`(${re})`, re],
      );
      for (const r of found.rows) if (valid(r.m)) add(labelOf(s, r.key), name, 1);
    }
  }
  return out;
}
