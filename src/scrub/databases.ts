import type { Scrubber } from "../definitions/scrubber.js";
import { quoteIdent, withSession } from "../db.js";
import { DrillError, inputError } from "../errors.js";
import type { ConnectionInfo } from "../types.js";
import { SYSTEM_SCHEMA_FILTER } from "./catalog.js";
import { mergeReports, type DatabaseReport, type DatabasesReport } from "./databases-report.js";
import type { ScrubberSource } from "./plan.js";
import { scrubDatabase, type ScrubOptions } from "./scrub.js";

export type { DatabaseReport, DatabasesReport } from "./databases-report.js";

/** The scrubber one database of the copy is scrubbed with. */
export interface DatabaseScrubber {
  /** Its name in scrubbers/. */
  name: string;
  scrubber: Scrubber;
  source: ScrubberSource;
}

export interface DatabasesOptions extends Omit<ScrubOptions, "file" | "locate"> {
  /** By database name: every database named here is scrubbed, in this order. */
  scrubbers: ReadonlyMap<string, DatabaseScrubber>;
  /** What happens to a database no scrubber names that holds anything. */
  otherDatabases: "drop" | "fail";
}

/**
 * Databases that are never the team's data: the templates PostgreSQL copies new databases from,
 * and RDS's own `rdsadmin`, which its master user can neither read nor drop.
 */
export const NOT_DATA = ["template0", "template1", "rdsadmin"];

interface Found {
  name: string;
  /** User tables (materialized views and foreign tables included); null when not connectable. */
  tables: number | null;
  largeObjects: boolean;
}

/** A database with nothing in it (an unused `postgres`) needs no scrubber; anything in it is data. */
const isEmpty = (found: Found) => found.tables === 0 && !found.largeObjects;

/**
 * Scrub every database of a restored copy: each one a scrubber names with that scrubber (its own
 * connection, its own leak scan), the others dropped or the step failed before anything is
 * rewritten, so nothing unscrubbed is ever handed over.
 */
export async function scrubDatabases(
  conn: ConnectionInfo,
  opts: DatabasesOptions,
): Promise<DatabasesReport> {
  const listed = await listDatabases(conn, opts.signal);
  const names = listed.map((d) => d.name);
  const missing = [...opts.scrubbers.keys()].filter((d) => !names.includes(d));
  if (missing.length > 0) {
    throw inputError(
      "SCRUB_UNKNOWN_DATABASE",
      `scrub: database(s) ${missing.map((d) => `"${d}"`).join(", ")} named in scrubbers do not exist in the restored copy (databases: ${names.join(", ") || "none"})`,
      "name only databases the copy has in the scrub step's `scrubbers`",
    );
  }
  const others: Found[] = [];
  for (const d of listed.filter((x) => !opts.scrubbers.has(x.name))) {
    // What a database that refuses connections holds is unknown: it counts as data.
    others.push(
      d.allowConn
        ? await inspect({ ...conn, database: d.name }, opts.signal)
        : { name: d.name, tables: null, largeObjects: false },
    );
  }
  const data = others.filter((d) => !isEmpty(d));
  const reports: DatabaseReport[] = others
    .filter(isEmpty)
    .map((d) => ({ ...unscrubbed(d, "empty"), leakScan: null }));

  const refused = unclassified(data, conn.database, opts.otherDatabases);
  if (refused) {
    const rest = data.map((d) => ({ ...unscrubbed(d, "unclassified"), leakScan: null }));
    return mergeReports([...reports, ...rest], [refused]);
  }
  for (const d of data) {
    opts.progress(`dropping database ${d.name} (${describe(d)}): no scrubber names it`);
    await withSession(conn, (db) => db.query(`drop database ${quoteIdent(d.name)} with (force)`), {
      signal: opts.signal,
      applicationName: "drill scrub",
    });
    reports.push({ ...unscrubbed(d, "dropped"), leakScan: null });
  }

  const scrubbed: DatabaseReport[] = [];
  for (const [database, s] of opts.scrubbers) {
    // Named by database only when there are several, as findings are.
    const progress = (m: string) =>
      opts.progress(opts.scrubbers.size > 1 ? `${database}: ${m}` : m);
    const report = await scrubDatabase({ ...conn, database }, s.scrubber, {
      ...opts,
      ...s.source,
      progress,
    }).catch((e: unknown) => {
      throw opts.scrubbers.size > 1 ? inDatabase(e, database) : e;
    });
    progress(`${report.outcome} (${report.totals.rows} rows in ${report.totals.tables} table(s))`);
    scrubbed.push({
      database,
      scrubber: s.name,
      outcome: report.outcome,
      tables: report.tables.length,
      rows: report.totals.rows,
      leakScan: report.leakScan
        ? report.leakScan.findings.length === 0
          ? "clean"
          : `${report.leakScan.findings.length} finding(s)`
        : opts.leakScan === false
          ? "off"
          : null,
      report,
    });
  }
  return mergeReports([...scrubbed, ...reports], []);
}

/** Why the step must stop before scrubbing, or undefined when every database with data is decided. */
function unclassified(data: Found[], own: string, other: "drop" | "fail"): string | undefined {
  if (data.length === 0) return undefined;
  const list = data.map((d) => `${d.name} (${describe(d)})`).join(", ");
  // The copy's own database is where later steps and the team connect: never dropped.
  if (other === "drop" && data.some((d) => d.name === own)) {
    return `the copy's own database ${own} holds data and no scrubber names it: give the scrub step \`scrubber:\` or name ${own} in \`scrubbers:\``;
  }
  if (other === "drop") return undefined;
  return `${data.length} database(s) not classified: ${list}; name each in the scrub step's \`scrubbers: { <database>: <scrubber> }\` or set \`otherDatabases: drop\``;
}

const describe = (found: Found) =>
  found.tables === null
    ? "does not allow connections"
    : [`${found.tables} table(s)`, ...(found.largeObjects ? ["large objects"] : [])].join(", ");

const unscrubbed = (found: Found, outcome: DatabaseReport["outcome"]) => ({
  database: found.name,
  scrubber: null,
  outcome,
  tables: found.tables ?? 0,
  rows: 0,
});

/** A scrub error says which database it happened in; its kind and exit code stay. */
function inDatabase(e: unknown, database: string): unknown {
  if (!(e instanceof DrillError)) return e;
  return new DrillError(e.kind, e.code, `database ${database}: ${e.message}`, {
    ...(e.hint ? { hint: e.hint } : {}),
    ...(e.postgres ? { postgres: e.postgres } : {}),
    cause: e,
  });
}

/** The copy's databases, templates and RDS's own left out, in name order. */
async function listDatabases(
  conn: ConnectionInfo,
  signal: AbortSignal,
): Promise<{ name: string; allowConn: boolean }[]> {
  const { rows } = await withSession(
    conn,
    (db) =>
      db.query<{ name: string; allowConn: boolean }>(
        `select datname as name, datallowconn as "allowConn" from pg_database
          where datname <> all($1::text[]) order by datname`,
        [NOT_DATA],
      ),
    { signal, readOnly: true, applicationName: "drill scrub" },
  );
  return rows;
}

/** What a database no scrubber names holds: user tables and large objects. */
async function inspect(conn: ConnectionInfo, signal: AbortSignal): Promise<Found> {
  const { rows } = await withSession(
    conn,
    (db) =>
      db.query<{ tables: number; largeObjects: boolean }>(
        `select (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where c.relkind in ('r', 'p', 'm', 'f') and ${SYSTEM_SCHEMA_FILTER}) as tables,
                exists (select 1 from pg_largeobject_metadata) as "largeObjects"`,
      ),
    { signal, readOnly: true, applicationName: "drill scrub" },
  );
  return { name: conn.database, ...rows[0]! };
}
