import type { ErrorRecord } from "./types.js";
import { errorText, isPgError, pgFacts, type PgFacts } from "./redact.js";

/**
 * One error type for everything drill reports. The code names what failed, the hint says what
 * to do. The CLI maps `exitCode` to the process exit code; nothing else exits.
 */
export type ExitCode = 0 | 1 | 2 | 3 | 130;

export type ErrorKind = "input" | "platform" | "failed" | "interrupted";

const EXIT_BY_KIND: Record<ErrorKind, ExitCode> = {
  input: 2,
  platform: 3,
  failed: 1,
  interrupted: 130,
};

export class DrillError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly kind: ErrorKind;
  /** The PostgreSQL error behind it: code and names, never values (see redact.ts). */
  readonly postgres: PgFacts | undefined;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    opts: { hint?: string; cause?: unknown; postgres?: PgFacts } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "DrillError";
    this.kind = kind;
    this.code = code;
    this.hint = opts.hint;
    this.postgres = opts.postgres;
  }

  get exitCode(): ExitCode {
    return EXIT_BY_KIND[this.kind];
  }
}

/** A user mistake: bad usage or an invalid file. Exit 2. */
export const inputError = (code: string, message: string, hint?: string) =>
  new DrillError("input", code, message, hint ? { hint } : {});

/** The platform failed: PostgreSQL would not start, a tool is missing, AWS unreachable. Exit 3. */
export const platformError = (code: string, message: string, hint?: string, cause?: unknown) =>
  new DrillError("platform", code, message, { ...(hint ? { hint } : {}), cause });

export const isAbortError = (e: unknown): boolean =>
  e instanceof Error && (e.name === "AbortError" || (e as { code?: string }).code === "ABORT_ERR");

/** What a data error's record says instead of the value it leaves out. */
const PG_HINTS: Record<string, string> = {
  "22": "a value in the database does not fit the statement; records never hold values, so look for it in the copy by table and column",
  "23": "rows in the database break a constraint; records never hold the key's values",
};

export function toErrorRecord(e: unknown): ErrorRecord {
  if (e instanceof DrillError) {
    return {
      code: e.code,
      message: e.message,
      ...(e.hint ? { hint: e.hint } : {}),
      ...(e.postgres ? { postgres: e.postgres } : {}),
    };
  }
  if (isAbortError(e)) return { code: "ABORTED", message: "aborted" };
  if (isPgError(e)) {
    const hint = PG_HINTS[e.code.slice(0, 2)];
    return {
      code: "POSTGRES_ERROR",
      message: errorText(e),
      ...(hint ? { hint } : {}),
      postgres: pgFacts(e),
    };
  }
  return { code: "UNEXPECTED", message: errorText(e) };
}
