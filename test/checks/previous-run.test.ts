import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import type { RunRecord } from "../../src/types.js";
import { startTestCluster } from "../helpers/cluster.js";
import { runOn, seen } from "./run-helper.js";

let pg: Awaited<ReturnType<typeof startTestCluster>>;

beforeAll(async () => {
  pg = await startTestCluster();
  await withSession(pg.connection, (db) =>
    db.query("create table orders as select g as id from generate_series(1, 10) g"),
  );
});
afterAll(async () => pg?.stop());

describe("rowCount withinPercentOfPrevious", () => {
  it("compares with the same table in a hand-made previous passed run", async () => {
    const previous = (orders: number, name = "rowCount orders"): RunRecord => ({
      ...handMadeRun("20260101-000000-shop-aaaa"),
      steps: [
        {
          name: "verify",
          kind: "verify",
          startedAt: "2026-01-01T00:00:00.000Z",
          durationMs: 5,
          outcome: "passed",
          details: {
            checks: [
              {
                name: "rowCount customers",
                kind: "rowCount",
                outcome: "passed",
                measured: 1,
                expected: ">= 1",
                durationMs: 1,
                details: { table: "customers" },
              },
              {
                name,
                kind: "rowCount",
                outcome: "passed",
                measured: orders,
                expected: ">= 1",
                durationMs: 1,
                details: { table: "orders" },
              },
            ],
          },
        },
      ],
    });
    const within = (prev: RunRecord | undefined, pct: number, extra = {}) =>
      runOn(
        pg.connection,
        [["rowCount", { table: "orders", withinPercentOfPrevious: pct, ...extra }]],
        {
          previousPassedRun: async () => prev,
        },
      ).then((r) => r[0]!);

    const same = await within(previous(10), 5);
    expect(seen(same)).toEqual([
      "rowCount orders",
      "passed",
      10,
      "within 5% of 10 (run 20260101-000000-shop-aaaa)",
    ]);
    expect(same.details).toEqual({
      table: "orders",
      previous: { run: "20260101-000000-shop-aaaa", count: 10, changePercent: 0 },
    });

    const dropped = await within(previous(12, "custom name"), 10);
    expect(seen(dropped)).toEqual([
      "rowCount orders",
      "failed",
      10,
      "within 10% of 12 (run 20260101-000000-shop-aaaa)",
    ]);
    expect(dropped.message).toBe(
      "dropped 16.67% since run 20260101-000000-shop-aaaa: 10 rows, was 12",
    );

    const grew = await within(previous(8), 20, { min: 5 });
    expect(grew.outcome).toBe("failed");
    expect(grew.message).toBe("grew 25% since run 20260101-000000-shop-aaaa: 10 rows, was 8");
    expect((await within(previous(8), 25)).outcome).toBe("passed");

    const first = await within(undefined, 5);
    expect(seen(first)).toEqual([
      "rowCount orders",
      "passed",
      10,
      "within 5% of the previous passed run (none yet)",
    ]);
    expect(first.message).toBe("no previous passed run of this drill to compare with");

    // A previous run that never counted the table: nothing to compare, said so.
    const other = previous(10);
    (other.steps[0]!.details.checks as unknown[]).pop();
    expect((await within(other, 5)).message).toBe(
      'the previous passed run 20260101-000000-shop-aaaa did not count "orders"',
    );
  });
});

function handMadeRun(id: string): RunRecord {
  return {
    schemaVersion: 1,
    id,
    drill: "shop",
    environment: "sandbox",
    provider: "local",
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:01.000Z",
    durationMs: 1000,
    outcome: "passed",
    steps: [],
    measurements: {},
    findings: [],
  };
}
