import { withSession } from "../db.js";
import { DrillError, isAbortError } from "../errors.js";
import { errorText } from "../redact.js";
import type { Clock, ConnectionInfo } from "../types.js";
import { ensureCheckReader } from "./read-only-role.js";
import { checkKinds } from "./registry.js";
import { CheckFailure, type CheckContext, type CheckOutput, type CheckRecord } from "./types.js";
import { mapLimit } from "../pool.js";

export interface RunChecksOptions extends Omit<CheckContext, "now" | "timeoutMs" | "checkReader"> {
  concurrency: number;
  statementTimeoutMs: number;
  clock: Clock;
  progress(message: string): void;
}

/**
 * Run checks with at most `concurrency` at once. Built-in SQL checks each get their own read-only
 * transaction with a statement timeout; `own`-session checks (command, amcheck, and `sql`, which
 * runs user text and so logs in as the read-only reader) get the connection info. A check that
 * errors (bad SQL, a timeout) is reported as that check's error; the others still run. Only an
 * abort stops them all.
 */
export async function runChecks(
  checks: [string, unknown][],
  opts: RunChecksOptions,
): Promise<CheckRecord[]> {
  // Made once per run, on the first sql check that asks; a failure errors each sql check.
  let reader: Promise<ConnectionInfo> | undefined;
  const checkReader = () => (reader ??= ensureCheckReader(opts.admin));
  let done = 0;
  return mapLimit(checks, opts.concurrency, async ([kind, options]) => {
    const result = await runOne(kind, options, opts, checkReader);
    done++;
    opts.progress(`${done}/${checks.length} checks`);
    return result;
  });
}

async function runOne(
  kind: string,
  options: unknown,
  opts: RunChecksOptions,
  checkReader: CheckContext["checkReader"],
): Promise<CheckRecord> {
  const check = checkKinds[kind]!;
  const name = check.describe(options);
  const started = opts.clock.now();
  const ctx: CheckContext = {
    connection: opts.connection,
    admin: opts.admin,
    signal: opts.signal,
    timeoutMs: opts.statementTimeoutMs,
    now: () => opts.clock.now(),
    snapshotTakenAt: opts.snapshotTakenAt,
    previousPassedRun: opts.previousPassedRun,
    cwd: opts.cwd,
    examples: opts.examples,
    checkReader,
  };
  const elapsed = () => opts.clock.now() - started;
  try {
    const out: CheckOutput =
      check.session === "own"
        ? await check.run(options, ctx)
        : await withSession(opts.connection, (db) => check.run(options, db, ctx), {
            signal: opts.signal,
            statementTimeoutMs: opts.statementTimeoutMs,
            readOnly: true,
            applicationName: "drill verify",
          });
    return {
      name,
      kind,
      outcome: out.passed ? "passed" : "failed",
      measured: out.measured,
      expected: out.expected,
      durationMs: elapsed(),
      ...(out.message !== undefined ? { message: out.message } : {}),
      ...(out.details !== undefined ? { details: out.details } : {}),
    };
  } catch (e) {
    if (isAbortError(e) || opts.signal.aborted) throw e;
    if (e instanceof CheckFailure) {
      const base = {
        name,
        kind,
        measured: e.measured,
        expected: e.expected,
        durationMs: elapsed(),
      };
      return { ...base, outcome: "failed", message: e.message };
    }
    // A query the data made fail (a cast, a division) quotes the value: errorText cuts it.
    const message = errorText(e);
    const hint = e instanceof DrillError && e.hint ? ` (hint: ${e.hint})` : "";
    return {
      name,
      kind,
      outcome: "error",
      expected: "",
      durationMs: elapsed(),
      message: message + hint,
    };
  }
}
