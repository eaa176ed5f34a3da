import type { Timer } from "../../src/daemon/scheduler.js";

/** A clock and timers that move only when the test says: the scheduler tested without sleeping. */
export function fakeTime(start: number) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const timer: Timer = {
    set(fn, ms) {
      timers.set(++seq, { at: now + Math.max(0, ms), fn });
      return seq;
    },
    clear(handle) {
      timers.delete(handle as number);
    },
  };
  return {
    clock: { now: () => now },
    timer,
    pending: () => timers.size,
    /** Move to `t`, firing every timer due on the way in time order (promises settle between). */
    async advanceTo(t: number) {
      for (;;) {
        const due = [...timers].filter(([, x]) => x.at <= t).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
        await settle();
      }
      now = t;
      await settle();
    },
  };
}

export const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};
