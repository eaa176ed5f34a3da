import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { PgHistoryStore } from "../history/pg-store.js";
import type { HistoryStore } from "../history/store.js";

/** A claim on a drill's run; renewed while the run goes on, released at its end. */
export interface Lease {
  /** False when the lease was lost (expired and taken by another replica). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * How daemon replicas agree on who runs what. With the PostgreSQL store: each scheduled slot is
 * claimed by one replica (so a replica whose clock is a little late does not run it again), and
 * the run holds a lease row with an expiry (a crashed replica's lease lapses). Otherwise one
 * host: the engine's lock file stops two processes there, this only tracks the daemon's own runs.
 */
export interface Coordinator {
  readonly owner: string;
  claimSlot(drill: string, slotAt: number): Promise<boolean>;
  acquire(drill: string, runKey: string): Promise<Acquired>;
}

export type Acquired = { lease: Lease } | { heldBy: string };

export const newOwner = () => `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;

export function coordinatorFor(store: HistoryStore, leaseTtlMs: number): Coordinator {
  return store.kind === "postgres"
    ? new PgCoordinator(store as PgHistoryStore, leaseTtlMs)
    : new LocalCoordinator();
}

export class LocalCoordinator implements Coordinator {
  readonly owner = newOwner();
  private readonly held = new Map<string, string>();

  async claimSlot(): Promise<boolean> {
    return true;
  }

  async acquire(drill: string, runKey: string): Promise<Acquired> {
    const holder = this.held.get(drill);
    if (holder) return { heldBy: holder };
    this.held.set(drill, runKey);
    const lease: Lease = {
      renew: async () => this.held.get(drill) === runKey,
      release: async () => {
        if (this.held.get(drill) === runKey) this.held.delete(drill);
      },
    };
    return { lease };
  }
}

export class PgCoordinator implements Coordinator {
  readonly owner = newOwner();

  constructor(
    private readonly store: PgHistoryStore,
    private readonly ttlMs: number,
  ) {}

  async claimSlot(drill: string, slotAt: number): Promise<boolean> {
    const { slots } = this.store.tables;
    const rows = await this.store.query(
      `insert into ${slots} (drill, slot, owner) values ($1, $2, $3) on conflict do nothing returning 1`,
      [drill, new Date(slotAt).toISOString(), this.owner],
    );
    // Claims only matter around their slot; keep the table small.
    await this.store.query(`delete from ${slots} where slot < now() - interval '7 days'`);
    return rows.length === 1;
  }

  async acquire(drill: string, runKey: string): Promise<Acquired> {
    const { leases } = this.store.tables;
    // Expiry is judged by the database's clock, the one clock all replicas share.
    const taken = await this.store.query(
      `insert into ${leases} (drill, owner, run_id, expires_at)
         values ($1, $2, $3, now() + $4 * interval '1 millisecond')
       on conflict (drill) do update
         set owner = excluded.owner, run_id = excluded.run_id, expires_at = excluded.expires_at
         where ${leases}.expires_at < now()
       returning owner`,
      [drill, this.owner, runKey, this.ttlMs],
    );
    if (taken.length === 0) {
      const rows = await this.store.query<{ owner: string; run_id: string | null }>(
        `select owner, run_id from ${leases} where drill = $1`,
        [drill],
      );
      const h = rows[0];
      return { heldBy: h ? `${h.run_id ?? "a run"} on ${h.owner}` : "another replica" };
    }
    const lease: Lease = {
      renew: async () =>
        (
          await this.store.query(
            `update ${leases} set expires_at = now() + $3 * interval '1 millisecond'
             where drill = $1 and owner = $2 and run_id = $4 returning 1`,
            [drill, this.owner, this.ttlMs, runKey],
          )
        ).length === 1,
      release: async () => {
        await this.store.query(
          `delete from ${leases} where drill = $1 and owner = $2 and run_id = $3`,
          [drill, this.owner, runKey],
        );
      },
    };
    return { lease };
  }
}
