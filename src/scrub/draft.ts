import { withSession, type Queryable } from "../db.js";
import type { ConnectionInfo } from "../types.js";
import { displayName, readCatalog, type ColumnInfo, type TableInfo } from "./catalog.js";
import { suggestByName, suggestByValues, type Suggestion } from "./suggest.js";

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
}

/**
 * Write a draft scrubber from a live restored copy: every column of every user table, a guess
 * for each from its name and from sampled values, and why. The values are read into this process
 * only to be classified: none is kept, written or logged.
 */
export async function draftScrubber(conn: ConnectionInfo, opts: DraftOptions): Promise<Draft> {
  const firstNames = await loadFirstNames();
  return withSession(
    conn,
    async (db) => {
      const catalog = await readCatalog(db);
      const unique = await uniqueColumns(db);
      const columns: DraftColumn[] = [];
      for (const table of catalog) {
        const values = await sampleTable(db, table, opts.sample);
        for (const c of table.columns) {
          const s = classify(c, values.get(c.name) ?? [], firstNames);
          const rule =
            s.pii && unique.has(`${table.oid}:${c.name}`) && s.rule.startsWith("{ fake:")
              ? s.rule.replace(/ }$/, ", unique: true }")
              : s.rule;
          columns.push({ table: displayName(table), column: c.name, ...s, rule });
        }
      }
      return { yaml: render(opts.header, catalog, columns), columns };
    },
    { signal: opts.signal, applicationName: "drill scrubber init", readOnly: true },
  );
}

/** Values decide when they show something; the name when they do not; a rule must fit the type. */
function classify(c: ColumnInfo, values: string[], firstNames: ReadonlySet<string>): Suggestion {
  const byName = suggestByName(c);
  const byValues = suggestByValues(c, values, { firstNames });
  // "…_name" also names products and plans: with a real sample, the values must agree.
  if (!byValues && byName.rule === "{ fake: person.fullName }" && values.length >= 20)
    return {
      rule: "keep",
      why: `${byName.why}, but no sampled value looks like one (sampled ${values.length}): review`,
      pii: false,
    };
  const chosen = byValues ?? byName;
  const why = byValues && byName.pii ? `${byName.why}; ${byValues.why}` : chosen.why;
  if (!chosen.pii) return chosen;
  if (!fits(chosen.rule, c))
    return {
      rule: "keep",
      why: `${why}, but a ${c.type} column cannot take ${chosen.rule}: review`,
      pii: true,
    };
  if (chosen.rule === "null" && c.notNull)
    return { rule: "{ hash: {} }", why: `${why} (NOT NULL: hashed, not nulled)`, pii: true };
  return { ...chosen, why };
}

function fits(rule: string, c: ColumnInfo): boolean {
  if (rule === "null" || rule === "keep") return true;
  if (rule.startsWith("{ shiftDate")) return c.category === "D";
  if (rule === "{ fake: internet.ip }") return c.category === "S" || c.category === "I";
  return c.category === "S";
}

/** Columns that carry a single-column unique index: their fakes must be unique too. */
async function uniqueColumns(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ oid: number; name: string }>(
    `select i.indrelid::int as oid, a.attname as name from pg_index i
       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indisunique and i.indnatts = 1`,
  );
  return new Set(rows.map((r) => `${r.oid}:${r.name}`));
}

/** Up to `n` rows' values as text, per column (a random sample on big tables). */
async function sampleTable(
  db: Queryable,
  table: TableInfo,
  n: number,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const cols = table.columns.filter(
    (c) => c.category === "S" || c.category === "D" || c.category === "I",
  );
  if (cols.length === 0 || n === 0 || table.unsupported) return out;
  const pct = table.estimatedRows > 10 * n ? (300 * n) / table.estimatedRows : 100;
  const sampling = pct < 100 ? ` tablesample bernoulli (${pct.toFixed(4)})` : "";
  const list = cols.map((c, i) => `t.${quote(c.name)}::text as c${i}`).join(", ");
  const { rows } = await db.query<Record<string, string | null>>(
    `select ${list} from ${table.qualified} t${sampling} limit ${n}`,
  );
  cols.forEach((c, i) =>
    out.set(
      c.name,
      rows.map((r) => r[`c${i}`]).filter((v): v is string => v !== null),
    ),
  );
  return out;
}

const quote = (id: string) => `"${id.replaceAll('"', '""')}"`;

/** faker's English first names, lowercased; faker is loaded here only. */
async function loadFirstNames(): Promise<Set<string>> {
  const { allLocales } = await import("@faker-js/faker");
  const lists = Object.values(allLocales.en.person?.first_name ?? {}) as unknown[];
  return new Set(
    lists.flatMap((l) => (Array.isArray(l) ? (l as string[]) : [])).map((n) => n.toLowerCase()),
  );
}

const yamlKey = (k: string) => (/^[A-Za-z_][A-Za-z0-9_.$-]*$/.test(k) ? k : JSON.stringify(k));

function render(header: string, catalog: TableInfo[], columns: DraftColumn[]): string {
  const pii = columns.filter((c) => c.pii).length;
  const lines = [
    `# ${header}`,
    `# A draft: review every rule before use. ${pii} of ${columns.length} columns look personal, guessed`,
    "# from their names and sampled values; the rest are kept as they are. The scrub step never",
    "# guesses at run time: a column missing here fails it (unknownColumns: fail).",
    "secret: ${SCRUB_SECRET} # from the environment, never written in this file",
    "unknownColumns: fail",
    catalog.length === 0 ? "tables: {}" : "tables:",
  ];
  for (const table of catalog) {
    const name = displayName(table);
    lines.push(`  ${yamlKey(name)}:${table.unsupported ? ` # ${table.unsupported}` : ""}`);
    for (const c of columns.filter((x) => x.table === name))
      lines.push(
        `    ${yamlKey(c.column)}: ${c.rule}${c.pii || c.why.endsWith("review") ? ` # ${c.why}` : ""}`,
      );
  }
  return `${lines.join("\n")}\n`;
}
