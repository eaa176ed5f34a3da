import { describe, expect, it } from "vitest";
import { esc } from "../../src/report/escape.js";
import { renderHtmlReport, trendRuns } from "../../src/report/html.js";
import { downtimeOf } from "../../src/report/timeline.js";
import type { StepRecord } from "../../src/types.js";
import { failedRunWithHistory, HOSTILE, runRecord } from "./records.js";

const count = (html: string, re: RegExp) => html.match(re)?.length ?? 0;

describe("renderHtmlReport", () => {
  it("escapes every text a record brings, in content, attributes and the title", () => {
    const { record, history } = failedRunWithHistory();
    record.drill = `a&b"<i>`;
    record.steps[1]!.name = `scrub"><svg onload=alert(1)>`;
    const html = renderHtmlReport(record, history);
    expect(esc(HOSTILE)).toBe("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(esc(HOSTILE));
    expect(html).not.toMatch(/<script|<img|<i>|<svg onload/i);
    expect(html).toContain(`<title>a&amp;b&quot;&lt;i&gt; failed`);
    expect(html).toContain(`data-step="scrub&quot;&gt;&lt;svg onload=alert(1)&gt;"`);
  });

  it("draws one timeline bar per step, skipped ones too, and is whole without history", () => {
    const record = runRecord({ at: "2026-11-28T10:00:00Z", restoreMs: 900, verifyMs: 300 });
    record.steps[1]!.outcome = "skipped";
    record.steps[1]!.startedAt = "";
    const html = renderHtmlReport(record, []);
    expect(count(html, /class="step-bar /g)).toBe(3);
    expect(html).toContain(`class="step-bar skipped"`);
    expect(count(html, /class="rto-point/g)).toBe(1);
    expect(html).toContain("Trend over the last 1 run<");
    expect(html).toMatch(/Not enough history to forecast the RTO \(0 runs with a known size/);
    expect(html).not.toContain("downtime");
    expect(html).toMatch(/<\/html>\n$/);
  });

  it("names an objective far above every run instead of flattening the chart", () => {
    const fast = runRecord({ at: "2026-11-28T10:00:00Z", restoreMs: 900, verifyMs: 300 });
    expect(renderHtmlReport(fast, [])).toContain(
      "objective 5m (above the chart: 250× the slowest run)",
    );
    const { record, history } = failedRunWithHistory();
    expect(count(renderHtmlReport(record, history), /<line class="objective"/g)).toBe(1);
  });
});

describe("trendRuns", () => {
  it("keeps the drill's runs up to the reported one, oldest first, each once, at most max", () => {
    const at = (d: number, drill = "orders") =>
      runRecord({ at: `2026-11-${10 + d}T10:00:00Z`, drill, restoreMs: 1, verifyMs: 1 });
    const reported = at(5);
    const history = [at(9), at(5), at(4), at(3, "other"), at(2), at(1)];
    const ids = (n: number) => trendRuns(reported, history, n).map((r) => r.startedAt.slice(8, 10));
    expect(ids(30)).toEqual(["11", "12", "14", "15"]);
    expect(ids(2)).toEqual(["14", "15"]);
  });

  it("leaves out slots the daemon skipped: they measured nothing", () => {
    const reported = runRecord({ at: "2026-11-15T10:00:00Z", restoreMs: 1, verifyMs: 1 });
    const skipped = {
      ...runRecord({ at: "2026-11-14T10:00:00Z", restoreMs: 1, verifyMs: 1 }),
      outcome: "skipped" as const,
    };
    expect(trendRuns(reported, [skipped]).map((r) => r.outcome)).toEqual([reported.outcome]);
  });
});

describe("downtimeOf", () => {
  const step = (details: Record<string, unknown>): StepRecord => ({
    name: "failover",
    kind: "failover",
    startedAt: "2026-11-28T10:00:10.000Z",
    durationMs: 20_000,
    outcome: "passed",
    details,
  });
  const runStart = Date.parse("2026-11-28T10:00:00.000Z");

  it("reads the probe's last acknowledged write before and first after", () => {
    const d = step({
      probe: {
        lastAckBefore: { at: "2026-11-28T10:00:15.000Z" },
        firstAckAfter: { at: "2026-11-28T10:00:17.500Z" },
      },
    });
    expect(downtimeOf(d, runStart)).toEqual({ startMs: 15_000, durationMs: 2_500 });
  });

  it("takes downtimeMs with a start offset or time, and nothing without a place to put it", () => {
    expect(downtimeOf(step({ downtimeMs: 800, downtimeStartMs: 2_000 }), runStart)).toEqual({
      startMs: 12_000,
      durationMs: 800,
    });
    expect(
      downtimeOf(
        step({ downtimeMs: 800, downtimeStartedAt: "2026-11-28T10:00:13.000Z" }),
        runStart,
      ),
    ).toEqual({ startMs: 13_000, durationMs: 800 });
    expect(downtimeOf(step({ downtimeMs: 800 }), runStart)).toBeUndefined();
    expect(
      downtimeOf(step({ probe: { downtimeMs: null, lastAckBefore: null } }), runStart),
    ).toBeUndefined();
    expect(downtimeOf(step({}), runStart)).toBeUndefined();
  });
});
