import { describe, expect, it } from "vitest";
import { buildMatrix, type DrillInput } from "../../src/controls/matrix.js";
import { parseSince, wholeMonths } from "../../src/controls/period.js";
import { controlGaps, gapsText } from "../../src/controls/format.js";
import { DrillError } from "../../src/errors.js";
import type { RunRecord } from "../../src/types.js";
import { runAt } from "./fixture.js";

const NOW = Date.parse("2026-12-02T14:00:00Z");
const at = (iso: string) => Date.parse(iso);

describe("--since", () => {
  it("reads spans back from now by the calendar, and dates", () => {
    expect(new Date(parseSince("12mo", NOW)).toISOString()).toBe("2025-12-02T14:00:00.000Z");
    expect(new Date(parseSince("1y", NOW)).toISOString()).toBe("2025-12-02T14:00:00.000Z");
    expect(new Date(parseSince("3mo", at("2026-05-31T00:00:00Z"))).toISOString()).toBe(
      "2026-03-03T00:00:00.000Z",
    );
    expect(parseSince("90d", NOW)).toBe(NOW - 90 * 86_400_000);
    expect(parseSince("52w", NOW)).toBe(NOW - 364 * 86_400_000);
    expect(parseSince("2026-01-01", NOW)).toBe(at("2026-01-01T00:00:00Z"));
    expect(parseSince("2026-01-01T12:00:00+02:00", NOW)).toBe(at("2026-01-01T10:00:00Z"));
  });

  it.each(["12", "12months", "0mo", "-3d", "2026-13-45", "2027-01-01", "yesterday", ""])(
    "refuses %j as an input error (exit 2)",
    (text) => {
      let error: unknown;
      try {
        parseSince(text, NOW);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DrillError);
      expect((error as DrillError).exitCode).toBe(2);
      expect((error as DrillError).message).toMatch(/^--since /);
    },
  );

  it("judges only whole months inside the period", () => {
    expect(wholeMonths(at("2025-12-02T14:00:00Z"), NOW)).toEqual([
      "2026-01",
      "2026-02",
      "2026-03",
      "2026-04",
      "2026-05",
      "2026-06",
      "2026-07",
      "2026-08",
      "2026-09",
      "2026-10",
      "2026-11",
    ]);
    expect(wholeMonths(at("2026-10-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))).toEqual([
      "2026-10",
      "2026-11",
    ]);
    expect(wholeMonths(at("2026-11-15T00:00:00Z"), NOW)).toEqual([]);
  });
});

const drills: DrillInput[] = [
  { name: "orders", schedule: "0 4 * * 1", controls: ["ISO27001-A.8.13", "DORA-12"] },
  { name: "failover", controls: ["ISO27001-A.8.14", "DORA-12"], description: "fails over" },
  { name: "idle", schedule: "0 4 1 * *", controls: ["SOC2-A1.3"] },
  { name: "lonely", controls: ["NIST-CP-4"] },
  { name: "none", controls: [] },
];
const runs = new Map<string, RunRecord[]>([
  [
    "orders",
    [
      runAt("orders", at("2025-06-01T04:00:00Z")),
      runAt("orders", at("2026-09-07T04:00:00Z")),
      runAt("orders", at("2026-10-05T04:00:00Z"), "failed"),
      runAt("orders", at("2026-10-12T04:00:00Z"), "error"),
      runAt("orders", at("2026-11-02T04:00:00Z"), "passed", { rtoMs: 50 * 60_000 }),
      runAt("orders", at("2026-11-30T04:00:00Z"), "failed"),
      runAt("orders", at("2026-12-05T04:00:00Z")), // after now: not counted
    ],
  ],
  ["failover", [runAt("failover", at("2026-11-10T10:00:00Z"))]],
  ["idle", [runAt("idle", at("2025-01-01T04:00:00Z"))]],
]);
const matrix = buildMatrix({
  drills,
  runs,
  signatures: new Map([[runs.get("orders")![1]!.id, "edited"]]),
  since: at("2026-09-01T00:00:00Z"),
  now: NOW,
});
const control = (id: string) => matrix.controls.find((c) => c.id === id)!;
const evidence = (id: string, drill: string) => control(id).drills.find((d) => d.drill === drill)!;

describe("the control matrix", () => {
  it("lists every known control in order, each with the drills that declare it", () => {
    expect(matrix.controls.map((c) => c.id)).toHaveLength(12);
    expect(matrix.controls[0]!).toMatchObject({
      id: "ISO27001-A.8.13",
      framework: "ISO 27001:2022",
      description: "backups kept and tested per policy",
    });
    expect(control("DORA-12").drills.map((d) => d.drill)).toEqual(["failover", "orders"]);
    expect(control("HIPAA-164.308a7iiB").drills).toEqual([]);
    expect(controlGaps(control("HIPAA-164.308a7iiB"))).toBe("no drill");
    expect(matrix.period).toEqual({
      since: "2026-09-01T00:00:00.000Z",
      until: "2026-12-02T14:00:00.000Z",
      months: ["2026-09", "2026-10", "2026-11"],
    });
  });

  it("keeps the runs of the period newest first, RTO and RPO beside their objectives", () => {
    const orders = evidence("ISO27001-A.8.13", "orders");
    expect(orders.runs.map((r) => [r.startedAt.slice(0, 10), r.outcome])).toEqual([
      ["2026-11-30", "failed"],
      ["2026-11-02", "passed"],
      ["2026-10-12", "error"],
      ["2026-10-05", "failed"],
      ["2026-09-07", "passed"],
    ]);
    expect(orders.runs[1]!.rto).toEqual({
      measuredMs: 3_000_000,
      objectiveMs: 2_700_000,
      met: false,
    });
    expect(orders.runs[0]!.rpo).toEqual({
      measuredMs: 10_800_000,
      objectiveMs: 93_600_000,
      met: true,
    });
    expect(orders.runs[0]!.findings).toEqual(["verify: rowCount orders: measured 0"]);
    expect(orders.runs.map((r) => r.signature)).toEqual([
      "unknown",
      "unknown",
      "unknown",
      "unknown",
      "edited",
    ]);
    expect(orders.passed).toBe(2);
  });

  it("finds a gap in a month with only failed runs, and the last success", () => {
    const orders = evidence("DORA-12", "orders");
    expect(orders.gaps).toEqual(["2026-10"]);
    expect(orders.lastSuccess?.startedAt).toBe("2026-11-02T04:00:00.000Z");
    expect(controlGaps(control("DORA-12"))).toBe("orders: 2026-10");
  });

  it("makes every month a gap for a scheduled drill that has not passed in the period; its last success may be older", () => {
    const idle = evidence("SOC2-A1.3", "idle");
    expect(idle.runs).toEqual([]);
    expect(idle.gaps).toEqual(["2026-09", "2026-10", "2026-11"]);
    expect(idle.lastSuccess?.startedAt).toBe("2025-01-01T04:00:00.000Z");
  });

  it("does not judge months of a drill without a schedule, but a drill with no passed run is a gap", () => {
    const failover = evidence("ISO27001-A.8.14", "failover");
    expect(failover).toMatchObject({
      schedule: null,
      gaps: null,
      passed: 1,
      description: "fails over",
    });
    expect(gapsText(failover)).toBe("no schedule: months not judged");
    expect(controlGaps(control("ISO27001-A.8.14"))).toBe("not judged (no schedule)");
    const lonely = evidence("NIST-CP-4", "lonely");
    expect(lonely).toMatchObject({ gaps: null, passed: 0, lastSuccess: null, runs: [] });
    expect(controlGaps(control("NIST-CP-4"))).toBe(
      "lonely: no passed run in the period (no schedule)",
    );
  });
});

describe("gaps follow the schedule", () => {
  const judge = (schedule: string, timezone?: string, passedAt: string[] = []) => {
    const drill: DrillInput = {
      name: "yearly",
      schedule,
      controls: ["DORA-11"],
      ...(timezone ? { timezone } : {}),
    };
    const runs = new Map([["yearly", passedAt.map((iso) => runAt("yearly", at(iso)))]]);
    const m = buildMatrix({
      drills: [drill],
      runs,
      signatures: new Map(),
      since: at("2025-12-02T14:00:00Z"),
      now: NOW,
    });
    return m.controls.find((c) => c.id === "DORA-11")!.drills[0]!.gaps;
  };

  it("judges a quarterly drill only in the months it was due", () => {
    expect(judge("0 4 1 1,4,7,10 *")).toEqual(["2026-01", "2026-04", "2026-07", "2026-10"]);
    expect(judge("0 4 1 1,4,7,10 *", undefined, ["2026-04-01T04:10:00Z"])).toEqual([
      "2026-01",
      "2026-07",
      "2026-10",
    ]);
  });

  it("places a due time by the drill's timezone: 1 March 00:30 in Berlin is February in UTC", () => {
    expect(judge("30 0 1 3 *", "Europe/Berlin")).toEqual(["2026-02"]);
    expect(judge("30 0 1 3 *")).toEqual(["2026-03"]);
  });
});
