import { readFile } from "node:fs/promises";
import { afterAll, expect, it } from "vitest";
import { parse } from "yaml";
import { withSession } from "../src/db.js";
import { scrubberSchema } from "../src/definitions/scrubber.js";
import { seedShop } from "../src/providers/local/seed.js";
import { scrubDatabase } from "../src/scrub/scrub.js";
import type { ConnectionInfo } from "../src/types.js";
import { startTestCluster } from "../test/helpers/cluster.js";

/**
 * `npx vitest run --config vitest.bench.config.ts bench/leak.bench.ts`: what the leak scan costs,
 * by part (sampling, whole values, originals inside text, patterns), on the quickstart's shop
 * (scale 1) and on free text: 100k tickets of ~25 words, one in 50 naming a customer.
 */
const pg = await startTestCluster();
afterAll(() => pg.stop());

const TICKETS_SQL = `
create table customers (id int primary key, full_name text not null, email text not null);
insert into customers select g,
  (array['Ann','Bob','Cleo','Dan','Eve','Finn','Gus','Hana'])[1 + g % 8] || ' ' || (array['Smith','Jones','Lee','Khan','Berg','Okafor','Ito'])[1 + g % 7] || '-' || g,
  'user' || g || '@example' || (g % 97) || '.com'
  from generate_series(1, 10000) g;
create table tickets (id int primary key, customer_id int, body text);
insert into tickets select g, 1 + g % 10000,
  'Ticket ' || g || ': the customer reports that the parcel arrived late and the box was damaged, '
  || 'please check the courier log and refund shipping if the delay exceeds five days.'
  || case when g % 50 = 0 then ' Customer ' || (select full_name from customers where id = 1 + g % 10000) || ' called twice.' else '' end
  from generate_series(1, ROWS) g;
analyze;`;

const ticketsScrubber = scrubberSchema.parse({
  secret: "bench-secret-0123456789",
  tables: {
    customers: {
      id: "keep",
      full_name: { fake: "person.fullName" },
      email: { fake: "internet.email" },
    },
    tickets: { id: "keep", customer_id: "keep", body: "keep" },
  },
});

const scan = (conn: ConnectionInfo, raw: unknown) =>
  scrubDatabase(conn, scrubberSchema.parse(raw), {
    file: "bench",
    workers: 2,
    leakScan: { sample: 5000, patterns: true, canaries: true },
    signal: new AbortController().signal,
    progress: () => {},
  });

it("leak scan cost", async () => {
  const lines: string[] = [];
  const admin = pg.connection;
  await withSession(admin, (db) => db.query("create database shop"));
  const shop = { ...admin, database: "shop" };
  const seeded = await withSession(shop, (db) => seedShop(db, 1, new Date()));
  const shopYaml = parse(await readFile("scrubbers/shop.yaml", "utf8")) as object;
  const a = await scan(shop, shopYaml);
  expect(a.findings).toEqual([]);
  lines.push(
    `quickstart shop (${seeded.rows} rows): ${JSON.stringify(a.leakScan!.durationMs)} ms, ${a.leakScan!.sampledPhrases} phrases; the rewrite itself ${a.totals.durationMs} ms`,
  );
  for (const rows of (process.env.LEAK_BENCH_ROWS ?? "100000").split(",").map(Number)) {
    const name = `tickets${rows}`;
    await withSession(admin, (db) => db.query(`create database ${name}`));
    const conn = { ...admin, database: name };
    await withSession(conn, (db) => db.query(TICKETS_SQL.replace("ROWS", String(rows))));
    const r = await scan(conn, ticketsScrubber);
    // Up to 5000 of the 10k names are sampled: about half the planted copies are found.
    const found = r.leakScan!.hits["tickets.body"] ?? 0;
    expect(found).toBeGreaterThan(rows / 50 / 3);
    expect(found).toBeLessThanOrEqual(rows / 50);
    const ms = r.leakScan!.durationMs;
    lines.push(
      `${rows} tickets of free text: ${JSON.stringify(ms)} ms, ${r.leakScan!.sampledPhrases} phrases, ${found} of ${rows / 50} planted names found; rewrite ${r.totals.durationMs} ms; inside: ${Math.round(rows / (ms.inside / 1000))} rows/s`,
    );
  }
  console.log(`\nleak scan benchmark\n${lines.join("\n")}`);
});
