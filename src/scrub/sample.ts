import { quoteIdent, type Queryable } from "../db.js";
import { isJson, type ColumnInfo, type TableInfo } from "./catalog.js";

/**
 * What was sampled of one column, for guessing only: whole values as text, the elements of
 * arrays, or JSON documents. Held in memory while a table is classified, never written or logged.
 */
export interface ColumnSample {
  values: string[];
  elements: string[];
  docs: unknown[];
}

/** Characters of one value read: free text is judged on its start, not read whole. */
const MAX_TEXT = 2000;
/** JSON documents bigger than this are not read (a sample, not whole tables in memory). */
const MAX_JSON = 65_536;
/** Elements read per array value. */
const MAX_ELEMENTS = 10;

export const isArray = (column: ColumnInfo): boolean => column.type.endsWith("[]");
const sampled = (column: ColumnInfo) =>
  isArray(column) ||
  isJson(column) ||
  column.category === "S" ||
  column.category === "D" ||
  column.category === "I";

function expression(column: ColumnInfo): string {
  const col = `t.${quoteIdent(column.name)}`;
  if (isArray(column))
    return `(select json_agg(left(e::text, ${MAX_TEXT})) from (select e from unnest(${col}) e where e is not null limit ${MAX_ELEMENTS}) s)`;
  if (isJson(column))
    return `case when octet_length(${col}::text) <= ${MAX_JSON} then ${col}::text end`;
  return `left(${col}::text, ${MAX_TEXT})`;
}

/**
 * Up to `n` rows of `columns` of `table`, read server-side as a bounded random sample (Bernoulli
 * sampling on big tables, then `limit n`; long values cut): never a whole table in memory.
 */
export async function sampleColumns(
  db: Queryable,
  table: TableInfo,
  columns: ColumnInfo[],
  n: number,
): Promise<Map<string, ColumnSample>> {
  const out = new Map<string, ColumnSample>();
  const cols = columns.filter(sampled);
  if (cols.length === 0 || n === 0) return out;
  const pct = table.estimatedRows > 10 * n ? (300 * n) / table.estimatedRows : 100;
  const sampling = pct < 100 ? ` tablesample bernoulli (${pct.toFixed(4)})` : "";
  const list = cols.map((c, i) => `${expression(c)} as c${i}`).join(", ");
  const { rows } = await db.query<Record<string, unknown>>(
    `select ${list} from ${table.qualified} t${sampling} limit ${Math.floor(n)}`,
  );
  cols.forEach((c, i) => {
    const s: ColumnSample = { values: [], elements: [], docs: [] };
    for (const r of rows) {
      const v = r[`c${i}`];
      if (v === null || v === undefined) continue;
      if (isArray(c) && Array.isArray(v)) s.elements.push(...(v as unknown[]).map(String));
      else if (isJson(c)) s.docs.push(parseJson(String(v)));
      else s.values.push(String(v));
    }
    out.set(c.name, s);
  });
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** String leaves of JSON documents by path (`contact.email`, `addresses.0.street`). */
export function jsonLeaves(docs: unknown[], maxPaths = 200): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (v: unknown, path: string, depth: number) => {
    if (depth > 6) return;
    if (typeof v === "string" || typeof v === "number") {
      if (!path || (!out.has(path) && out.size >= maxPaths)) return;
      out.set(path, [...(out.get(path) ?? []), String(v)]);
    } else if (Array.isArray(v)) {
      v.slice(0, 3).forEach((x, i) => walk(x, path ? `${path}.${i}` : String(i), depth + 1));
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        // A key with a dot or a space cannot be named by a rule's path.
        if (/[.\s]/.test(k) || k === "") continue;
        walk(x, path ? `${path}.${k}` : k, depth + 1);
      }
    }
  };
  for (const d of docs) walk(d, "", 0);
  return out;
}

/** Columns that carry a single-column unique index: their fakes must be unique too. */
export async function uniqueColumns(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ oid: number; name: string }>(
    `select i.indrelid::int as oid, a.attname as name from pg_index i
       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indisunique and i.indnatts = 1`,
  );
  return new Set(rows.map((r) => `${r.oid}:${r.name}`));
}

/** Large objects in the database: an `oid` column may point at them. */
export async function countLargeObjects(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "select count(*)::int as n from pg_largeobject_metadata",
  );
  return rows[0]?.n ?? 0;
}
