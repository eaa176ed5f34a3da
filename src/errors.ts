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

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "DrillError";
    this.kind = kind;
    this.code = code;
    this.hint = opts.hint;
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

export function toErrorRecord(e: unknown): { code: string; message: string; hint?: string } {
  if (e instanceof DrillError) {
    return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
  if (isAbortError(e)) return { code: "ABORTED", message: "aborted" };
  const message = e instanceof Error ? e.message : String(e);
  return { code: "UNEXPECTED", message };
}
