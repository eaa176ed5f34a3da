import { connectClient, pgClientConfig, withSession } from "../db.js";
import type { ConnectionInfo } from "../types.js";

/** How much of the result a check reads: the first rows, or how many rows up to a cap. */
export type Take = { fetch: number } | { count: number };

export interface Bounded {
  rows: Record<string, unknown>[];
  fields: { name: string }[];
  /** With `count`: rows passed over, at most the cap. */
  counted: number;
}

export interface BoundedOptions {
  /** The reader to run as (see read-only-role.ts) and the admin who can end its backend. */
  reader: ConnectionInfo;
  admin: ConnectionInfo;
  timeoutMs: number;
  signal: AbortSignal;
}

/** A check's bounds: its read-only reader, the admin that can end it, its deadline and signal. */
export const boundsOf = async (ctx: {
  checkReader(): Promise<ConnectionInfo>;
  admin: ConnectionInfo;
  timeoutMs: number;
  signal: AbortSignal;
}): Promise<BoundedOptions> => ({
  reader: await ctx.checkReader(),
  admin: ctx.admin,
  timeoutMs: ctx.timeoutMs,
  signal: ctx.signal,
});

/**
 * The server's statement_timeout ends a slow query first, with its usual message; the query can
 * lift that (set_config inside the SELECT), so past it plus this grace drill ends the backend.
 */
const GRACE_MS = 250;
const CURSOR = "drill_check";

/**
 * Run one user query as the read-only reader and read at most what `take` asks for.
 *
 * - One statement: the text goes through the extended protocol (Parse accepts a single
 *   statement, so `commit; delete …` is refused by the server) inside DECLARE … CURSOR, which
 *   accepts only SELECT, VALUES and a WITH that does not write.
 * - Read only twice over: a READ ONLY transaction, as a role that holds no write privilege.
 * - Bounded memory: rows come through the cursor, `take.fetch` of them or a MOVE that counts
 *   server-side without sending any.
 * - A deadline the query cannot move: a timer in this process terminates the backend.
 */
export async function readBounded(query: string, take: Take, o: BoundedOptions): Promise<Bounded> {
  const { default: pg } = await import("pg");
  const client = new pg.Client(
    pgClientConfig(o.reader, { applicationName: "drill verify", statementTimeoutMs: o.timeoutMs }),
  );
  client.on("error", () => {}); // a terminated backend errors the socket; the race reports it
  let pid: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void endBackend(o.admin, pid);
      reject(new Error(`the query ran past its ${o.timeoutMs / 1000}s timeout and was ended`));
    }, o.timeoutMs + GRACE_MS);
  });
  const onAbort = () => void endBackend(o.admin, pid);
  o.signal.throwIfAborted();
  o.signal.addEventListener("abort", onAbort, { once: true });
  const prefix = `declare ${CURSOR} no scroll cursor for `;
  const work = async (): Promise<Bounded> => {
    await connectClient(client, o.reader);
    pid = (await client.query<{ pid: number }>("select pg_backend_pid() pid")).rows[0]!.pid;
    await client.query("begin transaction isolation level repeatable read, read only");
    try {
      await client.query({ text: prefix + query, values: [] });
    } catch (e) {
      throw explain(e, query, prefix.length);
    }
    if ("fetch" in take) {
      const r = await client.query({ text: `fetch forward ${take.fetch} from ${CURSOR}` });
      return { rows: r.rows as Record<string, unknown>[], fields: r.fields, counted: 0 };
    }
    const r = await client.query(`move forward ${take.count} in ${CURSOR}`);
    return { rows: [], fields: [], counted: r.rowCount ?? 0 };
  };
  try {
    return await Promise.race([work(), deadline]);
  } catch (e) {
    o.signal.throwIfAborted();
    throw e;
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener("abort", onAbort);
    // Rolled back by ending the session; not awaited when the backend is stuck.
    void client.end().catch(() => {});
  }
}

/** Terminate the check's backend from the admin connection (the reader cannot be trusted to). */
async function endBackend(admin: ConnectionInfo, pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  await withSession(admin, (db) => db.query("select pg_catalog.pg_terminate_backend($1)", [pid]), {
    applicationName: "drill verify deadline",
    statementTimeoutMs: 10_000,
  }).catch(() => {});
}

/** Name what the user got wrong when PostgreSQL's wording points at drill's own DECLARE. */
function explain(e: unknown, query: string, prefixLength: number): unknown {
  const err = e as { code?: string; message?: string; position?: string };
  if (err.code !== "42601") return e;
  if (err.message?.includes("multiple commands")) {
    return new Error("the query is several statements; a sql check runs exactly one SELECT");
  }
  const start = prefixLength + (query.length - query.trimStart().length) + 1;
  if (Number(err.position) === start) {
    return new Error(
      "the query does not start with SELECT, VALUES or WITH; a sql check runs exactly one SELECT",
    );
  }
  return e;
}
