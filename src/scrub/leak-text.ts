import type { Queryable } from "../db.js";
import { REPLACEMENTS } from "./patterns.js";
import { lit } from "./sql-literal.js";

/**
 * Sampled originals looked for INSIDE longer values ("Customer Ann Smith asked", a json string,
 * a text[] element, a large object), never leaving the server: text is cut into words the same
 * way on both sides, every window of 1..N words of a scanned value is hashed with the run's
 * seed, and the hashes are compared with the sampled originals' phrase hashes (a temp table).
 */

/**
 * Word separators: anything but letters, digits, @, _, + and -. Dots separate too (an email is
 * a few words, "St." at a sentence's end is "st"): one plain character class is the fastest cut.
 */
const SEPARATORS = "[^[:alnum:]@_+-]+";

/** SQL: the words of a text expression, lower-cased (json, arrays, hstore and xml punctuation falls away). */
export const wordsOf = (expr: string): string =>
  `array_remove(regexp_split_to_array(lower(${expr}), ${lit(SEPARATORS)}), '')`;

/** SQL: what the `text` transformer writes must not count as found. */
export const withoutReplacements = (src: string): string =>
  Object.values(REPLACEMENTS).reduce((e, r) => `replace(${e}, ${lit(r)}, '')`, src);

/** Longer originals are still looked for as whole values, only not inside other text. */
export const MAX_PHRASE_WORDS = 8;

/** Sampled originals as phrases: the hash of their words → how many words, and the first word's hash. */
export type Phrases = Map<string, { words: number; first: string }>;

/** A place scanned as text: SQL returning `key` (null, or a large object's oid) and `v`. */
export interface TextSource {
  label: string;
  sql: string;
  /** Transformed values: a value faker can draw (a fake name in place of a real one) is no leak. */
  transformed: boolean;
}

/** Labels per source (or `large object N` per key) → rows holding a window equal to a sampled original. */
export async function findPhrases(
  db: Queryable,
  sources: TextSource[],
  phrases: Phrases,
  pools: string[],
  seed: string,
): Promise<Record<string, number>> {
  const hits: Record<string, number> = {};
  if (phrases.size === 0 || sources.length === 0) return hits;
  await db.query(
    "create temp table if not exists drill_phrase (h bigint primary key, pooled boolean not null default false)",
  );
  await db.query("truncate drill_phrase");
  await db.query("insert into drill_phrase (h) select unnest($1::bigint[])", [[...phrases.keys()]]);
  // Windows are only cut where a phrase's first word stands: most words start none.
  await db.query("create temp table if not exists drill_first (h bigint primary key)");
  await db.query("truncate drill_first");
  await db.query("insert into drill_first select distinct unnest($1::bigint[])", [
    [...phrases.values()].map((p) => p.first),
  ]);
  // Phrases a fake pool holds: a transformed column may hold them by chance, not by leaking.
  for (const pool of pools)
    await db.query(
      `update drill_phrase set pooled = true
        where h in (select hashtextextended(array_to_string(${wordsOf("x.v")}, ' '), $1) from ${pool} x)`,
      [seed],
    );
  await db.query("analyze drill_phrase");
  await db.query("analyze drill_first");
  const sizes = [...new Set([...phrases.values()].map((p) => p.words))].sort((a, b) => a - b);
  for (const s of sources) {
    const { rows } = await db.query<{ key: string | null; n: number }>(
      // offset 0: the words are cut once per row, and windows only where a first word stands.
      `select key, count(*)::int as n
         from (select key, ${wordsOf("s.v")} as a from (${s.sql}) s
                where v is not null and length(v) >= 8 offset 0) w
        where exists (
          select 1
            from (select i from generate_series(1, cardinality(w.a)) i
                   where hashtextextended(w.a[i], $1) in (select h from drill_first) offset 0) f
           cross join unnest($2::int[]) z(size)
           where f.i + z.size - 1 <= cardinality(w.a)
             and hashtextextended(array_to_string(w.a[f.i:f.i + z.size - 1], ' '), $1)
                 in (select h from drill_phrase${s.transformed ? " where not pooled" : ""}))
        group by key`,
      [seed, sizes],
    );
    for (const r of rows) {
      const label = r.key === null ? s.label : `large object ${r.key}`;
      hits[label] = (hits[label] ?? 0) + r.n;
    }
  }
  await db.query("drop table drill_phrase, drill_first");
  return hits;
}
