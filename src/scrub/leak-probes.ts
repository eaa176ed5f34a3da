import type { ColumnRule, SimpleRule } from "../definitions/scrubber.js";
import { quoteIdent } from "../db.js";
import { displayName, isTextual, type ColumnInfo, type TableInfo } from "./catalog.js";
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
  // A generated column is recomputed from scrubbed columns: its fakes' patterns are no leak.
  return [...keptTextProbes(plans).filter((p) => !p.column.generated), ...partial];
}

export const jsonPath = (path: string) =>
  lit(
    `{${path
      .split(".")
      .map((s) => `"${s.replaceAll('"', '\\"')}"`)
      .join(",")}}`,
  );
