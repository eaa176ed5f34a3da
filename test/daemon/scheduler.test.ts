import { describe, expect, it } from "vitest";
import { LocalCoordinator } from "../../src/daemon/coordinator.js";
import { cronSchedule } from "../../src/daemon/cron.js";
import { Dispatcher, type SkipReason } from "../../src/daemon/dispatcher.js";
import { Scheduler } from "../../src/daemon/scheduler.js";
import { silentLogger } from "../../src/log.js";
import type { RunRecord } from "../../src/types.js";
import { record } from "../history/helpers.js";
import { fakeTime, settle } from "./fake-time.js";

const T0 = Date.parse("2026-11-28T21:50:00Z"); // a Saturday
const iso = (t: number) => new Date(t).toISOString();

describe("scheduler", () => {
  it("fires at the right minutes, in each drill's timezone", async () => {
    const time = fakeTime(T0);
    const fired: string[] = [];
    const scheduler = new Scheduler({
      ...time,
      onDue: (drill, slot) => fired.push(`${drill} ${iso(slot)} at ${iso(time.clock.now())}`),
    });
    scheduler.set([
      { name: "quarter", schedule: cronSchedule("*/15 * * * *") },
      // Sunday 00:05 in Berlin (UTC+1) is Saturday 23:05 UTC.
      { name: "berlin", schedule: cronSchedule("5 0 * * 0", "Europe/Berlin") },
      { name: "ny", schedule: cronSchedule("5 0 * * 0", "America/New_York") },
    ]);
    scheduler.start();
    await time.advanceTo(Date.parse("2026-11-29T00:00:00Z"));
    scheduler.stop();
    expect(fired).toEqual([
      "quarter 2026-11-28T22:00:00.000Z at 2026-11-28T22:00:00.000Z",
      "quarter 2026-11-28T22:15:00.000Z at 2026-11-28T22:15:00.000Z",
      "quarter 2026-11-28T22:30:00.000Z at 2026-11-28T22:30:00.000Z",
      "quarter 2026-11-28T22:45:00.000Z at 2026-11-28T22:45:00.000Z",
      "quarter 2026-11-28T23:00:00.000Z at 2026-11-28T23:00:00.000Z",
      "berlin 2026-11-28T23:05:00.000Z at 2026-11-28T23:05:00.000Z",
      "quarter 2026-11-28T23:15:00.000Z at 2026-11-28T23:15:00.000Z",
      "quarter 2026-11-28T23:30:00.000Z at 2026-11-28T23:30:00.000Z",
      "quarter 2026-11-28T23:45:00.000Z at 2026-11-28T23:45:00.000Z",
      "quarter 2026-11-29T00:00:00.000Z at 2026-11-29T00:00:00.000Z",
    ]);
    expect(time.pending()).toBe(0);
    // New York's Sunday 00:05 is 05:05 UTC.
    expect(iso(scheduler.nextRuns().get("ny")!)).toBe("2026-11-29T05:05:00.000Z");
  });

  it("fires a slot missed while the process slept once, then keeps to the schedule", async () => {
    const time = fakeTime(T0);
    const fired: string[] = [];
    const scheduler = new Scheduler({ ...time, onDue: (_d, slot) => fired.push(iso(slot)) });
    scheduler.set([{ name: "m", schedule: cronSchedule("* * * * *") }]);
    scheduler.start();
    // The timer fires late (a suspended VM): three slots passed, one run.
    time.timer.clear(1);
    await time.advanceTo(T0 + 3.5 * 60_000);
    expect(fired).toEqual([]);
    scheduler.set([{ name: "m", schedule: cronSchedule("* * * * *") }]); // re-arms
    await time.advanceTo(T0 + 3.5 * 60_000);
    await time.advanceTo(T0 + 4 * 60_000);
    scheduler.stop();
    expect(fired).toEqual(["2026-11-28T21:51:00.000Z", "2026-11-28T21:54:00.000Z"]);
  });
});

describe("dispatcher", () => {
  function setup(maxConcurrent: number) {
    const time = fakeTime(T0);
    const started: string[] = [];
    const skipped: string[] = [];
    const finish = new Map<string, () => void>();
    const dispatcher = new Dispatcher({
      maxConcurrent,
      coordinator: new LocalCoordinator(),
      timer: time.timer,
      leaseTtlMs: 60_000,
      log: silentLogger,
      execute: (drill) =>
        new Promise<RunRecord>((resolve) => {
          started.push(drill);
          finish.set(drill, () => resolve(record(drill, 0)));
        }),
      onSkip: (drill: string, reason: SkipReason) => skipped.push(`${drill} ${reason}`),
    });
    return { time, dispatcher, started, skipped, finish };
  }

  it("skips a slot that overlaps the drill's previous run", async () => {
    const { time, dispatcher, started, skipped, finish } = setup(2);
    const scheduler = new Scheduler({ ...time, onDue: (d, at) => dispatcher.due(d, at) });
    scheduler.set([{ name: "slow", schedule: cronSchedule("* * * * *") }]);
    scheduler.start();
    await time.advanceTo(T0 + 60_000); // 21:51: starts
    await time.advanceTo(T0 + 120_000); // 21:52: still running, skipped
    expect(started).toEqual(["slow"]);
    expect(skipped).toEqual(["slow overlap"]);
    finish.get("slow")!();
    await settle();
    await time.advanceTo(T0 + 180_000); // 21:53: runs again
    scheduler.stop();
    expect(started).toEqual(["slow", "slow"]);
    finish.get("slow")!();
    await dispatcher.idle();
  });

  it("runs at most maxConcurrent drills; the others wait their turn", async () => {
    const { dispatcher, started, skipped, finish } = setup(1);
    dispatcher.due("a", T0);
    dispatcher.due("b", T0);
    dispatcher.due("b", T0); // already waiting: skipped, not queued twice
    await settle();
    expect(started).toEqual(["a"]);
    expect(skipped).toEqual(["b overlap"]);
    finish.get("a")!();
    await settle();
    expect(started).toEqual(["a", "b"]);
    finish.get("b")!();
    await dispatcher.idle();
    expect(dispatcher.running).toBe(0);
  });

  it("aborts running drills on shutdown and waits for them", async () => {
    const time = fakeTime(T0);
    let sawAbort = false;
    const dispatcher = new Dispatcher({
      maxConcurrent: 1,
      coordinator: new LocalCoordinator(),
      timer: time.timer,
      leaseTtlMs: 60_000,
      log: silentLogger,
      execute: (drill, signal) =>
        new Promise<RunRecord>((resolve) =>
          signal.addEventListener("abort", () => {
            sawAbort = true;
            resolve(record(drill, 0, "interrupted"));
          }),
        ),
    });
    dispatcher.due("x", T0);
    await settle();
    expect(await dispatcher.shutdown(30_000, new Error("SIGTERM"))).toBe(true);
    expect(sawAbort).toBe(true);
    dispatcher.due("x", T0 + 60_000); // no new runs after shutdown
    expect(dispatcher.running).toBe(0);
  });
});
