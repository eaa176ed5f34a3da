import cron from "node-cron";
import { describe, expect, it } from "vitest";
import {
  cronProblem,
  cronSchedule,
  expectedInterval,
  timezoneProblem,
} from "../../src/daemon/cron.js";

const PATTERNS = [
  "0 4 * * 1",
  "*/15 * * * *",
  "0 0 1 * *",
  "0 9 * * MON-FRI",
  "30 2 L * *",
  "0 0 * * 5#2",
  "30 2 * * *",
  "0 0 LW * *",
  "0 12 * * 5L",
  "15 0 * * 0,7",
  "*/20 * * * * *",
];
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"];

describe("cron schedules", () => {
  it("fires exactly when node-cron's own matcher matches, across DST changes", () => {
    const mismatches: string[] = [];
    for (const p of PATTERNS)
      for (const tz of ZONES) {
        const task = cron.createTask(p, () => {}, { timezone: tz });
        const schedule = cronSchedule(p, tz);
        // March: DST starts in Europe and the US; Lord Howe shifts by 30 minutes in April.
        let t = Date.parse("2026-03-07T00:00:00Z");
        const step = p.split(" ").length === 6 ? 1000 : 60_000;
        // Between fire times (the first two hours of each gap), node-cron must not match either.
        for (let i = 0; i < 8; i++) {
          const next = schedule.next(t)!;
          if (!task.match(new Date(next))) mismatches.push(`${p} ${tz} fired ${iso(next)}`);
          for (
            let u = Math.floor(t / step) * step + step;
            u < next && u < t + 2 * 3_600_000;
            u += step
          )
            if (task.match(new Date(u))) {
              mismatches.push(`${p} ${tz} skipped ${iso(u)}`);
              break;
            }
          t = next;
        }
        void task.destroy();
      }
    expect(mismatches).toEqual([]);
  });

  it("reads the expression in its timezone", () => {
    const berlin = cronSchedule("0 4 * * 1", "Europe/Berlin");
    // Monday 2026-11-30 04:00 in Berlin (UTC+1) is 03:00 UTC.
    expect(iso(berlin.next(Date.parse("2026-11-28T12:00:00Z"))!)).toBe("2026-11-30T03:00:00.000Z");
    expect(iso(cronSchedule("0 4 * * 1").next(Date.parse("2026-11-28T12:00:00Z"))!)).toBe(
      "2026-11-30T04:00:00.000Z",
    );
  });

  it("knows a schedule's interval", () => {
    const from = Date.parse("2026-11-28T12:00:00Z");
    expect(expectedInterval(cronSchedule("0 4 * * 1"), from)).toBe(7 * 86_400_000);
    expect(expectedInterval(cronSchedule("*/15 * * * *"), from)).toBe(900_000);
    // Weekdays only: the longest gap is Friday → Monday.
    expect(expectedInterval(cronSchedule("0 9 * * 1-5"), from)).toBe(3 * 86_400_000);
  });

  it("explains bad expressions and zones", () => {
    expect(cronProblem("61 * * * *")).toMatch(
      /^invalid cron expression "61 \* \* \* \*": 61 is a invalid expression for minute/,
    );
    expect(cronProblem("0 4 * * 1")).toBeUndefined();
    expect(timezoneProblem("Mars/Phobos")).toBe(
      'unknown timezone "Mars/Phobos" (an IANA name such as "Europe/Berlin" or "UTC")',
    );
    expect(timezoneProblem("Europe/Berlin")).toBeUndefined();
  });
});

const iso = (t: number) => new Date(t).toISOString();
