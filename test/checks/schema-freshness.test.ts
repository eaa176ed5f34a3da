import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionInfo } from "../../src/types.js";
import { runOn, seen } from "./run-helper.js";
import { startShops } from "./shop-fixture.js";

let shops: Awaited<ReturnType<typeof startShops>> | undefined;
let good: ConnectionInfo;

beforeAll(async () => {
  shops = await startShops();
  ({ good } = shops);
});
afterAll(async () => shops?.pg.stop());

describe("schema", () => {
  it("checks the migration version piece by piece and the tables and columns", async () => {
    const [ok, old, missing] = await runOn(good, [
      [
        "schema",
        {
          migrations: { table: "schema_migrations", column: "version", atLeast: 20240101120000 },
          tables: { orders: ["id", "customer_id"], customers: [] },
        },
      ],
      [
        "schema",
        {
          name: "migrated",
          migrations: { table: "schema_migrations", column: "version", atLeast: "20250101000000" },
        },
      ],
      ["schema", { tables: { orders: ["id", "coupon_code"], refunds: ["id"] } }],
    ]);
    expect(seen(ok!)).toEqual([
      "schema",
      "passed",
      "version 20240301090000; nothing missing",
      "version >= 20240101120000 and 2 tables with their columns",
    ]);
    expect(seen(old!)).toEqual([
      "migrated",
      "failed",
      "version 20240301090000",
      "version >= 20250101000000",
    ]);
    expect(old!.message).toBe("migrations at 20240301090000, expected at least 20250101000000");
    expect(seen(missing!)).toEqual([
      "schema",
      "failed",
      "missing orders.coupon_code, table refunds",
      "2 tables with their columns",
    ]);
    expect(missing!.details).toEqual({ missing: ["orders.coupon_code", "table refunds"] });
  });

  it("fails when the migrations table is not there", async () => {
    const [r] = await runOn(good, [
      [
        "schema",
        { migrations: { table: "flyway_schema_history", column: "version", atLeast: "1" } },
      ],
    ]);
    expect([r!.outcome, r!.message]).toEqual([
      "failed",
      'table "flyway_schema_history" does not exist in the restored copy',
    ]);
  });
});

describe("freshness", () => {
  const newest = Date.parse("2025-12-31T23:00:00Z"); // orders.created_at of order 1
  it("ages the newest value against the snapshot's time or now", async () => {
    const results = await runOn(
      good,
      [
        ["freshness", { table: "orders", column: "created_at", maxAge: "3h" }],
        ["freshness", { table: "orders", column: "created_at", maxAge: "1h", name: "tight" }],
        ["freshness", { table: "orders", column: "created_at", against: "now" }],
        ["freshness", { table: "empty_log", column: "at", against: "snapshot" }],
        ["freshness", { table: "orders", column: "updated_at" }],
      ],
      {
        snapshotTakenAt: newest + 2 * 3_600_000,
        clock: { now: () => newest + 86_400_000 },
      },
    );
    expect(results.map(seen)).toEqual([
      ["freshness orders.created_at", "passed", "2h", "<= 3h"],
      ["tight", "failed", "2h", "<= 1h"],
      ["freshness orders.created_at", "passed", "1d", "any age"],
      ["freshness empty_log.at", "failed", null, "any age"],
      ["freshness orders.updated_at", "failed", "missing", 'column "orders.updated_at" exists'],
    ]);
    expect(results[0]!.details).toEqual({
      table: "orders",
      column: "created_at",
      against: "snapshot",
      newest: "2025-12-31T23:00:00.000Z",
      reference: "2026-01-01T01:00:00.000Z",
      ageMs: 7_200_000,
    });
    expect(results[3]!.message).toBe('"empty_log.at" has no values: nothing dates the copy');
  });

  it("says to age against now when the copy has no snapshot time", async () => {
    const [r] = await runOn(good, [["freshness", { table: "orders", column: "created_at" }]]);
    expect([r!.outcome, r!.message]).toEqual([
      "failed",
      "the restored copy has no snapshot time (restored from an archive?): use `against: now`",
    ]);
  });
});
