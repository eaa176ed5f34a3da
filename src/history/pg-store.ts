import type { Pool, PoolClient } from "pg";
import { HISTORY_OPTIONS, pgClientConfig } from "../db.js";
import { DrillError, platformError } from "../errors.js";
import { tlsFailure } from "../pg-tls.js";
import { connectionFromUrl } from "../pg-url.js";
import type { ConnectionInfo, RunRecord } from "../types.js";
import { canonicalRecord } from "../evidence/canonical.js";
import { newestFirst, type HistoryStore, type StoredEvidence } from "./store.js";
import { errorText } from "../redact.js";

export interface PgStoreOptions {
  /** `postgres://user:password@host/db?sslmode=…`: a secret, never in a message. */
  url: string;
  tablePrefix?: string;
}

type Query = <R extends object = Record<string, unknown>>(
  text: string,
  values?: unknown[],
) => Promise<R[]>;

/**
 * Run records in a table (`<prefix>runs`, one JSONB row per run, its signed envelope in the
 * `evidence` column), created on first use. Daemon
 * replicas sharing this store also take their leases here (src/daemon/coordinator.ts).
 */
export class PgHistoryStore implements HistoryStore {
  readonly kind = "postgres";
  readonly tables: { runs: string; leases: string; slots: string };
  private pool?: Promise<Pool>;
  private ready?: Promise<void>;
  private conn?: ConnectionInfo;

  constructor(private readonly opts: PgStoreOptions) {
    const p = opts.tablePrefix ?? "drill_";
    this.tables = { runs: `${p}runs`, leases: `${p}leases`, slots: `${p}slots` };
  }

  async save(record: RunRecord, envelope?: string): Promise<string> {
    // The canonical form, parsed: JSONB keeps the values, and canonicalizing them again gives
    // the same bytes (`evidence` below).
    const stored = JSON.parse(canonicalRecord(record)) as RunRecord;
    await this.query(
      `insert into ${this.tables.runs} (id, drill, started_at, outcome, record, evidence)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (id) do update set outcome = excluded.outcome, record = excluded.record,
         evidence = excluded.evidence`,
      [record.id, record.drill, record.startedAt, record.outcome, stored, envelope ?? null],
    );
    return this.storedAt(record.id);
  }

  async list(drill?: string, opts: { limit?: number } = {}): Promise<RunRecord[]> {
    const rows = await this.query<{ record: RunRecord }>(
      `select record from ${this.tables.runs} where ($1::text is null or drill = $1)
       order by started_at desc, id desc limit $2`,
      [drill ?? null, opts.limit ?? null],
    );
    return rows.map((r) => this.located(r.record)).sort(newestFirst);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const rows = await this.query<{ record: RunRecord }>(
      `select record from ${this.tables.runs} where id = $1`,
      [id],
    );
    return rows[0] && this.located(rows[0].record);
  }

  async evidence(drill?: string): Promise<StoredEvidence[]> {
    const rows = await this.query<{
      id: string;
      drill: string;
      record: RunRecord;
      evidence: string | null;
    }>(
      `select id, drill, record, evidence from ${this.tables.runs}
       where ($1::text is null or drill = $1)`,
      [drill ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      drill: r.drill,
      storedAt: this.storedAt(r.id),
      bytes: canonicalRecord(r.record),
      ...(r.evidence !== null ? { envelope: r.evidence } : {}),
    }));
  }

  async exclusive<T>(drill: string, fn: () => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      await this.ensureTables();
      client = await (await this.connect()).connect();
      await client.query("select pg_advisory_lock(hashtext($1))", [`drill-chain:${drill}`]);
    } catch (e) {
      throw this.failure(e);
    }
    try {
      return await fn();
    } finally {
      await client
        .query("select pg_advisory_unlock(hashtext($1))", [`drill-chain:${drill}`])
        .catch(() => {});
      client.release();
    }
  }

  private storedAt(id: string) {
    return `postgres:${this.tables.runs}/${id}`;
  }

  private located(record: RunRecord): RunRecord {
    return { ...record, storedAt: this.storedAt(record.id) };
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.ready = undefined;
    if (pool) await (await pool).end();
  }

  /** A query with the tables in place; failures are platform errors without the URL. */
  readonly query: Query = async (text, values) => {
    try {
      await this.ensureTables();
      const pool = await this.connect();
      return (await pool.query(text, values)).rows;
    } catch (e) {
      throw this.failure(e);
    }
  };

  private connect(): Promise<Pool> {
    // pg is imported on use, so commands that never touch this store stay fast.
    this.pool ??= import("pg").then(async ({ default: pg }) => {
      this.conn ??= await connectionFromUrl(this.opts.url, "history.url");
      const pool = new pg.Pool({
        ...pgClientConfig(this.conn, { applicationName: "drill" }),
        max: 4,
        idleTimeoutMillis: 10_000,
        // `drill run` must not wait for idle connections to time out before it exits.
        allowExitOnIdle: true,
        // Not drill's session settings (see db.ts): formats only, no search_path in the team's
        // own database.
        options: HISTORY_OPTIONS,
      });
      // An idle connection the server dropped: the next query reconnects.
      pool.on("error", () => {});
      return pool;
    });
    return this.pool;
  }

  private ensureTables(): Promise<void> {
    this.ready ??= (async () => {
      const pool = await this.connect();
      const client: PoolClient = await pool.connect();
      const { runs, leases, slots } = this.tables;
      try {
        await client.query("begin");
        // Replicas starting together must not race each other's CREATE TABLE.
        await client.query("select pg_advisory_xact_lock(hashtext($1))", [`drill:${runs}`]);
        await client.query(`create table if not exists ${runs} (
          id text primary key, drill text not null, started_at timestamptz not null,
          outcome text not null, record jsonb not null, evidence text)`);
        // Tables made before evidence was kept gain the column (checked first: ALTER TABLE
        // would wait for every reader of the table).
        const has = await client.query(
          `select 1 from pg_attribute where attrelid = $1::regclass and attname = 'evidence'
           and not attisdropped`,
          [runs],
        );
        if (has.rowCount === 0) await client.query(`alter table ${runs} add column evidence text`);
        await client.query(
          `create index if not exists ${runs}_drill_started on ${runs} (drill, started_at desc)`,
        );
        await client.query(`create table if not exists ${leases} (
          drill text primary key, owner text not null, run_id text, expires_at timestamptz not null)`);
        await client.query(`create table if not exists ${slots} (
          drill text not null, slot timestamptz not null, owner text not null,
          claimed_at timestamptz not null default now(), primary key (drill, slot))`);
        await client.query("commit");
      } catch (e) {
        await client.query("rollback").catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    })().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private failure(e: unknown) {
    if ((e as { code?: string }).code === "HISTORY_POSTGRES") return e;
    // The URL's own mistakes (a file it names cannot be read) are the user's: exit 2 as they are.
    if (e instanceof DrillError && e.kind === "input") return e;
    const tls = this.conn && tlsFailure(e, this.conn);
    if (tls)
      return platformError(
        "HISTORY_POSTGRES",
        `PostgreSQL history store: ${tls.message}`,
        tls.hint,
        e,
      );
    let message = errorText(e);
    // Whatever the driver said, the URL (and its password) stays out of it.
    message = message.split(this.opts.url).join("<history url>");
    const password = passwordOf(this.opts.url);
    if (password && password.length >= 4) message = message.split(password).join("***");
    return platformError(
      "HISTORY_POSTGRES",
      `PostgreSQL history store: ${message}`,
      "check the history url (its variable), that the server is reachable and the user may create tables",
      e,
    );
  }
}

function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
