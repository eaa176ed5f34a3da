import type { ColumnRule, ElementRule, Scrubber } from "../definitions/scrubber.js";
import { quoteIdent, type Queryable } from "../db.js";
import type { Keys } from "./keys.js";
import type { TablePlan } from "./plan.js";
import { lit } from "./sql-literal.js";
import type { CompiledTable, CompileEnv, PoolSpec } from "./sql.js";

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

const rulesOf = (scrubber: Scrubber) =>
  Object.values(scrubber.tables).flatMap((cols) =>
    Object.values(cols).flatMap((r) => [...valueRules(r)]),
  );

/** A `text` rule replacing known names (named, or all kinds by default). */
const looksForNames = (rule: ElementRule): boolean =>
  rule !== null &&
  typeof rule === "object" &&
  "text" in rule &&
  (rule.text.names === true || Object.values(rule.text).every((v) => v === undefined));

const isNameColumn = (rule: ColumnRule | undefined): rule is { fake: string } =>
  rule !== null &&
  typeof rule === "object" &&
  rule !== undefined &&
  "fake" in rule &&
  NAME_FAKES.has(rule.fake);

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
  const textNames = rules.some(looksForNames);
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
 * parallel workers of the rewrite: the words are walked left to right, the longest known name
 * starting at each word replaced (whole words, case as written), the fake never read again (a
 * fake that happens to be another known name stays). No regular expression per name: compiling
 * one per row cost 0.4 ms. `names_gate` (inlined by the planner) skips text with no capital
 * letter when every known name starts with one.
 */
export async function buildNameLookup(
  db: Queryable,
  env: CompileEnv,
  plans: TablePlan[],
  compiled: Map<TablePlan, CompiledTable>,
  scanned: Promise<NameScan | undefined>,
): Promise<void> {
  const scan = await scanned;
  if (!env.names || !scan) return;
  const ws = env.names.gate.slice(0, env.names.gate.lastIndexOf("."));
  const seedName = env.keys.setting("names", env.keys.seed("names"));
  await env.keys.apply(db);
  const seed = `current_setting(${lit(seedName)})::bigint`;
  const key = (e: string) => `btrim(regexp_replace(${e}, '[^[:alnum:]]+', ' ', 'g'))`;
  const { capitals, lowerFirst } = scan;
  const selects: string[] = [];
  plans.forEach((p) => {
    if (!capitals && !lowerFirst) return;
    for (const [column, rule] of p.rules) {
      const expr = compiled.get(p)?.expressions?.get(column);
      if (!isNameColumn(rule) || !expr) continue;
      const col = quoteIdent(column);
      selects.push(
        `select ${key(`t.${col}::text`)} as k, (${expr})::text as fake, ${selects.length} as prio
           from (select distinct ${col} from ${p.table.qualified}
                  where ${col} is not null${capitals ? "" : ` and ${col}::text !~ '^[[:upper:]]'`}) t`,
      );
    }
  });
  await db.query(
    `create unlogged table ${ws}.name_lookup with (autovacuum_enabled = false) as
     select distinct on (h) hashtextextended(k, ${seed}) as h, fake,
            array_length(string_to_array(k, ' '), 1) as words, k ~ '^[[:upper:]]' as upper
       from (${selects.length > 0 ? selects.join(" union all ") : "select ''::text as k, ''::text as fake, 0 as prio"}) s
      where k <> '' order by h, prio, fake`,
  );
  await db.query(`alter table ${ws}.name_lookup add primary key (h)`);
  // Keyed hashes and fakes only: its statistics hold no original.
  await db.query(`analyze ${ws}.name_lookup`);
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
       set plan_cache_mode = force_generic_plan
       as $f$
     declare
       -- t is seps[1] words[1] seps[2] … words[n] seps[n + 1]: words are runs of letters and digits.
       words text[] := array_remove(regexp_split_to_array(t, '[^[:alnum:]]+'), '');
       seps text[] := regexp_split_to_array(t, '[[:alnum:]]+');
       n int := coalesce(array_length(words, 1), 0);
       hits jsonb;
       f text;
       res text;
       pos int := 1;
       len int;
     begin
       -- One index probe per window (lateral: never a scan of the whole lookup).
       select jsonb_object_agg(x.win, y.fake) into hits
         from (select array_to_string(words[i:i + w - 1], ' ') as win
                 from generate_series(1, n) i, generate_series(1, ${Math.max(words, 1)}) w
                where i + w - 1 <= n${upper ? " and words[i] ~ '^[[:upper:]]'" : ""}) x
        cross join lateral (select l.fake from ${ws}.name_lookup l
                             where l.h = hashtextextended(x.win, ${seed})) y;
       if hits is null then return t; end if;
       -- Left to right, the longest name starting at each word first.
       res := seps[1];
       while pos <= n loop
         f := null;
         len := least(${Math.max(words, 1)}, n - pos + 1);
         while len > 0 loop
           f := hits ->> array_to_string(words[pos:pos + len - 1], ' ');
           exit when f is not null;
           len := len - 1;
         end loop;
         if f is null then
           res := res || words[pos] || seps[pos + 1];
           pos := pos + 1;
         else
           res := res || f || seps[pos + len];
           pos := pos + len;
         end if;
       end loop;
       return res;
     end $f$`,
  );
}

export interface NameScan {
  /** Some text a names-replacing rule reads holds a capital letter. */
  capitals: boolean;
  /** Some person-name original starts with something else than a capital (true, unasked, with capitals). */
  lowerFirst: boolean;
}

/**
 * Text with no capital letter can only hold names that start without one: when no text the rules
 * read has a capital, only such names are looked up, and none when there are none (two scans,
 * each stopping at the first row found). On connections of their own, started before the pools
 * are drawn: the server scans while this process draws and loads the pools on the main one
 * (sharing that connection, the pools' loads queued behind the scans: 1M rows, 0.3 s lost).
 */
export function scanForNames(
  open: <T>(fn: (db: Queryable) => Promise<T>, signal?: AbortSignal) => Promise<T>,
  env: CompileEnv,
  plans: TablePlan[],
): Promise<NameScan | undefined> {
  if (!env.names) return Promise.resolve(undefined);
  const any = async (db: Queryable, pick: (r: ColumnRule) => boolean, test: string) => {
    for (const p of plans) {
      const cols = [...p.rules]
        .filter(([, r]) => pick(r))
        .map(([c]) => `t.${quoteIdent(c)}::text ${test}`);
      if (cols.length === 0) continue;
      // A top-level limit (not exists): the scan may run in parallel workers.
      const { rows } = await db.query(
        `select 1 from ${p.table.qualified} t where ${cols.join(" or ")} limit 1`,
      );
      if (rows.length > 0) return true;
    }
    return false;
  };
  // Both scans at once, each on its own connection: when text has capitals (the usual case, found
  // in the first rows) the name scan is not needed and is ended; the server notices the closed
  // connection within client_connection_check_interval, so it does not run on under the rewrite.
  const unneeded = new AbortController();
  const lowerFirst = open(async (db) => {
    await db.query("set client_connection_check_interval = '50ms'");
    return any(db, isNameColumn, "!~ '^[[:upper:]]'");
  }, unneeded.signal);
  lowerFirst.catch(() => {});
  const scan = open((db) =>
    any(db, (r) => [...valueRules(r)].some(looksForNames), "~ '[[:upper:]]'"),
  ).then(async (capitals) => {
    if (!capitals) return { capitals, lowerFirst: await lowerFirst };
    unneeded.abort();
    return { capitals, lowerFirst: true };
  });
  // Awaited by buildNameLookup; this keeps a failure while the pools load from going unhandled.
  scan.catch(() => {});
  return scan;
}
