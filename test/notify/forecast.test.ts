import parsePrometheus from "parse-prometheus-text-format";
import { expect, it } from "vitest";
import { createMetrics } from "../../src/daemon/metrics.js";
import { runFacts } from "../../src/notify/facts.js";
import type { RunRecord } from "../../src/types.js";

const record = (forecast?: RunRecord["forecast"]): RunRecord => ({
  schemaVersion: 1,
  id: "20261128-100000-orders-ab12",
  drill: "orders",
  environment: "sandbox",
  provider: "local",
  startedAt: "2026-11-28T10:00:00.000Z",
  finishedAt: "2026-11-28T10:01:00.000Z",
  durationMs: 60_000,
  outcome: "passed",
  steps: [],
  measurements: { rtoMs: { value: 50_000, objective: 300_000, met: true } },
  findings: [],
  ...(forecast ? { forecast } : {}),
});

const crossing = {
  status: "crossing",
  headline: "RTO objective reached in about 9 weeks at +3% size a week",
  weeksToCrossing: 9.2,
};

it("puts the RTO forecast in the channel message, unless there is not enough history", () => {
  expect(runFacts(record(crossing)).extras).toContainEqual({
    label: "RTO forecast",
    text: "RTO objective reached in about 9 weeks at +3% size a week",
  });
  const quiet = runFacts(
    record({ status: "insufficient-history", headline: "not enough history" }),
  );
  expect(quiet.extras.map((e) => e.label)).not.toContain("RTO forecast");
});

it("exports the weeks until the RTO objective is crossed in /metrics", async () => {
  const metrics = await createMetrics({ now: () => Date.parse("2026-11-28T10:02:00Z") }, 0);
  metrics.observe(record(crossing));
  const family = parsePrometheus(await metrics.text()).find(
    (f) => f.name === "drill_rto_forecast_weeks",
  );
  expect(family?.metrics).toEqual([{ labels: { drill: "orders" }, value: "9.2" }]);
});
