import type { ColumnRule, ElementRule } from "../definitions/scrubber.js";
import { quoteIdent } from "../db.js";
import { displayName, isTextual, type ColumnInfo, type TableInfo } from "./catalog.js";
import { withoutReplacements, type TextSource } from "./leak-text.js";
import type { TablePlan } from "./plan.js";
import { jsonPath } from "./sql-json.js";
/** A place values are read from: a column, a path inside a JSON column, or an array's elements. */
export interface Probe {
  table: TableInfo;
  column: ColumnInfo;
  /** SQL text expression over alias `t` (and `u.e`, an element, when `unnest` is set). */
  src: string;
  label: string;
  /** The array whose elements are the values (alias `u(e)`). */
  unnest?: string;
  /** Only looked for elsewhere: the column itself holds one value for every row (set, null). */
  elsewhereOnly?: boolean;
}

const sampledRule = (rule: ElementRule): boolean =>
  rule !== null &&
  rule !== "keep" &&
  ("fake" in rule || "hash" in rule || "mask" in rule || "template" in rule);

/**
 * Scrubbed values worth remembering: fakes, hashes, masks, templates; and the strings a rule
 * removes or sets (looked for in other columns only). Free text and dates are judged otherwise.
 */
export function sampledProbes(plans: TablePlan[]): Probe[] {
  const out: Probe[] = [];
  for (const { table, rules } of plans) {
    for (const column of table.columns) {
      const rule = rules.get(column.name);
      const ref = `t.${quoteIdent(column.name)}`;
      const label = `${displayName(table)}.${column.name}`;
      if (rule === undefined || rule === "keep") continue;
      if (rule === null || "set" in rule) {
        if (column.category === "S")
          out.push({ table, column, src: `${ref}::text`, label, elsewhereOnly: true });
      } else if ("json" in rule) {
        for (const [path, inner] of Object.entries(rule.json))
          if (sampledRule(inner))
            out.push({
              table,
              column,
              src: `(${ref}::jsonb #>> ${jsonPath(path)})`,
              label: `${label}.${path}`,
            });
      } else if ("each" in rule) {
        if (sampledRule(rule.each))
          out.push({ table, column, src: "u.e::text", label, unnest: ref });
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

const TEXT_TYPES = new Set(["json", "jsonb", "hstore", "xml"]);
const TEXT_ARRAYS = new Set(
  ["text", "varchar", "bpchar", "name", "citext", ...TEXT_TYPES].map((t) => `_${t}`),
);

/** SQL: a text-like column as text (strings, json, arrays of them, hstore, xml, tsvector), or undefined. */
export function textOf(column: ColumnInfo, ref: string): string | undefined {
  if (column.category === "S" || TEXT_TYPES.has(column.typeName)) return `${ref}::text`;
  if (column.category === "A" && TEXT_ARRAYS.has(column.typeName)) return `${ref}::text`;
  // Lexemes in the order they were written, so a name's words stand side by side again.
  if (column.typeName === "tsvector")
    return `(select string_agg(x.lexeme, ' ' order by x.positions[1], x.lexeme) from unnest(${ref}) x)`;
  return undefined;
}

/**
 * How the scan treats a text-like column: as kept, as transformed in parts, or not at all
 * (replaced whole, or generated: recomputed from scrubbed columns, its fakes' patterns are no leak).
 */
function scanAs(rule: ColumnRule | undefined, column: ColumnInfo): "kept" | "partly" | undefined {
  if (column.generated) return undefined;
  if (rule === undefined || rule === "keep") return "kept";
  if (rule === null || typeof rule !== "object") return undefined;
  if ("each" in rule) return rule.each === "keep" ? "kept" : "partly";
  return "text" in rule || "json" in rule ? "partly" : undefined;
}

const source = (
  table: TableInfo,
  column: ColumnInfo,
  v: string,
  transformed: boolean,
): TextSource => ({
  label: `${displayName(table)}.${column.name}`,
  sql: `select null::text as key, ${v} as v from ${table.qualified} t`,
  transformed,
});

/**
 * Where sampled originals are looked for inside values: every text-like column kept, unclassified
 * or transformed in parts (text, json, each); columns replaced whole are checked by `findSampled`.
 */
export function phraseSources(plans: TablePlan[]): TextSource[] {
  return plans.flatMap(({ table, rules }) =>
    table.columns.flatMap((c) => {
      const kind = scanAs(rules.get(c.name), c);
      const v = textOf(c, `t.${quoteIdent(c.name)}`);
      return kind && v ? [source(table, c, v, kind === "partly")] : [];
    }),
  );
}

/**
 * Where the pattern detectors look: kept and unclassified text-like columns, `text` columns and
 * `each` arrays of text, and the rest of JSON documents (paths a rule transformed hold fakes that
 * look like the real thing, and `rest: keep` means the user vouches for the rest).
 */
export function patternSources(plans: TablePlan[]): TextSource[] {
  return plans.flatMap(({ table, rules }) =>
    table.columns.flatMap((c) => {
      const rule = rules.get(c.name);
      const ref = `t.${quoteIdent(c.name)}`;
      let v = textOf(c, ref);
      if (!v || !scanAs(rule, c)) return [];
      if (rule && typeof rule === "object" && "json" in rule) {
        if (rule.rest === "keep") return [];
        const strip = Object.entries(rule.json)
          .filter(([, r]) => r !== "keep")
          .map(([path]) => ` #- ${jsonPath(path)}`)
          .join("");
        // `#-` refuses a scalar document, which has none of the paths: it is scanned whole.
        const doc = `${ref}::jsonb`;
        v = `(case when jsonb_typeof(${doc}) in ('object', 'array') then ${doc}${strip} else ${doc} end)::text`;
      }
      if (rule && typeof rule === "object" && "each" in rule) {
        const inner = rule.each;
        if (inner !== "keep" && !(inner !== null && typeof inner === "object" && "text" in inner))
          return [];
      }
      return [source(table, c, withoutReplacements(v), scanAs(rule, c) === "partly")];
    }),
  );
}
