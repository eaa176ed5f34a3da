import type { Queryable } from "../db.js";
import { REPLACEMENTS } from "./patterns.js";
import { lit } from "./sql.js";

/**
 * Sampled originals looked for INSIDE longer values ("Customer Ann Smith asked", a json string,
 * a text[] element, a large object), never leaving the server: text is cut into words the same
 * way on both sides, every window of 1..N words of a scanned value is hashed with the run's
 * seed, and the hashes are compared with the sampled originals' phrase hashes (a temp table).
 */

/** Word separators: anything but letters, digits and the characters of emails and phone numbers; a dot only inside a word. */
const SEPARATORS = "[^[:alnum:]@._+-]+|[.]+(?![[:alnum:]])";

/** SQL: the words of a text expression, lower-cased (json, arrays, hstore and xml punctuation falls away). */
export const wordsOf = (expr: string): string =>
  `regexp_split_to_array(btrim(regexp_replace(lower(${expr}), ${lit(SEPARATORS)}, ' ', 'g')), ' +')`;

/** SQL: what the `text` transformer writes must not count as found. */
export const withoutReplacements = (src: string): string =>
  Object.values(REPLACEMENTS).reduce((e, r) => `replace(${e}, ${lit(r)}, '')`, src);

/** Longer originals are still looked for as whole values, only not inside other text. */
export const MAX_PHRASE_WORDS = 8;

/** A sampled original's phrase: its words' hash, and how many words it has. */
export type Phrases = Map<string, number>;

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
  // Phrases a fake pool holds: a transformed column may hold them by chance, not by leaking.
  for (const pool of pools)
    await db.query(
      `update drill_phrase set pooled = true
        where h in (select hashtextextended(array_to_string(${wordsOf("x.v")}, ' '), $1) from ${pool} x)`,
      [seed],
    );
  await db.query("analyze drill_phrase");
  const sizes = [...new Set(phrases.values())].sort((a, b) => a - b);
  for (const s of sources) {
    const { rows } = await db.query<{ key: string | null; n: number }>(
      `select key, count(*)::int as n from (${s.sql}) s
        where v is not null and length(v) >= 8 and exists (
          select 1 from (select ${wordsOf("s.v")} as a) w
           cross join generate_series(1, cardinality(w.a)) i cross join unnest($2::int[]) z(size)
           where i + z.size - 1 <= cardinality(w.a)
             and hashtextextended(array_to_string(w.a[i:i + z.size - 1], ' '), $1)
                 in (select h from drill_phrase${s.transformed ? " where not pooled" : ""}))
        group by key`,
      [seed, sizes],
    );
    for (const r of rows) {
      const label = r.key === null ? s.label : `large object ${r.key}`;
      hits[label] = (hits[label] ?? 0) + r.n;
    }
  }
  await db.query("drop table drill_phrase");
  return hits;
}
