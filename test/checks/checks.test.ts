import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { startTestCluster } from "../helpers/cluster.js";
import { runOn, seen } from "./run-helper.js";

let pg: Awaited<ReturnType<typeof startTestCluster>>;

beforeAll(async () => {
  pg = await startTestCluster();
  await withSession(pg.connection, async (db) => {
    await db.query("create table orders (id int primary key, amount numeric not null)");
    await db.query("insert into orders select g, g - 3 from generate_series(1, 10) g");
    await db.query('create schema shop; create table shop."Odd ""Name""" (x int)');
  });
});
afterAll(async () => pg?.stop());

const run = (checks: [string, unknown][], statementTimeoutMs = 10_000, parse = true) =>
  runOn(pg.connection, checks, { statementTimeoutMs }, parse);

describe("checks against a real cluster", () => {
  it("rowCount compares with min, max and exact", async () => {
    const results = await run(
      [
        ["rowCount", { table: "orders", min: 10 }],
        ["rowCount", { table: "orders", min: 11 }],
        ["rowCount", { table: "orders", max: 9, name: "few orders" }],
        ["rowCount", { table: "orders", exact: 10, min: 1 }],
        ["rowCount", { table: 'shop.Odd "Name"', exact: 0 }],
      ],
      10_000,
      false,
    );
    expect(results.map((r) => [r.name, r.outcome, r.measured, r.expected])).toEqual([
      ["rowCount orders", "passed", 10, ">= 10"],
      ["rowCount orders", "failed", 10, ">= 11"],
      ["few orders", "failed", 10, "<= 9"],
      ["rowCount orders", "passed", 10, "= 10 and >= 1"],
      ['rowCount shop.Odd "Name"', "passed", 0, "= 0"],
    ]);
  });

  it("sql compares the first value; bigint strings compare as numbers", async () => {
    const results = await run([
      [
        "sql",
        { name: "negatives", query: "select count(*) from orders where amount < 0", expect: 2 },
      ],
      [
        "sql",
        { name: "none negative", query: "select count(*) from orders where amount < 0", expect: 0 },
      ],
      ["sql", { name: "text", query: "select 'ok'::text", expect: "ok" }],
      ["sql", { name: "nothing", query: "select 1 where false", expect: null }],
      ["sql", { name: "bool", query: "select true", expect: true }],
    ]);
    expect(results.map((r) => [r.name, r.outcome, r.measured])).toEqual([
      ["negatives", "passed", 2],
      ["none negative", "failed", 2],
      ["text", "passed", "ok"],
      ["nothing", "passed", null],
      ["bool", "passed", true],
    ]);
  });

  it("reports a broken check as its own error and still runs the others", async () => {
    const results = await run([
      ["sql", { name: "typo", query: "select count(*) from ordrs", expect: 0 }],
      ["rowCount", { table: "orders", min: 1 }],
    ]);
    expect(results[0]).toMatchObject({
      outcome: "error",
      message: 'relation "ordrs" does not exist',
    });
    expect(results[1]!.outcome).toBe("passed");
  });

  it("runs checks read-only and under a statement timeout", async () => {
    const results = await run(
      [
        ["sql", { name: "write", query: "delete from orders", expect: 0 }],
        ["sql", { name: "slow", query: "select pg_sleep(5)", expect: null }],
      ],
      300,
    );
    expect(results[0]).toMatchObject({
      outcome: "error",
      message:
        "the query does not start with SELECT, VALUES or WITH; a sql check runs exactly one SELECT",
    });
    expect(results[1]).toMatchObject({
      outcome: "error",
      message: "canceling statement due to statement timeout",
    });
    const left = await withSession(pg.connection, (db) =>
      db.query<{ n: string }>("select count(*) n from orders"),
    );
    expect(left.rows[0]!.n).toBe("10");
  });

  it("rowCount fails, without erroring, on a table the restored copy lacks", async () => {
    const results = await run([["rowCount", { table: "orderz", min: 1 }]]);
    expect(results[0]).toMatchObject({
      name: "rowCount orderz",
      outcome: "failed",
      measured: "missing",
      expected: 'table "orderz" exists',
      message: 'table "orderz" does not exist in the restored copy',
    });
  });

  it("sql: rows counts the result, comparisons judge the first value", async () => {
    const q = "select id from orders where amount < 0";
    const results = await run([
      ["sql", { name: "no negatives", query: q, rows: 0 }],
      ["sql", { name: "two negatives", query: q, rows: 2 }],
      ["sql", { name: "some negatives", query: q, rows: { gte: 1 } }],
      ["sql", { name: "lt", query: "select count(*) from orders", expect: { lt: 5 } }],
      [
        "sql",
        { name: "between", query: "select sum(amount) from orders", expect: { between: [20, 25] } },
      ],
      [
        "sql",
        { name: "gt and lte", query: "select max(amount) from orders", expect: { gt: 0, lte: 7 } },
      ],
      ["sql", { name: "text", query: "select 'x'", expect: { gte: 1 } }],
    ]);
    expect(results.map(seen)).toEqual([
      // Counting stops one row past what the expectation can tell apart.
      ["no negatives", "failed", "at least 1", "0 rows"],
      ["two negatives", "passed", 2, "2 rows"],
      ["some negatives", "passed", "at least 2", "rows >= 1"],
      ["lt", "failed", 10, "< 5"],
      ["between", "passed", 25, "between 20 and 25"],
      ["gt and lte", "passed", 7, "> 0 and <= 7"],
      ["text", "failed", results[6]!.measured, ">= 1"],
    ]);
    // A text value from the data is recorded as a keyed hash (showExamples: true shows it).
    expect(results[6]!.measured).toMatch(/^hmac:[0-9a-f]{16}$/);
    expect(results[6]!.message).toBe(
      `the query returned ${JSON.stringify(results[6]!.measured)}, not a number`,
    );
  });
});
