import type { RunRecord } from "../types.js";

/**
 * Where run records are kept: a folder of JSON files (one host), an S3 prefix (one daemon), or a
 * PostgreSQL table (several daemon replicas, which also take their run leases there).
 */
export interface HistoryStore {
  /** `file`, `s3` or `postgres`: what the daemon can promise about replicas depends on it. */
  readonly kind: "file" | "s3" | "postgres";
  /**
   * Store a finished run (again, with the same id: replaced) as its canonical bytes
   * (src/evidence/canonical.ts), with its DSSE envelope beside it when there is one; returns
   * where it went. Runs are stored through `sealAndSave` (src/evidence/seal.ts), which chains
   * and signs them first.
   */
  save(record: RunRecord, envelope?: string): Promise<string>;
  /**
   * Every stored record of a drill (or of all drills) as the store holds it, for checking:
   * the record's bytes (absent when only its envelope is left) and its envelope (absent when
   * unsigned). In no particular order.
   */
  evidence(drill?: string): Promise<StoredEvidence[]>;
  /**
   * Run `fn` while no other process appends to `drill`'s chain through this store (PostgreSQL:
   * an advisory lock, so replicas do not take the same sequence). Stores without it rely on the
   * drill lock of their one host.
   */
  exclusive?<T>(drill: string, fn: () => Promise<T>): Promise<T>;
  /** Runs newest first, optionally of one drill, at most `limit` of them. */
  list(drill?: string, opts?: { limit?: number }): Promise<RunRecord[]>;
  /**
   * Where the store can serve files (S3): keep the run's HTML report and return a link to it
   * for channel messages. Stores without it get messages without a link.
   */
  publishReport?(record: RunRecord, html: string): Promise<string>;
  /** One run by id, or undefined. */
  get(id: string): Promise<RunRecord | undefined>;
  /** Let go of connections; the store may not be used after. */
  close(): Promise<void>;
}

export interface StoredEvidence {
  id: string;
  drill: string;
  /** Where it is, as `save` says. */
  storedAt: string;
  /** The record's stored text (the PostgreSQL store: its JSONB, canonicalized). */
  bytes?: string;
  /** The `.intoto.jsonl` line stored beside it. */
  envelope?: string;
}

/** The newest run of a drill (or of any drill), or undefined. */
export const latest = async (store: HistoryStore, drill?: string) =>
  (await store.list(drill, { limit: 1 }))[0];

/** Newest first, then by id so equal start times keep one order everywhere. */
export const newestFirst = (a: RunRecord, b: RunRecord) =>
  b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id);
