import { describe, expect, it } from "vitest";
import { drillSchema } from "../../src/definitions/drill.js";
import { resolveSteps } from "../../src/definitions/steps.js";
import { summarize, type ProbeWrite } from "../../src/failover/probe.js";
import { failoverSafety, failoverSteps } from "../../src/failover/safety.js";
import { insideWindow, parseWindow } from "../../src/failover/window.js";

const at = (iso: string) => Date.parse(iso);
const drill = (over: object = {}) => ({ name: "orders-failover", ...over });
const prod = { target: "production", path: "steps[1].failover" };
const ok = { confirmProduction: false, fromDaemon: false, now: at("2026-12-01T09:30:00Z") };

describe("failoverSafety", () => {
  it("lets a staging failover through whatever the flags", () => {
    expect(failoverSafety(drill(), { target: "staging" }, ok)).toEqual([]);
  });

  it("refuses production unless the drill says production: true", () => {
    expect(failoverSafety(drill(), prod, { ...ok, confirmProduction: true })).toEqual([
      'steps[1].failover: target "production" fails over a production database; the drill must say `production: true` to allow it',
    ]);
  });

  it("on demand needs --confirm-production", () => {
    const d = drill({ production: true });
    expect(failoverSafety(d, prod, ok)).toEqual([
      'steps[1].failover: target "production" fails over a production database; run it with --confirm-production to confirm (drill orders-failover)',
    ]);
    expect(failoverSafety(d, prod, { ...ok, confirmProduction: true })).toEqual([]);
  });

  it("from the daemon only inside the window, in the window's time zone", () => {
    const d = drill({ production: true, window: "Tue 10:00-12:00 Europe/Berlin" });
    const daemon = { ...ok, fromDaemon: true };
    // 2026-12-01 is a Tuesday; 09:30Z is 10:30 in Berlin (CET, UTC+1).
    expect(failoverSafety(d, prod, daemon)).toEqual([]);
    expect(failoverSafety(d, prod, { ...daemon, now: at("2026-12-01T08:59:00Z") })).toEqual([
      'steps[1].failover: target "production" fails over a production database; now is outside its window "Tue 10:00-12:00 Europe/Berlin"',
    ]);
    expect(failoverSafety(drill({ production: true }), prod, daemon)).toEqual([
      'steps[1].failover: target "production" fails over a production database; the daemon runs it only inside the drill\'s `window`, and it has none',
    ]);
  });

  it("finds every failover step of a parsed drill", () => {
    const d = drillSchema.parse({
      name: "x",
      environment: "sandbox",
      production: true,
      window: "Mon-Fri 09:00-17:00",
      steps: [
        { restore: { from: { snapshot: "latest" } } },
        { failover: { target: "production", mode: "switchover" } },
        { failover: {} },
      ],
    });
    expect(failoverSteps(resolveSteps(d))).toEqual([
      { target: "production", path: "steps[1].failover" },
      { target: "staging", path: "steps[2].failover" },
    ]);
  });
});

describe("windows", () => {
  it("parses days, ranges, zones, and refuses nonsense", () => {
    expect(parseWindow("Mon-Wed 22:00-02:00 UTC")).toEqual({
      days: new Set([1, 2, 3]),
      startMin: 1320,
      endMin: 120,
      timeZone: "UTC",
    });
    expect(parseWindow("Fri-Mon 10:00-11:00")).toMatchObject({ days: new Set([5, 6, 0, 1]) });
    expect(parseWindow("Tue 10:00-12:00 Mars/Olympus")).toBe(
      'unknown time zone "Mars/Olympus" (expected an IANA name such as Europe/Berlin)',
    );
    expect(parseWindow("Tues 25:00-12:00")).toBe('invalid time in window "Tues 25:00-12:00"');
    expect(parseWindow("someday 10:00-12:00")).toBe(
      'unknown day "someday" (use Mon … Sun, ranges such as Mon-Fri, or daily)',
    );
    expect(parseWindow("at ten")).toBe(
      'expected a window such as "Tue 10:00-12:00 Europe/Berlin" or "Mon-Fri 09:00-17:00"',
    );
  });

  it("a window past midnight belongs to the day it starts", () => {
    const w = parseWindow("Sat 22:00-02:00 UTC");
    if (typeof w === "string") throw new Error(w);
    expect(insideWindow(w, at("2026-12-05T23:00:00Z"))).toBe(true); // Saturday night
    expect(insideWindow(w, at("2026-12-06T01:59:00Z"))).toBe(true); // Sunday early
    expect(insideWindow(w, at("2026-12-06T02:00:00Z"))).toBe(false);
    expect(insideWindow(w, at("2026-12-05T01:00:00Z"))).toBe(false); // Saturday early
  });

  it("the drill schema reports a bad window", () => {
    const r = drillSchema.safeParse({
      name: "x",
      environment: "sandbox",
      window: "Tue 10-12",
      steps: [{ restore: { from: { snapshot: "latest" } } }],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "window",
        'expected a window such as "Tue 10:00-12:00 Europe/Berlin" or "Mon-Fri 09:00-17:00"',
      ],
    ]);
  });
});

describe("probe report", () => {
  const w = (id: number, sentAt: number, ackAt?: number, node = "a"): ProbeWrite => ({
    id,
    sentAt,
    node,
    ...(ackAt !== undefined ? { ackAt } : {}),
  });

  it("downtime is the first acknowledged write after the outage minus the last before", () => {
    const writes = [
      w(1, 0, 5),
      w(2, 100, 104),
      w(3, 200), // cut off in flight: committed after all
      w(4, 230), // refused: never committed
      w(5, 900, 910, "b"),
      w(6, 1000, 1003, "b"),
    ];
    const r = summarize(writes, new Set([1, 2, 3, 5, 6]), 150, 10, ["a", "b"]);
    expect(r).toEqual({
      writesPerSecond: 10,
      resolutionMs: 100,
      attempted: 6,
      acknowledged: 4,
      downtimeMs: 806,
      lastAckBefore: { id: 2, at: new Date(104).toISOString(), node: "a" },
      firstAckAfter: { id: 5, at: new Date(910).toISOString(), node: "b" },
      lostWrites: 0,
      lostIds: [],
      committedUnacknowledged: 1,
      failedUncommitted: 1,
      nodes: ["a", "b"],
    });
  });

  it("an acknowledged write the new primary lacks is lost", () => {
    const writes = [w(1, 0, 5), w(2, 100, 104), w(3, 200), w(4, 900, 910)];
    const r = summarize(writes, new Set([1, 4]), 150, 10);
    expect([r.lostWrites, r.lostIds, r.failedUncommitted, r.downtimeMs]).toEqual([1, [2], 1, 806]);
  });

  it("with no failed write, the longest pause after the trigger", () => {
    const writes = [w(1, 0, 5), w(2, 100, 104), w(3, 200, 700), w(4, 800, 805)];
    expect(summarize(writes, new Set([1, 2, 3, 4]), 150, 10).downtimeMs).toBe(596);
  });
});
