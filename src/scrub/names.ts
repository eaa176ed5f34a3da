import type { ColumnRule, ElementRule, Scrubber } from "../definitions/scrubber.js";
import { quoteIdent, type Queryable } from "../db.js";
import type { Keys } from "./keys.js";
import type { TablePlan } from "./plan.js";
import { lit, type CompiledTable, type CompileEnv, type PoolSpec } from "./sql.js";

/** Fakes that stand for a person's name: their columns' originals are the known names. */
export const NAME_FAKES: ReadonlySet<string> = new Set([
  "person.fullName",
  "person.firstName",
  "person.lastName",
  "person.middleName",
]);

/** Longest name looked for, in words: longer originals are looked for by their first words. */
const MAX_WORDS = 5;

/** Every value rule of a column rule: itself, its json paths, its array element. */
function* valueRules(rule: ColumnRule): Generator<ElementRule> {
  if (rule !== null && typeof rule === "object" && "json" in rule) yield* Object.values(rule.json);
  else if (rule !== null && typeof rule === "object" && "each" in rule) yield rule.each;
  else yield rule;
}

const rulesOf = (s: Scrubber) =>
  Object.values(s.tables).flatMap((cols) => Object.values(cols).flatMap((r) => [...valueRules(r)]));

const isNameColumn = (r: ColumnRule | undefined): r is { fake: string } =>
  r !== null && typeof r === "object" && r !== undefined && "fake" in r && NAME_FAKES.has(r.fake);

/**
 * What rules compile against in one run: keys, pools, the fakes some rule marks unique (every
 * rule using them gets the unique form, so joins on natural keys survive), and, when a person-name
 * column and a `text` rule looking for names both exist, the run's name functions (built by
 * `buildNameLookup` before any table is rewritten).
 */
export function compileEnv(
  scrubber: Scrubber,
  workSchema: string,
  keys: Keys,
  pool: (method: string, locale: string) => PoolSpec,
): CompileEnv {
  const locale = scrubber.locale ?? "en";
  const rules = rulesOf(scrubber);
  const uniqueFakes = new Set<string>();
  for (const r of rules)
    if (r !== null && typeof r === "object" && "fake" in r && r.unique)
      uniqueFakes.add(`${r.fake}:${r.locale ?? locale}`);
  const textNames = rules.some(
    (r) =>
      r !== null &&
      typeof r === "object" &&
      "text" in r &&
      (r.text.names === true || Object.values(r.text).every((v) => v === undefined)),
  );
  const nameColumns = Object.values(scrubber.tables).some((cols) =>
    Object.values(cols).some(isNameColumn),
  );
  const names =
    textNames && nameColumns
      ? { gate: `${workSchema}.names_gate`, replace: `${workSchema}.names_replace` }
      : undefined;
  return { keys, locale, pool, uniqueFakes, ...(names ? { names } : {}) };
}

/**
 * The known names of a run: every distinct original of every person-name column, with the fake
 * its column gives it (the column's own compiled expression, so text and column agree), built in
 * the working schema before any table is rewritten. The lookup holds each name's keyed hash,
 * never the name: a name is found in text by hashing the text's 1-5 word windows. Words are runs
 * of letters and digits, so "O'Brien" is the words O Brien, found as O'Brien (or O Brien).
 *
 * Text is rewritten by `names_replace`, one set-based lookup per value, run by PostgreSQL in the
 * parallel workers of the rewrite: longest name first, whole words, case as written; each name
 * is swapped for a placeholder first so a fake is never taken for another name. `names_gate`
 * (inlined by the planner) skips text with no capital letter when every known name starts with one.
 */
export async function buildNameLookup(
  db: Queryable,
  env: CompileEnv,
  plans: TablePlan[],
  compiled: Map<TablePlan, CompiledTable>,
): Promise<void> {
  if (!env.names) return;
  const ws = env.names.gate.slice(0, env.names.gate.lastIndexOf("."));
  const seedName = env.keys.setting("names", env.keys.seed("names"));
  await env.keys.apply(db);
  const seed = `current_setting(${lit(seedName)})::bigint`;
  const key = (e: string) => `btrim(regexp_replace(${e}, '[^[:alnum:]]+', ' ', 'g'))`;
  const selects: string[] = [];
  plans.forEach((p) => {
    for (const [column, rule] of p.rules) {
      const expr = compiled.get(p)?.expressions?.get(column);
      if (!isNameColumn(rule) || !expr) continue;
      const col = quoteIdent(column);
      selects.push(
        `select ${key(`t.${col}::text`)} as k, (${expr})::text as fake, ${selects.length} as prio
           from (select distinct ${col} from ${p.table.qualified} where ${col} is not null) t`,
      );
    }
  });
  // Never analyzed (statistics would keep sample values): a hash key needs no statistics.
  await db.query(
    `create unlogged table ${ws}.name_lookup with (autovacuum_enabled = false) as
     select distinct on (h) hashtextextended(k, ${seed}) as h, fake,
            array_length(string_to_array(k, ' '), 1) as words, k ~ '^[[:upper:]]' as upper
       from (${selects.length > 0 ? selects.join(" union all ") : "select ''::text as k, ''::text as fake, 0 as prio"}) s
      where k <> '' order by h, prio, fake`,
  );
  await db.query(`alter table ${ws}.name_lookup add primary key (h)`);
  const { rows } = await db.query<{ n: number; upper: boolean; words: number }>(
    `select count(*)::int as n, coalesce(bool_and(upper), true) as upper,
            least(coalesce(max(words), 0), ${MAX_WORDS})::int as words from ${ws}.name_lookup`,
  );
  const { n, upper, words } = rows[0]!;
  const gate = n === 0 ? "false" : upper ? "$1 ~ '[[:upper:]]'" : "$1 is not null";
  await db.query(
    `create function ${env.names.gate}(text) returns boolean language sql immutable parallel safe
       as $$ select ${gate} $$`,
  );
  await db.query(
    `create function ${env.names.replace}(t text) returns text language plpgsql stable parallel safe strict
       as $f$
     declare
       words text[] := array(select m[1] from regexp_matches(t, '([[:alnum:]]+)', 'g') m);
       n int := coalesce(array_length(words, 1), 0);
       hit record;
       res text := t;
       fakes text[] := '{}';
       k int := 0;
     begin
       for hit in
         select s.win, l.fake
           from (select distinct array_to_string(words[i:i + w - 1], ' ') as win, w
                   from generate_series(1, n) i, generate_series(1, ${Math.max(words, 1)}) w
                  where i + w - 1 <= n${upper ? " and words[i] ~ '^[[:upper:]]'" : ""}) s
           join ${ws}.name_lookup l on l.h = hashtextextended(s.win, ${seed})
          order by s.w desc, length(s.win) desc, s.win
       loop
         k := k + 1;
         res := regexp_replace(res, '(?<![[:alnum:]])' || replace(hit.win, ' ', '[^[:alnum:]]+')
                || '(?![[:alnum:]])', chr(1) || k || chr(2), 'g');
         fakes := fakes || hit.fake;
       end loop;
       for i in 1 .. k loop
         res := replace(res, chr(1) || i || chr(2), fakes[i]);
       end loop;
       return res;
     end $f$`,
  );
}
