import { libpqTlsEnv, pgSsl, tlsFailure } from "./pg-tls.js";
import type { ConnectionInfo } from "./types.js";

/** The slice of a pg client that checks and steps use. */
export interface Queryable {
  query<R = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; fields: { name: string }[]; rowCount?: number | null }>;
}

/**
 * What drill's SQL is written for, set by every session drill opens whatever the restored
 * database or its roles say (`ALTER DATABASE … SET` survives a snapshot and a pg_dump --create):
 * options sent at connection start outrank database and role settings, and hold from the first
 * statement.
 *
 * - standard_conforming_strings: a backslash in '…' is a plain character. With it off, a catalog
 *   string pasted as `'x\''; …` ends the literal early; literals are also written by the
 *   driver's escapeLiteral, safe either way (a restored function may still flip it mid-session).
 * - search_path `public`: pg_catalog, left out, is searched before it, so no restored object
 *   shadows a builtin or catalog view of the same signature (a copy's `public, pg_catalog` would
 *   let one); naming pg_catalog first would make it where unqualified CREATEs go. public is where
 *   drill's checks look for unqualified tables (`orders`) and restored functions expect them.
 *   No "$user": a schema the backup named after drill's login would come before public. drill's
 *   own objects are out of the backup's reach: the scrub's working schema is always named, and
 *   temp tables (pg_temp, left out) are searched before everything for tables.
 * - client_encoding, DateStyle, IntervalStyle: what the driver parses.
 */
const FORMATS = {
  standard_conforming_strings: "on",
  client_encoding: "UTF8",
  DateStyle: "ISO,MDY",
  IntervalStyle: "postgres",
};
const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  ...FORMATS,
  search_path: "public",
};

/** As libpq `options` / PGOPTIONS (no value holds a space or a backslash to escape). */
const asOptions = (settings: Record<string, string>) =>
  Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(" ");
export const SESSION_OPTIONS = asOptions(SESSION_SETTINGS);
/**
 * For drill's own history database: no backup wrote it, and where its tables live is the team's
 * choice (PostgreSQL 15 leaves public unwritable; a "$user" schema is the usual answer).
 */
export const HISTORY_OPTIONS = asOptions(FORMATS);

/**
 * The libpq variables that point a child process at `conn`, with its TLS (PGSSLMODE,
 * PGSSLROOTCERT, …). pg_restore and psql get drill's
 * session settings (an archive sets its own where it depends on them); a team's own program
 * (`session: false`) sees the copy as the application would, with the database's settings.
 */
export function pgEnv(
  conn: ConnectionInfo,
  opts: { session?: boolean } = {},
): Record<string, string> {
  return {
    PGHOST: conn.host,
    PGPORT: String(conn.port),
    PGUSER: conn.user,
    PGDATABASE: conn.database,
    ...(conn.password !== undefined ? { PGPASSWORD: conn.password } : {}),
    ...(opts.session === false ? {} : { PGOPTIONS: SESSION_OPTIONS }),
    ...libpqTlsEnv(conn.tls),
  };
}

/**
 * `"name"`: correct under any setting (no backslash meaning inside double quotes). PostgreSQL
 * names cannot hold NUL (the server answers statement text holding one with "invalid message
 * format"): refused here, naming the culprit.
 */
export const quoteIdent = (id: string) => {
  if (id.includes("\0")) throw new Error(`identifier with a NUL character: ${JSON.stringify(id)}`);
  return `"${id.replaceAll('"', '""')}"`;
};

/** `orders` → `"orders"`, `shop.orders` → `"shop"."orders"`. */
export const quoteTable = (table: string) => table.split(".").map(quoteIdent).join(".");

/**
 * The pg client settings for `conn`: every client drill opens on a database is made here, so
 * what each connection must carry (TLS, session settings) is decided in one place.
 */
export function pgClientConfig(
  conn: ConnectionInfo,
  extra: { applicationName: string; statementTimeoutMs?: number; connectTimeoutMs?: number },
) {
  return {
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: conn.password,
    database: conn.database,
    ssl: pgSsl(conn.tls),
    application_name: extra.applicationName,
    statement_timeout: extra.statementTimeoutMs,
    connectionTimeoutMillis: extra.connectTimeoutMs ?? 10_000,
    options: SESSION_OPTIONS,
  };
}

/** Connect `client` to `conn`; a TLS failure becomes one line naming the server and the fix. */
export async function connectClient(
  client: { connect(): Promise<unknown> },
  conn: ConnectionInfo,
): Promise<void> {
  try {
    await client.connect();
  } catch (e) {
    throw tlsFailure(e, conn) ?? e;
  }
}

export interface SessionOptions {
  signal?: AbortSignal;
  /** Every statement of the session is cancelled past this. */
  statementTimeoutMs?: number;
  /** Run inside a read-only transaction that is rolled back: for checks that only read. */
  readOnly?: boolean;
  applicationName?: string;
}

/**
 * Open a connection, run `fn`, close it. Aborting the signal closes the connection, which ends
 * any query in flight; pg is imported here so commands that never touch a database stay fast.
 */
export async function withSession<T>(
  conn: ConnectionInfo,
  fn: (db: Queryable) => Promise<T>,
  opts: SessionOptions = {},
): Promise<T> {
  const { default: pg } = await import("pg");
  const client = new pg.Client(
    pgClientConfig(conn, {
      applicationName: opts.applicationName ?? "drill",
      statementTimeoutMs: opts.statementTimeoutMs,
    }),
  );
  // A server that goes away (cleanup stopping it after SIGTERM) fails the query in flight;
  // unheard, the socket's error event would end the whole process.
  client.on("error", () => {});
  const onAbort = () => void client.end().catch(() => {});
  opts.signal?.throwIfAborted();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await connectClient(client, conn);
    if (!opts.readOnly) return await fn(client);
    await client.query("begin transaction read only");
    try {
      return await fn(client);
    } finally {
      await client.query("rollback").catch(() => {});
    }
  } catch (e) {
    opts.signal?.throwIfAborted();
    throw e;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    await client.end().catch(() => {});
  }
}
