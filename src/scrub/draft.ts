import { withSession } from "../db.js";
import type { ConnectionInfo } from "../types.js";
import { displayName, readCatalog, type TableInfo } from "./catalog.js";
import { columnLine, guessColumn, largeObjectsLine, loadFirstNames, yamlKey } from "./guess.js";
import { countLargeObjects, sampleColumns, uniqueColumns } from "./sample.js";

export interface DraftOptions {
  /** Values sampled per column. */
  sample: number;
  signal: AbortSignal;
  /** First line of the file: where the draft came from. */
  header: string;
}

export interface DraftColumn {
  table: string;
  column: string;
  rule: string;
  why: string;
  pii: boolean;
}

export interface Draft {
  yaml: string;
  columns: DraftColumn[];
  tables: number;
  largeObjects: number;
}

export interface DatabaseDraft {
  database: string;
  draft: Draft;
}

/**
 * A draft per database of a restored copy (templates and databases without tables left out),
 * the connection's own database first.
 */
export async function draftDatabases(
  conn: ConnectionInfo,
  opts: DraftOptions,
): Promise<DatabaseDraft[]> {
  const names = await withSession(
    conn,
    async (db) =>
      (
        await db.query<{ name: string }>(
          // rdsadmin is RDS's own database: the master user cannot read it.
          "select datname as name from pg_database where not datistemplate and datallowconn and datname <> 'rdsadmin' order by datname",
        )
      ).rows.map((r) => r.name),
    { signal: opts.signal, readOnly: true, applicationName: "drill scrubber init" },
  );
  const ordered = [conn.database, ...names.filter((n) => n !== conn.database)];
  const out: DatabaseDraft[] = [];
  for (const database of ordered) {
    // Another database is scrubbed only when the scrub step names a scrubber for it (else dropped).
    const header =
      database === conn.database
        ? `${opts.header} Database ${JSON.stringify(database)}.`
        : `${opts.header} Database ${JSON.stringify(database)}: name this file in the scrub step's \`scrubbers: { ${yamlKey(database)}: <this file's name> }\`, or \`otherDatabases: drop\` removes the database.`;
    const draft = await draftScrubber({ ...conn, database }, { ...opts, header });
    if (draft.tables > 0) out.push({ database, draft });
  }
  return out;
}

/**
 * Write a draft scrubber from a live restored database: every column of every user table, a
 * guess for each from its name, its type and a bounded server-side sample of its values, and
 * why. The values are read into this process only to be classified: none is kept, written or
 * logged.
 */
export async function draftScrubber(conn: ConnectionInfo, opts: DraftOptions): Promise<Draft> {
  const firstNames = await loadFirstNames();
  return withSession(
    conn,
    async (db) => {
      const catalog = await readCatalog(db);
      const unique = await uniqueColumns(db);
      const largeObjects = await countLargeObjects(db);
      const columns: DraftColumn[] = [];
      for (const table of catalog) {
        const values = table.unsupported
          ? new Map()
          : await sampleColumns(db, table, table.columns, opts.sample);
        for (const c of table.columns) {
          const ctx = { firstNames, unique: unique.has(`${table.oid}:${c.name}`), largeObjects };
          const g = guessColumn(c, values.get(c.name), ctx);
          columns.push({ table: displayName(table), column: c.name, ...g });
        }
      }
      return {
        yaml: render(opts.header, catalog, columns, largeObjects),
        columns,
        tables: catalog.length,
        largeObjects,
      };
    },
    { signal: opts.signal, applicationName: "drill scrubber init", readOnly: true },
  );
}

function render(
  header: string,
  catalog: TableInfo[],
  columns: DraftColumn[],
  largeObjects: number,
): string {
  const pii = columns.filter((c) => c.pii).length;
  const oids = columns.filter((c) => c.why.startsWith("oid column: may point"));
  const lines = [
    `# ${header}`,
    `# A draft: review every rule before use. ${pii} of ${columns.length} columns look personal, guessed`,
    "# from their names and sampled values (never written here); the reason is beside each rule.",
    "# The scrub step never applies guesses: a column missing here fails it (unknownColumns: fail).",
    "secret: ${SCRUB_SECRET} # from the environment, never written in this file",
    "unknownColumns: fail",
    ...(largeObjects > 0
      ? [
          largeObjectsLine(
            largeObjects,
            oids.map((c) => `${c.table}.${c.column}`),
          ),
        ]
      : []),
    catalog.length === 0 ? "tables: {}" : "tables:",
  ];
  for (const table of catalog) {
    const name = displayName(table);
    lines.push(`  ${yamlKey(name)}:${table.unsupported ? ` # ${table.unsupported}` : ""}`);
    for (const c of columns.filter((x) => x.table === name)) lines.push(columnLine(c.column, c));
  }
  return `${lines.join("\n")}\n`;
}
