import { describe, expect, it } from "vitest";
import { mapLimit } from "../../src/pool.js";
import { drillOfRunId, newRunId } from "../../src/run-id.js";
import { sleep } from "../../src/sleep.js";

describe("mapLimit", () => {
  it("keeps input order and never runs more than the limit at once", async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimit([30, 5, 20, 1, 10], 2, async (ms, i) => {
      most = Math.max(most, ++running);
      await sleep(ms);
      running--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(["0:30", "1:5", "2:20", "3:1", "4:10"]);
    expect(most).toBe(2);
  });

  it("rejects with the first error and starts nothing after it", async () => {
    const started: number[] = [];
    const call = mapLimit([1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error("two failed");
      return n;
    });
    await expect(call).rejects.toThrow("two failed");
    expect(started).toEqual([1, 2]);
  });

  it("returns an empty list for no items", async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});

describe("sleep", () => {
  it("ends early on abort with the signal's own reason", async () => {
    const controller = new AbortController();
    const reason = new Error("stopped by the user");
    const started = performance.now();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const reason = new Error("already");
    await expect(sleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});

describe("run ids", () => {
  it("round-trip the drill name, hyphens included", () => {
    const id = newRunId("orders-restore", Date.UTC(2026, 10, 28, 16, 59, 0));
    expect(id).toMatch(/^20261128-165900-orders-restore-[0-9a-f]{4}$/);
    expect(drillOfRunId(id)).toBe("orders-restore");
  });

  it("say undefined for what is not a run id", () => {
    expect(drillOfRunId("orders-restore")).toBeUndefined();
    expect(drillOfRunId("20261128-165900-Orders-3f9a")).toBeUndefined();
  });
});
