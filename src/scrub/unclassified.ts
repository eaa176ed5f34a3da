import type { Queryable } from "../db.js";
import { displayName, type TableInfo } from "./catalog.js";
import { columnLine, guessColumn, largeObjectsLine, loadFirstNames, yamlKey } from "./guess.js";
import type { Unclassified } from "./plan.js";
import { countLargeObjects, sampleColumns, uniqueColumns } from "./sample.js";
import type { Suggestion } from "./suggest.js";

/** Rows sampled per table with unclassified columns (server-side, bounded). */
const SAMPLE = 200;

export interface UnclassifiedGuesses {
  /** The same columns, each with the value-based suggestion. */
  unclassified: Unclassified[];
  /** Ready to paste under `tables:`: one entry per table, each rule with why as a comment. */
  yaml: string;
}

/**
 * Guess rules for the columns a scrubber leaves unclassified from the restored copy itself: their
 * names, types and a bounded sample of their values (read here, never printed or stored), the
 * same guesses `drill scrubber init` writes.
 */
export async function guessUnclassified(
  db: Queryable,
  catalog: TableInfo[],
  unclassified: Unclassified[],
  file: string,
): Promise<UnclassifiedGuesses> {
  const firstNames = await loadFirstNames();
  const unique = await uniqueColumns(db);
  const largeObjects = await countLargeObjects(db);
  const guessed = new Map<Unclassified, Suggestion>();
  const lines: string[] = [];
  const oids: string[] = [];
  for (const table of catalog) {
    const name = displayName(table);
    const mine = unclassified.filter((u) => u.table === name);
    if (mine.length === 0) continue;
    const columns = table.columns.filter((c) => mine.some((u) => u.column === c.name));
    const sample = table.unsupported ? undefined : await sampleColumns(db, table, columns, SAMPLE);
    lines.push(`  ${yamlKey(name)}:`);
    for (const u of mine) {
      const c = columns.find((x) => x.name === u.column);
      if (!c) continue;
      const ctx = { firstNames, unique: unique.has(`${table.oid}:${c.name}`), largeObjects };
      const g = guessColumn(c, sample?.get(c.name), ctx);
      if (c.typeName === "oid" && largeObjects > 0) oids.push(`${name}.${c.name}`);
      guessed.set(u, g);
      lines.push(columnLine(u.column, g));
    }
  }
  const head = [
    `# ${unclassified.length} unclassified column(s): paste under \`tables:\` in ${file} (merge a table already there).`,
    "# Guessed from names, types and sampled values of the restored copy (values never shown): review each rule.",
    ...(oids.length > 0
      ? [`# also set, at the top of the file: ${largeObjectsLine(largeObjects, oids)}`]
      : []),
  ];
  return {
    unclassified: unclassified.map((u) => {
      const g = guessed.get(u);
      return g ? { ...u, suggestion: g.rule } : u;
    }),
    yaml: `${[...head, ...lines].join("\n")}\n`,
  };
}
