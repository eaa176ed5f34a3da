import type { RunRecord } from "../types.js";

/**
 * Where run records are kept. File today; S3 and PostgreSQL come with the daemon issue, behind
 * this same contract.
 */
export interface HistoryStore {
  /** Store a finished run; returns where it went (a path or URL) for the summary. */
  save(record: RunRecord): Promise<string>;
  /** Runs newest first, optionally of one drill. */
  list(drill?: string): Promise<RunRecord[]>;
}
