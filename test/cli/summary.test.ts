import { expect, it } from "vitest";
import { makeStyle } from "../../src/cli/display/style.js";
import { summaryLines } from "../../src/cli/display/summary.js";
import type { RunRecord } from "../../src/types.js";

it("summarises steps, checks with measured and expected values, objectives, warnings and findings", () => {
  const record: RunRecord = {
    schemaVersion: 1,
    id: "20261128-100000-orders-ab12",
    drill: "orders",
    environment: "sandbox",
    provider: "local",
    startedAt: "2026-11-28T10:00:00.000Z",
    finishedAt: "2026-11-28T10:06:20.000Z",
    durationMs: 380_000,
    outcome: "failed",
    steps: [
      {
        name: "restore",
        kind: "restore",
        startedAt: "",
        durationMs: 372_000,
        outcome: "passed",
        details: {},
      },
      {
        name: "verify",
        kind: "verify",
        startedAt: "",
        durationMs: 1500,
        outcome: "failed",
        details: {
          checks: [
            {
              name: "rowCount orders",
              kind: "rowCount",
              outcome: "failed",
              measured: 5,
              expected: ">= 1000",
              durationMs: 3,
            },
            {
              name: "typo",
              kind: "sql",
              outcome: "error",
              expected: "",
              durationMs: 2,
              message: 'relation "ordrs" does not exist',
            },
          ],
        },
      },
      {
        name: "cleanup",
        kind: "cleanup",
        startedAt: "",
        durationMs: 400,
        outcome: "passed",
        details: {},
      },
    ],
    measurements: {
      rtoMs: { value: null, objective: 300_000, met: null },
      rpoMs: { value: 7_200_000, objective: 93_600_000, met: true },
      restoreMs: { value: 372_000, objective: 300_000, met: false },
    },
    warnings: ["verify took 1.5s, 50% slower than the median 1.0s of the last 5 passed runs"],
    findings: ['verify: check "rowCount orders": measured 5, expected >= 1000'],
    storedAt: ".drill/history/orders/20261128-100000-orders-ab12.json",
  };
  expect(summaryLines(record, makeStyle(false))).toEqual([
    "",
    "orders failed in 6m20s  run 20261128-100000-orders-ab12",
    "",
    "  steps",
    "  ✔ restore              6m12s  passed",
    "  ✘ verify                1.5s  failed",
    "  ✔ cleanup              400ms  passed",
    "",
    "  checks",
    "  ✘ rowCount orders  measured 5, expected >= 1000",
    '  ✘ typo             error: relation "ordrs" does not exist',
    "",
    "  objectives",
    "  RTO      not measured   objective 5m",
    "  RPO                2h   objective 1d2h     met",
    "  restore         6m12s   objective 5m       missed",
    "",
    "  warnings",
    "  ! verify took 1.5s, 50% slower than the median 1.0s of the last 5 passed runs",
    "",
    "  findings",
    '  • verify: check "rowCount orders": measured 5, expected >= 1000',
    "",
    "  record: .drill/history/orders/20261128-100000-orders-ab12.json",
  ]);
});
