import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleHash, examplesFor } from "../../src/redact.js";
import type { ConnectionInfo } from "../../src/types.js";
import { runOn, seen } from "./run-helper.js";
import { startShops } from "./shop-fixture.js";

let shops: Awaited<ReturnType<typeof startShops>> | undefined;
let good: ConnectionInfo;
let bad: ConnectionInfo;

beforeAll(async () => {
  shops = await startShops();
  ({ good, bad } = shops);
});
afterAll(async () => shops?.pg.stop());

describe("noOrphans", () => {
  const check = { table: "order_items", column: "order_id", references: "orders.id" };
  it("passes when every child has its parent, fails with the dangling keys", async () => {
    const [ok, orphans, fk] = [
      ...(await runOn(good, [["noOrphans", check]])),
      // The values themselves, as a drill with showExamples: true records them.
      ...(await runOn(
        bad,
        [
          ["noOrphans", check],
          ["noOrphans", { table: "orders", column: "customer_id", references: "customers.id" }],
        ],
        { examples: examplesFor(true) },
      )),
    ];
    expect(seen(ok!)).toEqual(["noOrphans order_items.order_id → orders.id", "passed", 0, "= 0"]);
    expect(seen(orphans!)).toEqual([
      "noOrphans order_items.order_id → orders.id",
      "failed",
      3,
      "= 0",
    ]);
    expect(orphans!.details).toEqual({ ...check, orphans: 3, examples: ["999", "1000"] });
    expect(orphans!.message).toBe(
      "3 rows of order_items point at missing orders.id, e.g. 999, 1000",
    );
    // The deleted customer 3 had orders 2, 22 (customer_id = 1 + id % 20).
    expect(fk!.measured).toBe(2);
    expect(fk!.details!.examples).toEqual(["3"]);
  });

  it("records examples as keyed hashes unless the drill shows them", async () => {
    const key = Buffer.alloc(32, 7);
    const [hashed] = await runOn(bad, [["noOrphans", check]], {
      examples: examplesFor(false, async () => key),
    });
    const examples = [exampleHash(key, "999"), exampleHash(key, "1000")];
    expect(examples[0]).toMatch(/^hmac:[0-9a-f]{16}$/);
    expect(hashed!.details).toEqual({ ...check, orphans: 3, examples });
    expect(hashed!.message).toBe(
      `3 rows of order_items point at missing orders.id, e.g. ${examples.join(", ")} (keyed hashes; showExamples: true shows the values)`,
    );
  });

  it("fails that check alone on a missing column or parent table", async () => {
    const results = await runOn(good, [
      ["noOrphans", { table: "order_items", column: "order_idd", references: "orders.id" }],
      ["noOrphans", { table: "order_items", column: "order_id", references: "orderz.id" }],
      ["rowCount", { table: "orders", min: 1 }],
    ]);
    expect(results.map((r) => [r.outcome, r.message])).toEqual([
      ["failed", 'column "order_items.order_idd" does not exist in the restored copy'],
      ["failed", 'table "orderz" does not exist in the restored copy'],
      ["passed", undefined],
    ]);
  });
});

describe("unique and notNull", () => {
  it("count duplicated keys and nulls on the data, not the constraints", async () => {
    const checks: [string, unknown][] = [
      ["unique", { table: "customers", columns: ["email"] }],
      [
        "unique",
        { table: "order_items", columns: ["order_id", "qty"], name: "one line per order" },
      ],
      ["notNull", { table: "customers", columns: ["email", "name"] }],
    ];
    const [u, u2, n] = await runOn(good, checks);
    expect([seen(u!), seen(n!)]).toEqual([
      ["unique customers(email)", "passed", 0, "= 0 duplicated keys"],
      ["notNull customers(email, name)", "passed", 0, "= 0 nulls"],
    ]);
    // 60 items over 40 orders: orders 1..20 have two lines.
    expect(seen(u2!)).toEqual(["one line per order", "failed", 20, "= 0 duplicated keys"]);
    const [bu, , bn] = await runOn(bad, checks);
    expect(seen(bu!)).toEqual(["unique customers(email)", "failed", 1, "= 0 duplicated keys"]);
    expect(bu!.details).toEqual({
      table: "customers",
      columns: ["email"],
      duplicatedKeys: 1,
      rowsInvolved: 3,
    });
    expect(JSON.stringify(bu)).not.toContain("@shop.test");
    expect(seen(bn!)).toEqual(["notNull customers(email, name)", "failed", 2, "= 0 nulls"]);
    expect(bn!.message).toBe("nulls in customers.name (2)");
  });

  it("fail on a missing column", async () => {
    const [r] = await runOn(good, [["notNull", { table: "customers", columns: ["phone", "fax"] }]]);
    expect(r!.message).toBe(
      'columns "phone", "fax" of table "customers" do not exist in the restored copy',
    );
  });
});

describe("constraints", () => {
  it("re-validates every foreign key and check, partitions and NOT VALID ones included", async () => {
    const [ok] = await runOn(good, [["constraints", {}]]);
    expect(seen(ok!)).toEqual(["constraints hold", "passed", 0, "= 0 of 5 violated"]);
    const [broken] = await runOn(bad, [["constraints", {}]]);
    expect(seen(broken!)).toEqual(["constraints hold", "failed", 3, "= 0 of 7 violated"]);
    expect(broken!.details!.violations).toEqual([
      {
        constraint: "items_order_fk",
        table: "public.order_items",
        type: "foreign key",
        notValid: true,
        rows: 3,
      },
      {
        constraint: "orders_customer_id_fkey",
        table: "public.orders",
        type: "foreign key",
        rows: 2,
      },
      {
        constraint: "orders_total_small",
        table: "public.orders",
        type: "check",
        notValid: true,
        rows: 1,
      },
    ]);
    expect(broken!.message).toBe(
      "items_order_fk on public.order_items: 3 rows; orders_customer_id_fkey on public.orders: 2 rows; orders_total_small on public.orders: 1 rows",
    );
    const [excused] = await runOn(bad, [
      [
        "constraints",
        { exclude: ["items_order_fk", "orders_customer_id_fkey", "orders_total_small"] },
      ],
    ]);
    expect(seen(excused!)).toEqual(["constraints hold", "passed", 0, "= 0 of 4 violated"]);
  });
});
