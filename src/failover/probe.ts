import type { Clock, ConnectionInfo } from "../types.js";
import { systemClock } from "../types.js";
import { pgClientConfig, quoteTable } from "../db.js";
import { summarize, type ProbeReport } from "./report.js";
import { sleep } from "../sleep.js";

export type { ProbeReport } from "./report.js";
export { summarize } from "./report.js";

type PgClient = import("pg").Client;

export interface ProbeOptions {
  /** Every node that may be the primary; asked again on each reconnect (the set may change). */
  nodes: () => ConnectionInfo[];
  writesPerSecond: number;
  /** The probe table (made by `createProbeTable`). */
  table: string;
  clock?: Clock;
  /** A write that takes longer counts as failed (its outcome is then checked afterwards). */
  writeTimeoutMs?: number;
}

export interface ProbeWrite {
  id: number;
  sentAt: number;
  /** When the server acknowledged the commit; absent when the write failed or was cut off. */
  ackAt?: number;
  node: string;
}

const nodeName = (conn: ConnectionInfo) => `${conn.host}:${conn.port}`;

/** The probe table: sequenced ids, the commit time the server saw. */
export function probeTableSql(table: string): string {
  return `create table ${quoteTable(table)} (id bigint primary key, at timestamptz not null default clock_timestamp())`;
}

/**
 * A client writing sequenced rows at a steady rate, as an application would, following the
 * primary across nodes: `pg` has no multi-host support, so after a failed write it reconnects
 * with backoff and keeps the node that says it is not in recovery. One write at a time, so a
 * failure cuts off at most one write whose outcome the client cannot know.
 */
export class WriteProbe {
  readonly writes: ProbeWrite[] = [];
  private readonly clock: Clock;
  private readonly interval: number;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private client: PgClient | undefined;
  private node = "";
  private readonly visited: string[] = [];

  constructor(readonly opts: ProbeOptions) {
    this.clock = opts.clock ?? systemClock;
    this.interval = 1000 / opts.writesPerSecond;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }

  get acked(): ProbeWrite[] {
    return this.writes.filter((w) => w.ackAt !== undefined);
  }

  /**
   * Resolves true once writes have been acknowledged without a failure for `steadyMs`, counting
   * only acknowledgements at or after `since` (when the failover was reported complete).
   */
  async waitUntilSteady(since: number, steadyMs: number, timeoutMs: number): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    while (this.clock.now() < deadline && !this.stopped) {
      const last = this.writes.at(-1);
      const lastFailure = this.writes.findLast((w) => w.ackAt === undefined)?.sentAt ?? -Infinity;
      const firstOk = this.writes.find(
        (w) => w.ackAt !== undefined && w.sentAt > lastFailure && w.ackAt >= since,
      );
      if (firstOk && last?.ackAt !== undefined && last.ackAt - firstOk.ackAt! >= steadyMs)
        return true;
      await sleep(Math.min(50, this.interval));
    }
    return false;
  }

  private async run(): Promise<void> {
    let backoff = 10;
    let next = this.clock.now();
    let id = 0;
    while (!this.stopped) {
      if (!this.client) {
        this.client = await this.findPrimary();
        if (!this.client) {
          await sleep(backoff);
          // Short first retries: the backoff adds directly to the downtime the probe measures.
          backoff = Math.min(backoff * 2, 250);
          continue;
        }
        backoff = 10;
        next = this.clock.now();
      }
      const write: ProbeWrite = { id: ++id, sentAt: this.clock.now(), node: this.node };
      this.writes.push(write);
      try {
        await this.client.query(`insert into ${quoteTable(this.opts.table)} (id) values ($1)`, [
          write.id,
        ]);
        write.ackAt = this.clock.now();
      } catch {
        // Committed or not, the client cannot tell: `verify` asks the primary afterwards.
        const dead = this.client;
        this.client = undefined;
        void dead.end().catch(() => {});
        continue;
      }
      next += this.interval;
      const wait = next - this.clock.now();
      if (wait > 0) await sleep(wait);
      else next = this.clock.now(); // fell behind (a slow commit): do not burst to catch up
    }
  }

  private async findPrimary(): Promise<PgClient | undefined> {
    const { default: pg } = await import("pg");
    for (const conn of this.opts.nodes()) {
      if (this.stopped) return undefined;
      const client = new pg.Client({
        ...pgClientConfig(conn, { applicationName: "drill-probe", connectTimeoutMs: 1000 }),
        query_timeout: this.opts.writeTimeoutMs ?? 5000,
      });
      // A server that dies between writes emits "error" on the idle client: never let it throw.
      client.on("error", () => {});
      try {
        await client.connect();
        const { rows } = await client.query<{ r: boolean }>("select pg_is_in_recovery() as r");
        if (rows[0]?.r === false) {
          this.node = nodeName(conn);
          if (this.visited.at(-1) !== this.node) this.visited.push(this.node);
          return client;
        }
      } catch {
        // Down or still starting: try the next node.
      }
      await client.end().catch(() => {});
    }
    return undefined;
  }

  /**
   * Compare what the client saw with what the primary holds now. `since`: when the failover was
   * triggered; the outage is the span of failed writes after it.
   */
  async report(primary: ConnectionInfo, since: number): Promise<ProbeReport> {
    const { withSession } = await import("../db.js");
    const present = await withSession(primary, async (db) => {
      // A standby that never replayed the table's creation: every acknowledged write is lost.
      const exists = await db.query(`select to_regclass($1) is not null as e`, [
        quoteTable(this.opts.table),
      ]);
      if (!(exists.rows[0] as { e: boolean }).e) return new Set<number>();
      const { rows } = await db.query<{ id: string }>(
        `select id from ${quoteTable(this.opts.table)}`,
      );
      return new Set(rows.map((r) => Number(r.id)));
    });
    return summarize(this.writes, present, since, this.opts.writesPerSecond, this.visited);
  }
}
