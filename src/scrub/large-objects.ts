import type { ColumnRule, Scrubber } from "../definitions/scrubber.js";
import type { Queryable } from "../db.js";
import type { ColumnInfo } from "./catalog.js";
import type { TextSource } from "./leak-text.js";

/** What the scrub did with the database's large objects (pg_largeobject). */
export interface LargeObjectsReport {
  found: number;
  dropped: number;
  kept: number;
}

/**
 * Before anything is rewritten: large objects (scanned documents, exports) hold whatever their
 * owners put in them, so a database that has some needs the scrubber's decision. `drop` unlinks
 * every one and rewrites pg_largeobject's files, where unlinked pages would otherwise stay until
 * vacuumed; the oid columns pointing at them get their own rules (null or set) in the rewrite.
 */
export async function settleLargeObjects(
  db: Queryable,
  scrubber: Scrubber,
  file: string,
): Promise<{ report: LargeObjectsReport; finding?: string }> {
  const { rows } = await db.query<{ n: number }>(
    "select count(*)::int as n from pg_catalog.pg_largeobject_metadata",
  );
  const found = rows[0]!.n;
  if (found === 0 || scrubber.largeObjects === "keep")
    return { report: { found, dropped: 0, kept: found } };
  if (scrubber.largeObjects === undefined)
    return {
      report: { found, dropped: 0, kept: found },
      finding: `${found} large object(s) in the database and no largeObjects decision in ${file}: set largeObjects: drop (unlink them all) or keep (kept, and the leak scan reads them)`,
    };
  await db.query("select count(pg_catalog.lo_unlink(oid)) from pg_catalog.pg_largeobject_metadata");
  await db.query("vacuum full pg_catalog.pg_largeobject");
  await db.query("vacuum full pg_catalog.pg_largeobject_metadata");
  return { report: { found, dropped: found, kept: 0 } };
}

/**
 * Kept large objects as a scan source, one key per object. Content that is not valid UTF-8
 * (a PDF, an image, a NUL byte) is read with bytes outside ASCII escaped: the text inside it
 * (addresses in a PDF, a CSV export) still reads, and nothing fails on binary data. The helper
 * is a temporary function: gone with the session, nothing left in the copy.
 */
export async function largeObjectSource(db: Queryable): Promise<TextSource & { count: number }> {
  await db.query(`create or replace function pg_temp.drill_lo_text(o oid) returns text
    language plpgsql as $$
    declare b bytea := pg_catalog.lo_get(o);
    begin
      return pg_catalog.convert_from(b, 'UTF8');
    exception when others then
      return pg_catalog.encode(b, 'escape');
    end $$`);
  const { rows } = await db.query<{ n: number }>(
    "select count(*)::int as n from pg_catalog.pg_largeobject_metadata",
  );
  return {
    label: "large objects",
    sql: "select m.oid::text as key, pg_temp.drill_lo_text(m.oid) as v from pg_catalog.pg_largeobject_metadata m",
    transformed: false,
    count: rows[0]!.n,
  };
}

/** An oid column (type oid, or the `lo` domain) kept while `largeObjects: drop` unlinks what it points to. */
export function largeObjectRuleProblem(
  rule: ColumnRule,
  column: ColumnInfo,
  scrubber: Scrubber,
): string | undefined {
  if (column.typeName !== "oid" || scrubber.largeObjects !== "drop" || rule !== "keep")
    return undefined;
  return "largeObjects: drop unlinks every large object: this oid column cannot keep its references (use null, or set: a value)";
}
