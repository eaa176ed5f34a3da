/**
 * Glossary. The words drill uses, as types.
 *
 * - drill: one YAML file in `drills/`; what to restore, the steps, objectives, where to report.
 * - run: one execution of a drill; its RunRecord is written to history before the command exits.
 * - step: one phase of a run (`restore`, `verify`, …, `cleanup` always last and always run).
 * - check: one assertion inside `verify`.
 * - environment: a named place in `config/`: which provider, where production lives, staging limits.
 * - provider: the code that talks to one platform (`local`, later `aws`).
 * - target: the restored copy a run works on (a staging database), reachable by connection info.
 * - objectives: RTO (run start → copy verified) and RPO (age of the copy's newest data).
 */

import type { PgFacts } from "./redact.js";

export const RECORD_SCHEMA_VERSION = 1;

/**
 * `skipped`: a scheduled run the daemon did not start because the drill's previous run was still
 * going; its record has no steps and says why in `findings`.
 */
export type Outcome = "passed" | "failed" | "error" | "interrupted" | "skipped";
export type StepOutcome = Outcome;

export interface CheckResult {
  name: string;
  kind: string;
  outcome: "passed" | "failed" | "error";
  /** What was measured (a number, a string); absent when the check errored. */
  measured?: unknown;
  /** Human-readable expectation, e.g. ">= 1000" or "= 0". */
  expected: string;
  durationMs: number;
  message?: string;
  /**
   * What the check found beyond its value: counts, corrupt index names, output lines; orphan
   * keys as keyed hashes unless the drill says `showExamples: true`.
   */
  details?: Record<string, unknown>;
}

export interface StepRecord {
  name: string;
  kind: string;
  startedAt: string;
  durationMs: number;
  outcome: StepOutcome;
  details: Record<string, unknown>;
  error?: ErrorRecord;
}

export interface ErrorRecord {
  code: string;
  /** Never a value from the data: PostgreSQL's quoted values are cut out (src/redact.ts). */
  message: string;
  hint?: string;
  /** For an error PostgreSQL raised: its SQLSTATE and the table, column, constraint it names. */
  postgres?: PgFacts;
}

export interface Measurement {
  value: number | null;
  objective: number | null;
  met: boolean | null;
}

export interface Measurements {
  rtoMs?: Measurement;
  rpoMs?: Measurement;
  [name: string]: Measurement | undefined;
}

export interface RunRecord {
  schemaVersion: typeof RECORD_SCHEMA_VERSION;
  id: string;
  drill: string;
  environment: string;
  provider: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: Outcome;
  steps: StepRecord[];
  measurements: Measurements;
  /**
   * Bringing production to the run's starting point (the sandbox: created, caught up, snapshot
   * taken). Before `startedAt`, outside the recovery clock.
   */
  preparation?: { durationMs: number; details: Record<string, unknown> };
  /** Phases markedly slower than the drill's recent passed runs (see src/engine/phases.ts). */
  regressions?: {
    phase: string;
    durationMs: number;
    medianMs: number;
    runs: number;
    slowerByPct: number;
  }[];
  /**
   * When, at the restored database's growth, the RTO objective will be crossed (from this run and
   * the drill's history; src/report/forecast.ts). Channel messages and /metrics show it.
   */
  forecast?: { status: string; headline: string; weeksToCrossing?: number };
  /** Worth a look but not failing the run (a regression in `warn` mode). */
  warnings?: string[];
  /** Why the run did not pass, one line each (failed checks, missed objectives, step errors). */
  findings: string[];
  /**
   * This record's place in its drill's evidence chain: `sequence` counts the drill's stored
   * records from 1, `previous` is the sha256 of the record before it (src/evidence/canonical.ts
   * says of which bytes), null for the first. Set when the record is stored.
   */
  chain?: { previous: string | null; sequence: number };
  /** Where the record was stored; filled by the history store (not part of the evidence). */
  storedAt?: string;
}

/** Connection to a PostgreSQL database. The password never enters a record or a log. */
export interface ConnectionInfo {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** Absent: plain text, only for clusters drill started itself on loopback. */
  tls?: TlsSetting;
}

/**
 * TLS as libpq's sslmode means it: `require` encrypts without checking who answers,
 * `verify-ca` also checks the certificate chains to a trusted CA, `verify-full` also that it
 * names the host connected to. Every pg client and child process drill starts honours it
 * (src/pg-tls.ts).
 */
export interface TlsSetting {
  mode: "require" | "verify-ca" | "verify-full";
  /** Trusted CA certificates (PEM, several may follow each other); absent: Node's bundled roots. */
  ca?: string;
  /** The file `ca` came from (a URL's sslrootcert): child processes get it as is. */
  caFile?: string;
  /** What `ca` is, for messages: "the RDS CA bundle", a file name. */
  caName?: string;
  /** What to change when the certificate does not chain to `ca`; default: name it (sslrootcert). */
  caHint?: string;
  /** A client certificate (sslcert, sslkey): the files for libpq, their PEM text for pg. */
  client?: { certFile: string; keyFile: string; cert: string; key: string };
}

/** Injected so the engine and the scheduler are tested without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
