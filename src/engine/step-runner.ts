import { DrillError, toErrorRecord } from "../errors.js";
import { formatDuration } from "../duration.js";
import type { StepContext, StepResult } from "../steps/types.js";
import type { ErrorRecord, StepOutcome } from "../types.js";

export interface StepRun {
  outcome: StepOutcome;
  details: Record<string, unknown>;
  findings: string[];
  error?: ErrorRecord;
  /** The error's kind, so the CLI can tell bad input (2) from a platform failure (3). */
  errorKind?: DrillError["kind"];
}

/**
 * Run one step with its timeout. The step gets a signal that fires on timeout or interrupt;
 * the race makes sure a step that ignores its signal still cannot hold the run: whatever it
 * created is registered for cleanup, which runs next whatever this returns.
 */
export async function runStep(
  run: (ctx: StepContext) => Promise<StepResult>,
  makeContext: (signal: AbortSignal) => StepContext,
  runSignal: AbortSignal,
  timeoutMs: number,
): Promise<StepRun> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () =>
      timeout.abort(
        new DrillError("failed", "STEP_TIMEOUT", `timed out after ${formatDuration(timeoutMs)}`),
      ),
    timeoutMs,
  );
  const signal = AbortSignal.any([runSignal, timeout.signal]);
  let stopWaiting: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    stopWaiting = () => signal.removeEventListener("abort", onAbort);
  });
  aborted.catch(() => {});
  try {
    signal.throwIfAborted();
    const result: StepResult = await Promise.race([run(makeContext(signal)), aborted]);
    return { outcome: result.outcome, details: result.details, findings: result.findings ?? [] };
  } catch (e) {
    if (runSignal.aborted) {
      return {
        outcome: "interrupted",
        details: {},
        findings: [],
        error: { code: "INTERRUPTED", message: "interrupted" },
      };
    }
    if (timeout.signal.aborted) {
      // Not finishing in time is the drill failing its own budget, not the platform breaking.
      const error = toErrorRecord(timeout.signal.reason);
      return { outcome: "failed", details: {}, findings: [error.message], error };
    }
    const error = toErrorRecord(e);
    const errorKind = e instanceof DrillError ? e.kind : "platform";
    return { outcome: "error", details: {}, findings: [error.message], error, errorKind };
  } finally {
    clearTimeout(timer);
    stopWaiting();
  }
}
