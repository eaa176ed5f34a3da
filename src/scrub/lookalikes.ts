import type { PatternName, Scrubber } from "../definitions/scrubber.js";
import type { Queryable } from "../db.js";
import { displayName, type ColumnInfo } from "./catalog.js";
import { loadFirstNames } from "./guess.js";
import type { TablePlan } from "./plan.js";
import { sampleColumns } from "./sample.js";
import { suggestByValues } from "./suggest.js";

/** Rows sampled per table with kept columns: enough to judge, bounded. */
const SAMPLE = 200;

/**
 * What a value-based guess can tell that the pattern detectors cannot: a column's values as a
 * whole look like people's names, IP addresses, dates of birth or street addresses. Emails,
 * phones, cards and IBANs are the detectors' and are not repeated here.
 */
const KINDS: [RegExp, PatternName, string][] = [
  [/person\./, "names", "people's names"],
  [/internet\.ip/, "ips", "IP addresses"],
  [/shiftDate/, "birthDates", "dates of birth"],
  [/location\.streetAddress/, "addresses", "street addresses"],
];

export interface Lookalike {
  label: string;
  kind: PatternName;
  what: string;
  sampled: number;
}

/**
 * Kept columns (and unclassified ones under `unknownColumns: warn`) whose sampled values look
 * personal: a rule weakened to `keep`, or a column nobody knew held people. The values are read
 * here to be judged, never stored or shown. Generated columns are recomputed from scrubbed ones.
 */
export async function keptLookalikes(
  db: Queryable,
  plans: TablePlan[],
  scrubber: Scrubber,
): Promise<{ found: Lookalike[]; allowed: Lookalike[] }> {
  const found: Lookalike[] = [];
  const allowed: Lookalike[] = [];
  let firstNames: ReadonlySet<string> | undefined;
  for (const { table, rules } of plans) {
    const kept = table.columns.filter(
      (c) => !c.generated && (rules.get(c.name) ?? "keep") === "keep" && judged(c),
    );
    if (kept.length === 0) continue;
    firstNames ??= await loadFirstNames();
    const samples = await sampleColumns(db, table, kept, SAMPLE);
    for (const c of kept) {
      const values = samples.get(c.name)?.values ?? [];
      // Values only: a kept column named `name` full of song titles is no person's.
      const g = suggestByValues(c, values, { firstNames });
      const kind = g?.pii ? KINDS.find(([re]) => re.test(g.rule)) : undefined;
      if (!kind) continue;
      const label = `${displayName(table)}.${c.name}`;
      const hit = { label, kind: kind[1], what: kind[2], sampled: values.length };
      (scrubber.allowPatterns?.[label]?.includes(kind[1]) ? allowed : found).push(hit);
    }
  }
  return { found, allowed };
}

/** Scalar columns a whole-value guess can judge: text, dates, network addresses. */
const judged = (column: ColumnInfo) =>
  !column.type.endsWith("[]") &&
  (column.category === "S" || column.category === "D" || column.category === "I");

export const lookalikeFinding = (lookalike: Lookalike): string =>
  `leak: ${lookalike.label} is kept but its values look like ${lookalike.what} (judged on ${lookalike.sampled} sampled values): classify the column, or allow them with allowPatterns: [${lookalike.kind}]`;
