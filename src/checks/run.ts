import { withSession } from "../db.js";
import { isAbortError } from "../errors.js";
import type { Clock, CheckResult, ConnectionInfo } from "../types.js";
import { checkKinds } from "./registry.js";

export interface RunChecksOptions {
  concurrency: number;
  statementTimeoutMs: number;
  signal: AbortSignal;
  clock: Clock;
  progress(message: string): void;
}

/**
 * Run checks with at most `concurrency` at once, each in its own read-only transaction with a
 * statement timeout. A check that errors (bad SQL, a timeout) is reported as that check's error;
 * the others still run. Only an abort stops them all.
 */
export async function runChecks(
  checks: [string, unknown][],
  conn: ConnectionInfo,
  opts: RunChecksOptions,
): Promise<CheckResult[]> {
  const results: CheckResult[] = new Array(checks.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < checks.length) {
      const i = next++;
      const [kind, options] = checks[i]!;
      results[i] = await runOne(kind, options, conn, opts);
      done++;
      opts.progress(`${done}/${checks.length} checks`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, checks.length) }, worker));
  return results;
}

async function runOne(
  kind: string,
  options: unknown,
  conn: ConnectionInfo,
  opts: RunChecksOptions,
): Promise<CheckResult> {
  const check = checkKinds[kind]!;
  const name = check.describe(options);
  const started = opts.clock.now();
  try {
    const out = await withSession(conn, (db) => check.run(options, db), {
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
      durationMs: opts.clock.now() - started,
    };
  } catch (e) {
    if (isAbortError(e) || opts.signal.aborted) throw e;
    return {
      name,
      kind,
      outcome: "error",
      expected: "",
      durationMs: opts.clock.now() - started,
      message: e instanceof Error ? e.message : String(e),
    };
  }
}
