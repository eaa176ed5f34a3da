import { formatPath, formatProblem, type PathSegment } from "../definitions/problems.js";
import type { ColumnRule, ElementRule, Scrubber, SimpleRule } from "../definitions/scrubber.js";
import { problemAt, type YamlSource } from "../definitions/yaml.js";
import { inputError } from "../errors.js";
import { displayName, type ColumnInfo, type TableInfo } from "./catalog.js";
import { inheritedRules, partitionRoot } from "./plan-tree.js";
import { largeObjectRuleProblem } from "./large-objects.js";
import { suggestByName } from "./suggest.js";
import { elementOf, fakeTypeProblem, type ValueType } from "./value-types.js";

export interface TablePlan {
  table: TableInfo;
  /** Column → rule, for every column the scrubber classifies. */
  rules: Map<string, ColumnRule>;
  /** False when every column is kept: nothing to rewrite. */
  rewrite: boolean;
}

export interface Unclassified {
  table: string;
  column: string;
  suggestion: string;
}

/** The scrubber's file, and where in it each rule was written (when it came from a file). */
export interface ScrubberSource {
  /** Shown in messages: `scrubbers/shop.yaml`. */
  file: string;
  locate?: YamlSource["locate"];
}

export interface ScrubPlan {
  tables: TablePlan[];
  unclassified: Unclassified[];
}

/**
 * Match the scrubber's rules to a schema (the restored copy's, or production's before restoring).
 * Rules naming what does not exist, or that cannot apply to a column's type, are the user's
 * mistake (exit 2), one line each at the rule's file:line:col, all at once, before anything is
 * rewritten. Columns nobody classified are returned for the caller to judge.
 */
export function planScrub(
  catalog: TableInfo[],
  scrubber: Scrubber,
  source: ScrubberSource,
  against = "the restored database",
): ScrubPlan {
  const { file } = source;
  const lines: string[] = [];
  const problem = (path: PathSegment[], message: string) =>
    lines.push(
      source.locate
        ? formatProblem(problemAt({ file, locate: source.locate }, path, message, { key: true }))
        : formatProblem({ file, path: formatPath(path), message }),
    );
  const byTable = new Map<TableInfo, Map<string, ColumnRule>>();
  for (const [tableKey, columns] of Object.entries(scrubber.tables)) {
    const table = findTable(catalog, tableKey);
    const root = table ? undefined : partitionRoot(catalog, tableKey);
    if (root) {
      problem(
        ["tables", tableKey],
        `"${tableKey}" is a partition of ${displayName(root)}: write its rules once on ${displayName(root)} (they apply to every partition)`,
      );
      continue;
    }
    if (!table) {
      problem(
        ["tables", tableKey],
        `table "${tableKey}" does not exist in ${against} (tables: ${catalog.map(displayName).join(", ") || "none"})`,
      );
      continue;
    }
    const rules = byTable.get(table) ?? new Map<string, ColumnRule>();
    byTable.set(table, rules);
    for (const [column, rule] of Object.entries(columns)) {
      const info = table.columns.find((c) => c.name === column);
      const where = ["tables", tableKey, column];
      if (!info) {
        problem(
          where,
          `column "${column}" does not exist in ${displayName(table)} in ${against} (columns: ${table.columns.map((c) => c.name).join(", ")})`,
        );
        continue;
      }
      const wrong =
        ruleProblem(rule, info, table, columns) ?? largeObjectRuleProblem(rule, info, scrubber);
      if (wrong) problem(where, wrong);
      rules.set(column, rule);
    }
  }
  if (lines.length > 0) {
    throw inputError(
      "SCRUBBER_MISMATCH",
      lines.join("\n"),
      `fix ${file} to match the database (or run \`drill scrubber init\` for a fresh draft)`,
    );
  }

  const unclassified: Unclassified[] = [];
  const tables: TablePlan[] = catalog.map((table) => {
    const rules = inheritedRules(catalog, byTable, table);
    for (const c of table.columns) {
      if (!rules.has(c.name) && !c.generated)
        unclassified.push({
          table: displayName(table),
          column: c.name,
          suggestion: suggestByName(c).rule,
        });
    }
    const rewrite = [...rules.values()].some((r) => r !== "keep");
    return { table, rules, rewrite };
  });
  const unsupported = tables.filter((t) => t.rewrite && t.table.unsupported);
  if (unsupported.length > 0) {
    throw inputError(
      "SCRUB_UNSUPPORTED_TABLE",
      unsupported.map((t) => `${displayName(t.table)}: ${t.table.unsupported}`).join("; "),
    );
  }
  return { tables, unclassified };
}

function findTable(catalog: TableInfo[], key: string): TableInfo | undefined {
  const parts = key.split(".");
  if (parts.length === 2) return catalog.find((t) => t.schema === parts[0] && t.name === parts[1]);
  const inPublic = catalog.find((t) => t.schema === "public" && t.name === key);
  if (inPublic) return inPublic;
  const anywhere = catalog.filter((t) => t.name === key);
  return anywhere.length === 1 ? anywhere[0] : undefined;
}

/** Why `rule` cannot apply to this column, or undefined. */
function ruleProblem(
  rule: ColumnRule,
  column: ColumnInfo,
  table: TableInfo,
  siblings: Record<string, ColumnRule>,
): string | undefined {
  if (column.generated)
    return `generated column: PostgreSQL recomputes it from the scrubbed columns, it takes no rule (remove it)`;
  if (rule === null && column.notNull)
    return `column is NOT NULL: it cannot be set to null (use set, fake or hash)`;
  if (rule === null || rule === "keep") return undefined;
  if ("json" in rule) {
    if (column.typeName !== "json" && column.typeName !== "jsonb")
      return `json rules need a json or jsonb column (it is ${column.type})`;
    for (const [path, inner] of Object.entries(rule.json)) {
      const p =
        inner !== null && typeof inner === "object" && "template" in inner
          ? templateProblem(inner.template, table, siblings)
          : undefined;
      if (p) return `${path}: ${p}`;
    }
    return undefined;
  }
  if ("each" in rule) {
    const element = elementOf(column);
    if (!element) return `each needs an array column (it is ${column.type})`;
    const p = valueProblem(rule.each, element, table, siblings);
    return p && `each: ${p}`;
  }
  if ("set" in rule && rule.set === null && column.notNull)
    return `column is NOT NULL: it cannot be set to null`;
  return valueProblem(rule, column, table, siblings);
}

/** Why a rule cannot apply to a value of type `t` (a column's, or an array element's). */
function valueProblem(
  rule: ElementRule,
  t: ValueType,
  table: TableInfo,
  siblings: Record<string, ColumnRule>,
): string | undefined {
  if (rule === null || rule === "keep") return undefined;
  if ("shiftDate" in rule && t.category !== "D")
    return `shiftDate needs a date or timestamp column (it is ${t.type})`;
  if ("template" in rule) return templateProblem(rule.template, table, siblings);
  const textual = t.category === "S";
  if (("mask" in rule || "text" in rule) && !textual)
    return `${"mask" in rule ? "mask" : "text"} needs a text column (it is ${t.type})`;
  if ("unique" in rule && rule.unique && !textual)
    return `unique needs a text column (it is ${t.type})`;
  if ("fake" in rule) return fakeTypeProblem(rule.fake, t);
  return undefined;
}

/** `{{column}}` may only name columns that are kept: anything else would copy personal data. */
function templateProblem(
  template: string,
  table: TableInfo,
  siblings: Record<string, ColumnRule>,
): string | undefined {
  for (const [, name] of template.matchAll(/\{\{([^}]+)\}\}/g)) {
    if (name === "hash") continue;
    if (!table.columns.some((c) => c.name === name))
      return `template placeholder {{${name}}} names no column of ${displayName(table)}`;
    if (siblings[name!] !== "keep")
      return `template placeholder {{${name}}} must name a kept column (it would copy personal data)`;
  }
  return undefined;
}

export const isSimple = (rule: ColumnRule): rule is SimpleRule =>
  !(rule !== null && typeof rule === "object" && "json" in rule);
