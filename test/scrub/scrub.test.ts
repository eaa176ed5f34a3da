import { beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { DrillError } from "../../src/errors.js";
import { scrubDatabase, type ScrubOptions } from "../../src/scrub/scrub.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { SECRET, SHOP_SCRUBBER, SHOP_SQL, makeDatabase, q, scrubberOf } from "./fixture.js";

const pg = useTestCluster();

let dbs = 0;
const freshShop = () => makeDatabase(pg.connection, `shop${++dbs}`, SHOP_SQL);
const opts = (over: Partial<ScrubOptions> = {}): ScrubOptions => ({
  file: "scrubbers/shop.yaml",
  workers: 2,
  leakScan: { sample: 5000, patterns: true, canaries: true },
  signal: new AbortController().signal,
  progress: () => {},
  ...over,
});
const scrub = (conn: ConnectionInfo, raw: unknown = SHOP_SCRUBBER, o?: Partial<ScrubOptions>) =>
  scrubDatabase(conn, scrubberOf(raw), opts(o));

/** Everything about a table besides its rows, as PostgreSQL describes it. */
const shape = (conn: ConnectionInfo) =>
  q<{ what: string }>(
    conn,
    `select 'con ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated as what from pg_constraint where connamespace = 'public'::regnamespace
     union all select 'idx ' || indexdef from pg_indexes where schemaname = 'public'
     union all select 'trg ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
     union all select 'col ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-') || ' ' || is_identity
       from information_schema.columns where table_schema = 'public'
     union all select 'acl ' || relname || ' ' || relacl::text || ' ' || relrowsecurity from pg_class where relname in ('customers', 'orders', 'customer_names')
     union all select 'cacl ' || attname || ' ' || attacl::text from pg_attribute where attrelid = 'customers'::regclass and attacl is not null
     union all select 'pol ' || policyname || ' ' || qual from pg_policies
     union all select 'cmt ' || coalesce(obj_description('customers'::regclass, 'pg_class'), '-') || ' ' || coalesce(col_description('customers'::regclass, 3), '-')
     union all select 'seq ' || coalesce(pg_get_serial_sequence('orders', 'id'), '-') || ' ' || coalesce(pg_get_serial_sequence('customers', 'id'), '-')
     union all select 'view ' || pg_get_viewdef('customer_names'::regclass)
     order by 1`,
  ).then((r) => r.map((x) => x.what));

describe("scrub", () => {
  let conn: ConnectionInfo;
  let before: { shape: string[]; emails: string[]; phones: string[]; names: string[] };
  let report: Awaited<ReturnType<typeof scrub>>;

  beforeAll(async () => {
    conn = await freshShop();
    before = {
      shape: await shape(conn),
      emails: (await q<{ v: string }>(conn, "select email as v from customers")).map((r) => r.v),
      phones: (await q<{ v: string }>(conn, "select phone as v from customers")).map((r) => r.v),
      names: (await q<{ v: string }>(conn, "select full_name as v from customers")).map((r) => r.v),
    };
    report = await scrub(conn);
  });

  it("passes, with rows and rows/s per table and in total", () => {
    expect(report.findings).toEqual([]);
    expect(report.outcome).toBe("passed");
    expect(report.tables.map((t) => [t.table, t.rows])).toEqual([
      ["customers", 2000],
      ["orders", 5000],
    ]);
    expect(report.totals.rows).toBe(7000);
    for (const t of report.tables) expect(t.rowsPerSecond).toBeGreaterThan(0);
    expect(report.leakScan?.canaries).toEqual({ planted: 6, survived: [] });
    expect(report.leakScan?.sampledValues).toBeGreaterThan(8000);
  });

  it("preserves keys, indexes, constraints, identity, sequences, triggers, views, grants, RLS, comments", async () => {
    expect(await shape(conn)).toEqual(before.shape);
    // Identity and serial keep counting where they were; the trigger still fires.
    const [c] = await q<{ id: string }>(
      conn,
      "insert into customers (full_name, email) values ('x', 'x@y.z') returning id",
    );
    expect(c!.id).toBe("2001");
    await q(conn, "update customers set country = 'DE' where id = 1");
    expect(await q(conn, "select what from audit order by id desc limit 1")).toEqual([
      { what: "customer UPDATE" },
    ]);
    const [o] = await q<{ id: number }>(
      conn,
      "insert into orders (customer_id) values (1) returning id",
    );
    expect(o!.id).toBe(5001);
    await expect(q(conn, "insert into orders (customer_id) values (999999)")).rejects.toThrow(
      /foreign key/,
    );
  });

  it("leaves no original email, phone or name and keeps cross-table joins", async () => {
    const after = await q<{ n: number }>(
      conn,
      `select count(*)::int as n from customers where email = any($1) or phone = any($2) or full_name = any($3)`,
      [before.emails, before.phones, before.names],
    );
    expect(after).toEqual([{ n: 0 }]);
    const emails = await q<{ n: number; u: number }>(
      conn,
      "select count(*)::int n, count(distinct email)::int u from customers where id <= 2000",
    );
    expect(emails).toEqual([{ n: 2000, u: 2000 }]);
    // orders.contact_email held the customer's email: the same rule gives the same fake.
    const joined = await q<{ n: number }>(
      conn,
      "select count(*)::int n from orders o join customers c on c.id = o.customer_id where o.contact_email = c.email",
    );
    expect(joined).toEqual([{ n: 5000 }]);
    const notes = await q<{ notes: string }>(conn, "select notes from customers where id = 10");
    expect(notes).toEqual([{ notes: "call me at [phone] or mail redacted@example.invalid" }]);
    const [p] = await q<{ level: number; nick: string; email: string }>(
      conn,
      "select (profile->>'level')::int as level, profile->>'nick' as nick, profile#>>'{contact,email}' as email from customers where id = 3",
    );
    expect(p!.level).toBe(0);
    expect(p!.nick).toMatch(/^[0-9a-f]{16}$/);
    expect(p!.email).not.toBe("p3@x.example.org");
    const shifted = await q<{ d: number }>(
      conn,
      "select min(abs(birth_date - (date '1980-01-01' + id::int)))::int as d, max(abs(birth_date - (date '1980-01-01' + id::int)))::int as m from customers where id <= 2000",
    );
    expect(shifted[0]).toMatchObject({ d: 1 });
    expect((shifted[0] as unknown as { m: number }).m).toBeLessThanOrEqual(90);
  });

  it("same secret gives the same output on another copy; another secret another", async () => {
    const again = await freshShop();
    expect((await scrub(again)).outcome).toBe("passed");
    const other = await freshShop();
    expect(
      (await scrub(other, { ...SHOP_SCRUBBER, secret: "another-secret-456789" })).outcome,
    ).toBe("passed");
    const dump = (c: ConnectionInfo) =>
      q<{ v: string }>(
        c,
        "select string_agg(c::text, '|' order by id) as v from (select id, full_name, email, phone, street_address, birth_date, profile from customers where id <= 2000) c",
      ).then((r) => r[0]!.v);
    const [a, b, x] = await Promise.all([dump(conn), dump(again), dump(other)]);
    expect(b).toBe(a);
    expect(x).not.toBe(a);
  });
});

describe("fails closed", () => {
  it("a column nobody classified fails the scrub, names it with a suggestion, rewrites nothing", async () => {
    const conn = await freshShop();
    await q(conn, "alter table customers add column mobile_phone text default '+1 555 0100'");
    const r = await scrub(conn);
    expect(r.outcome).toBe("failed");
    expect(r.findings).toEqual([
      "1 column(s) not classified in scrubbers/shop.yaml: customers.mobile_phone (suggested: { fake: phone.number }); classify each (keep included) or set unknownColumns: warn",
    ]);
    expect(r.tables).toEqual([]);
    expect(await q(conn, "select email from customers where id = 1")).toEqual([
      { email: "person1@mail.example.com" },
    ]);
  });

  it("a leak planted in a kept text column is caught, counted, never shown", async () => {
    const conn = await freshShop();
    await q(conn, "update orders set note = 'Person 17' where id = 5");
    await q(conn, "update orders set note = 'ring +44 20 7946 0958' where id = 6");
    const r = await scrub(conn);
    expect(r.outcome).toBe("failed");
    expect(r.leakScan?.hits).toEqual({ "orders.note": 1 });
    expect(r.leakScan?.patterns).toEqual({ "orders.note": { phones: 1 } });
    expect(r.findings.join("\n")).not.toMatch(/Person 17|7946/);
    expect(r.findings).toEqual([
      "leak: 1 row(s) of orders.note still hold a sampled original value",
      "leak: orders.note contains 1 phones (classify the column, or allow them with allowPatterns)",
    ]);
    const allowed = await freshShop();
    await q(allowed, "update orders set note = 'ring +44 20 7946 0958' where id = 6");
    const ok = await scrub(allowed, {
      ...SHOP_SCRUBBER,
      allowPatterns: { "orders.note": ["phones"] },
    });
    expect(ok.outcome).toBe("passed");
    expect(ok.leakScan?.allowed).toEqual({ "orders.note": { phones: 1 } });
  });

  it("a production schema named like drill's working schema is scrubbed, not dropped or skipped", async () => {
    const conn = await freshShop();
    await q(
      conn,
      "create schema drill_scrub; create table drill_scrub.contacts (id int primary key, email text); insert into drill_scrub.contacts values (1, 'secret.person@mail.example.com')",
    );
    const r = await scrub(conn, {
      ...SHOP_SCRUBBER,
      tables: {
        ...SHOP_SCRUBBER.tables,
        "drill_scrub.contacts": { id: "keep", email: { fake: "internet.email" } },
      },
    });
    expect(r.outcome).toBe("passed");
    expect(r.tables.map((t) => t.table)).toContain("drill_scrub.contacts");
    const [row] = await q<{ email: string }>(conn, "select email from drill_scrub.contacts");
    expect(row!.email).not.toBe("secret.person@mail.example.com");
    expect(row!.email).toMatch(/@/);
  });

  it("rules on columns that do not exist are bad input (exit 2), before anything is rewritten", async () => {
    const conn = await freshShop();
    const raw = {
      ...SHOP_SCRUBBER,
      tables: {
        ...SHOP_SCRUBBER.tables,
        orders: { ...SHOP_SCRUBBER.tables.orders, nickname: "keep", note: null },
      },
    };
    const e = await scrub(conn, raw).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DrillError);
    expect((e as DrillError).exitCode).toBe(2);
    expect((e as DrillError).message).toBe(
      [
        'scrubbers/shop.yaml tables.orders.nickname: column "nickname" does not exist in orders in the restored database (columns: id, customer_id, contact_email, note)',
      ].join("\n"),
    );
    expect(
      await q(conn, "select count(*)::int n from pg_namespace where nspname like 'drill\\_scrub%'"),
    ).toEqual([{ n: 0 }]);
  });
});

it("never leaves a working schema or a postgres session behind", async () => {
  const n = await withSession(
    pg.connection,
    async (db) =>
      (
        await db.query<{ n: number }>(
          "select count(*)::int n from pg_stat_activity where application_name = 'drill scrub'",
        )
      ).rows[0]!.n,
  );
  expect(n).toBe(0);
  void SECRET;
});
