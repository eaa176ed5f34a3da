import { afterAll, beforeAll, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { dropStaleProbes, probeComment } from "../../src/failover/stale-probes.js";
import { probeTableSql } from "../../src/failover/probe.js";
import { startTestCluster } from "../helpers/cluster.js";

let pg: Awaited<ReturnType<typeof startTestCluster>>;
beforeAll(async () => {
  pg = await startTestCluster();
});
afterAll(async () => pg?.stop());

const NOW = Date.parse("2026-11-28T12:00:00Z");

it("drops the probe tables a killed run left, never a live run's or anyone else's", async () => {
  const tables = await withSession(pg.connection, async (db) => {
    const make = async (name: string, createdAt?: number) => {
      await db.query(probeTableSql(name));
      if (createdAt !== undefined) await db.query(probeComment(name, createdAt));
    };
    await make("drill_failover_probe_dead0001", NOW - 7 * 3_600_000);
    await make("drill_failover_probe_legacy01"); // an older drill wrote no comment
    await make("drill_failover_probe_live0001", NOW - 60_000);
    await db.query("create table drill_failover_probes_of_ours (id int)"); // not the prefix + hex
    await db.query("create table orders (id int)");
    const dropped = await dropStaleProbes(db, NOW);
    const left = await db.query<{ relname: string }>(
      "select relname from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace order by 1",
    );
    return { dropped, left: left.rows.map((r) => r.relname) };
  });
  expect(tables.dropped.sort()).toEqual([
    "drill_failover_probe_dead0001",
    "drill_failover_probe_legacy01",
  ]);
  expect(tables.left).toEqual([
    "drill_failover_probe_live0001",
    "drill_failover_probes_of_ours",
    "orders",
  ]);
});
