import { libpqTlsEnv, pgSsl, tlsFailure } from "./pg-tls.js";
import type { ConnectionInfo } from "./types.js";

/** The slice of a pg client that checks and steps use. */
export interface Queryable {
  query<R = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; fields: { name: string }[] }>;
}

/**
 * The libpq variables that point a child process (pg_restore, psql, a smoke test) at `conn`,
 * with its TLS (PGSSLMODE, PGSSLROOTCERT, …).
 */
export function pgEnv(conn: ConnectionInfo): Record<string, string> {
  return {
    PGHOST: conn.host,
    PGPORT: String(conn.port),
    PGUSER: conn.user,
    PGDATABASE: conn.database,
    ...(conn.password !== undefined ? { PGPASSWORD: conn.password } : {}),
    ...libpqTlsEnv(conn.tls),
  };
}

export const quoteIdent = (id: string) => `"${id.replaceAll('"', '""')}"`;

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
