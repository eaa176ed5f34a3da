import { setTimeout as wait } from "node:timers/promises";

/**
 * Waits `ms`; an abort ends the wait early by throwing the signal's own reason (as
 * `signal.throwIfAborted()` does), not Node's generic AbortError, so callers classify it alike.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await wait(ms, undefined, signal ? { signal } : undefined);
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
}
