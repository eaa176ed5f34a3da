import { beforeAll, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { useTestCluster } from "../helpers/cluster.js";
import { runOn, seen } from "./run-helper.js";

/**
 * `select * from big` on two million rows: the check reads through a cursor only what its
 * expectation needs, so drill's memory stays flat (reading it all took hundreds of MB) and the
 * verdicts are still right.
 */
const pg = useTestCluster();
const ROWS = 2_000_000;

beforeAll(async () => {
  await withSession(pg.connection, async (db) => {
    await db.query("create table big (id int, pad text)");
    await db.query(
      "insert into big select g, md5(g::text) || md5((g + 1)::text) from generate_series(1, $1) g",
      [ROWS],
    );
  });
}, 120_000);

it("select * from big on 2M rows keeps RSS flat and the verdicts right", async () => {
  const q = "select * from big";
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const results = await runOn(
    pg.connection,
    [
      ["sql", { name: "exact", query: q, rows: ROWS }],
      ["sql", { name: "one fewer", query: q, rows: ROWS - 1 }],
      ["sql", { name: "some", query: q, rows: { gte: 1 } }],
      ["sql", { name: "few", query: q, rows: { lt: 100 } }],
      // Every row says 1: only "more than one row" can fail it.
      ["sql", { name: "one value", query: "select 1 from big", expect: 1 }],
      ["sql", { name: "count", query: "select count(*) from big", expect: ROWS }],
    ],
    { statementTimeoutMs: 60_000, concurrency: 2 },
  );
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  expect(results.map(seen)).toEqual([
    ["exact", "passed", ROWS, `${ROWS} rows`],
    ["one fewer", "failed", `at least ${ROWS}`, `${ROWS - 1} rows`],
    ["some", "passed", "at least 2", "rows >= 1"],
    ["few", "failed", "at least 101", "rows < 100"],
    ["one value", "failed", 1, "= 1"],
    ["count", "passed", ROWS, `= ${ROWS}`],
  ]);
  expect(results[4]!.message).toBe(
    "the query returned more than one row; expect compares a single value",
  );
  const grewMb = (peak - before) / 2 ** 20;
  console.log(`sql checks over ${ROWS} rows: RSS grew ${grewMb.toFixed(1)} MB`);
  // Loading the rows as objects costs several hundred MB; a cursor costs next to nothing.
  expect(grewMb).toBeLessThan(60);
}, 120_000);
