import { afterAll, expect, it } from "vitest";
import { withSession, type Queryable } from "../src/db.js";
import { scrubberSchema } from "../src/definitions/scrubber.js";
import { scrubDatabase } from "../src/scrub/scrub.js";
import { startTestCluster } from "../test/helpers/cluster.js";

/**
 * `npx vitest run --config vitest.bench.config.ts bench/scrub-in-place.bench.ts`: the same rows
 * and rules scrubbed through the swap (CREATE TABLE AS, the fast path) and in place (scratch
 * copy, TRUNCATE, INSERT back: the path of partition leaves, inheritance members and tables with
 * generated columns; here forced by giving the table an empty inheritance child), and as a
 * partitioned table of four hash leaves (the workers share them).
 */
const pg = await startTestCluster();
afterAll(() => pg.stop());

const ROWS = Number(process.env.SCRUB_BENCH_ROWS ?? "1000000");
const rules = {
  id: "keep",
  email: { fake: "internet.email", unique: true },
  full_name: { fake: "person.fullName" },
  phone: { fake: "phone.number" },
  notes: { text: {} },
};
const KEEP_SRC = Object.fromEntries(Object.keys(rules).map((c) => [c, "keep"]));

type Shape = "swap" | "inPlace" | "partitioned";

async function fresh(db: Queryable, shape: Shape) {
  await db.query("drop table if exists customers cascade");
  if (shape === "partitioned") {
    // Four hash leaves: unique keys of a partitioned table must hold its partition key.
    await db.query(
      "create table customers (like customers_src, primary key (id), unique (email, id)) partition by hash (id)",
    );
    for (let i = 0; i < 4; i++)
      await db.query(
        `create table customers_${i} partition of customers for values with (modulus 4, remainder ${i})`,
      );
    await db.query("insert into customers select * from customers_src");
  } else {
    await db.query("create table customers as select * from customers_src");
    await db.query("alter table customers add primary key (id), add unique (email)");
  }
  if (shape === "inPlace") await db.query("create table customers_child () inherits (customers)");
  await db.query("vacuum analyze customers");
}

it("in place vs swap", async () => {
  await withSession(pg.connection, (db) =>
    db.query(
      `create table customers_src as
       select g::bigint as id, 'user' || g || '@example' || (g % 97) || '.com' as email,
              'Ann Smith ' || g as full_name, '+1 555 ' || lpad((g % 10000000)::text, 7, '0') as phone,
              case when g % 20 = 0 then 'call me at +1 555 010 ' || lpad((g % 10000)::text, 4, '0') else 'no notes' end as notes
         from generate_series(1, $1::int) g`,
      [ROWS],
    ),
  );
  const ms: Record<string, number> = {};
  for (const shape of ["swap", "inPlace", "partitioned"] as const) {
    await withSession(pg.connection, (db) => fresh(db, shape));
    const tables: Record<string, unknown> = { customers: rules, customers_src: KEEP_SRC };
    if (shape === "inPlace") tables.customers_child = {};
    const t0 = performance.now();
    const r = await scrubDatabase(
      pg.connection,
      scrubberSchema.parse({ secret: "bench-secret-0123456789", tables }),
      {
        file: "bench",
        workers: 4,
        leakScan: false,
        signal: new AbortController().signal,
        progress: () => {},
      },
    );
    ms[shape] = performance.now() - t0;
    expect(r.findings).toEqual([]);
  }
  console.log(
    `\n${ROWS} rows: swap ${Math.round(ms.swap!)} ms, in place ${Math.round(ms.inPlace!)} ms (×${(ms.inPlace! / ms.swap!).toFixed(2)}), partitioned in 4 leaves ${Math.round(ms.partitioned!)} ms (×${(ms.partitioned! / ms.swap!).toFixed(2)})`,
  );
});
