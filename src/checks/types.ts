import type { z } from "zod";
import type { Queryable } from "../db.js";
import type { Examples } from "../redact.js";
import type { CheckResult, ConnectionInfo, RunRecord } from "../types.js";

export interface CheckOutput {
  /** What was measured: a number or a short readable string (the summary prints it as is). */
  measured: unknown;
  /** Human-readable expectation, e.g. ">= 1000". */
  expected: string;
  passed: boolean;
  /** Why it failed, or a note worth reading beside a pass ("no previous passed run yet"). */
  message?: string;
  /**
   * Structured facts for the record: counts, offending names (never row contents; an example
   * value only through `CheckContext.examples`).
   */
  details?: Record<string, unknown>;
}

/** A check result as the verify step records it: the engine's CheckResult plus details. */
export type CheckRecord = CheckResult & { details?: Record<string, unknown> };

/** What every check may know about the run besides the database. */
export interface CheckContext {
  /** The restored copy (never production: verify only runs against the run's target). */
  connection: ConnectionInfo;
  /**
   * The copy's superuser (or `connection` where there is none): only for statements that run
   * none of the copy's code, such as creating a role or an extension or ending a backend.
   */
  admin: ConnectionInfo;
  signal: AbortSignal;
  /** Per statement (SQL checks) or per command (the `command` check). */
  timeoutMs: number;
  now(): number;
  /** When the restored snapshot was taken (epoch ms); undefined when the source has no time. */
  snapshotTakenAt: number | undefined;
  /** The newest earlier run of this drill that passed, read from history on first use. */
  previousPassedRun(): Promise<RunRecord | undefined>;
  /**
   * How `sql` checks log in: a role in the copy that can only read (read-only-role.ts), made on
   * first use and shared by the run's checks.
   */
  checkReader(): Promise<ConnectionInfo>;
  /** Where `command` checks run: the project root. */
  cwd: string;
  /** Values found in the data, as the drill shows them: keyed hashes unless `showExamples`. */
  examples: Examples;
}

interface CheckBase<Schema extends z.ZodType> {
  kind: string;
  schema: Schema;
  describe(options: z.output<Schema>): string;
  /** Option fields holding a secret: the drill must write them as `${VAR}` (cross-check.ts). */
  secretFields?: readonly string[];
}

/** Runs inside a read-only transaction with a statement timeout (the default and the norm). */
export interface ReadOnlyCheck<Schema extends z.ZodType = z.ZodType> extends CheckBase<Schema> {
  session?: "read-only";
  run(options: z.output<Schema>, db: Queryable, ctx: CheckContext): Promise<CheckOutput>;
}

/**
 * Gets the connection info and opens what it needs itself: `command` (a child process) and
 * `amcheck` (which may have to create its extension, a write, before reading).
 */
export interface ConnectionCheck<Schema extends z.ZodType = z.ZodType> extends CheckBase<Schema> {
  session: "own";
  run(options: z.output<Schema>, ctx: CheckContext): Promise<CheckOutput>;
}

/** One kind of check inside `verify`: its schema, a default name, and how to run it. */
export type CheckKind<Schema extends z.ZodType = z.ZodType> =
  ReadOnlyCheck<Schema> | ConnectionCheck<Schema>;

export const defineCheck = <S extends z.ZodType>(check: ReadOnlyCheck<S>): ReadOnlyCheck<S> =>
  check;

export const defineConnectionCheck = <S extends z.ZodType>(
  check: ConnectionCheck<S>,
): ConnectionCheck<S> => check;

/**
 * The restored copy differs from what the drill expected (a table or column is missing): the
 * check fails with this message instead of erroring, because that difference is the finding.
 */
export class CheckFailure extends Error {
  constructor(
    message: string,
    /** Shown in the summary as "measured …, expected …". */
    readonly measured: string,
    readonly expected: string,
  ) {
    super(message);
    this.name = "CheckFailure";
  }
}
