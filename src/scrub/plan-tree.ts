import type { ColumnRule } from "../definitions/scrubber.js";
import type { TableInfo } from "./catalog.js";

/* How tables that live in a tree (partitions, inheritance) take their rules: see planScrub. */

/** The partitioned table `key` (a partition's name) belongs to. */
export function partitionRoot(catalog: TableInfo[], key: string): TableInfo | undefined {
  const parts = key.split(".");
  return catalog.find((t) =>
    t.partitions?.some((p) =>
      parts.length === 2 ? p.schema === parts[0] && p.name === parts[1] : p.name === key,
    ),
  );
}

/**
 * Inheritance: a child's inherited columns follow its parents' rules (parents first, so a rule
 * under the child's own name, for its extra columns or to override, wins). Each table of the
 * tree is rewritten on its own rows (`only`).
 */
export function inheritedRules(
  catalog: TableInfo[],
  byTable: Map<TableInfo, Map<string, ColumnRule>>,
  table: TableInfo,
  seen = new Set<TableInfo>(),
): Map<string, ColumnRule> {
  const rules = new Map<string, ColumnRule>();
  seen.add(table);
  for (const q of table.inheritsFrom ?? []) {
    const parent = catalog.find((t) => t.qualified === q);
    if (!parent || seen.has(parent)) continue;
    for (const [column, rule] of inheritedRules(catalog, byTable, parent, seen))
      if (table.columns.some((c) => c.name === column && c.inherited)) rules.set(column, rule);
  }
  for (const [column, rule] of byTable.get(table) ?? []) rules.set(column, rule);
  return rules;
}
