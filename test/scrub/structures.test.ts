import { beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { readCatalog } from "../../src/scrub/catalog.js";
import { planScrub } from "../../src/scrub/plan.js";
import { scrubDatabase } from "../../src/scrub/scrub.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import {
  catalogShape,
  expectNoSurvivors,
  originalsOf,
  passedTables,
  scrubOptions,
} from "./dump.js";
import { SECRET, makeDatabase, q, scrubberOf } from "./fixture.js";

const pg = useTestCluster();

/**
 * Inheritance (children with extra columns), a generated column, a domain with a check, an enum,
 * an unlogged table, trigger-maintained logs (ordinary, ALWAYS and REPLICA triggers), materialized
 * views built through functions, a plain view, and a foreign table pointing at a server nobody
 * may reach.
 */
const SQL = `
create extension postgres_fdw;
create type mood as enum ('happy', 'sad');
create domain email_address as text check (value ~ '^[^@[:space:]]+@[^@[:space:]]+[.][A-Za-z]+$');
create table people (
  id int primary key,
  email email_address not null,
  full_name text not null,
  mood mood not null,
  email_lower text generated always as (lower(email)) stored
);
create table people_log (id serial primary key, op text not null, email text);
create function log_people() returns trigger language plpgsql as $$
begin insert into people_log (op, email) values (tg_op, coalesce(new.email, old.email)); return null; end $$;
create trigger people_log after insert or update or delete on people for each row execute function log_people();
create trigger people_log_always after insert or update or delete on people for each row execute function log_people();
alter table people enable always trigger people_log_always;

create table contacts (id int primary key, email text not null, phone text);
create table vip_contacts (vip_note text) inherits (contacts);
alter table vip_contacts add primary key (id);
create table partner_contacts (partner text) inherits (contacts);
create table contact_log (id serial primary key, email text);
create function log_contact() returns trigger language plpgsql as $$
begin insert into contact_log (email) values (coalesce(new.email, old.email)); return null; end $$;
create trigger vip_log after insert or update or delete on vip_contacts for each row execute function log_contact();
alter table vip_contacts enable replica trigger vip_log;
create trigger contacts_log after insert or update or delete on contacts for each row execute function log_contact();

create unlogged table sessions (id int primary key, client_email text not null);
-- Plain tables whose original rows never fire a trigger: swapped (CREATE TABLE AS).
create table notes (id int primary key, body text);
create function log_note() returns trigger language plpgsql as $$
begin insert into contact_log (email) values (coalesce(new.body, old.body)); return null; end $$;
create trigger notes_log after insert or update or delete on notes for each row execute function log_note();

create function people_emails() returns table (email text) language sql stable as $$ select email::text from people $$;
create function session_emails() returns table (email text) language sql stable as $$ select client_email from sessions $$;
create materialized view mv_people as select * from people_emails();
create materialized view mv_people_count as select count(*) as n, min(email) as first from mv_people;
create materialized view mv_sessions as select * from session_emails();
create materialized view mv_empty as select * from session_emails() with no data;
create view v_people as select id, full_name from people;

create server elsewhere foreign data wrapper postgres_fdw options (host '127.0.0.1', port '1', dbname 'production');
create user mapping for public server elsewhere options (user 'prod', password 'prod-password');
create foreign table remote_customers (id int, email text) server elsewhere options (table_name 'customers');
create view v_remote as select * from remote_customers;
-- A partitioned table with a foreign partition: reading the parent would open the door.
create table readings (at date not null, email text) partition by range (at);
create table readings_local partition of readings for values from ('2024-01-01') to ('2025-01-01');
insert into readings_local select date '2024-01-01' + g, 'reading' || g || '@origin-mail.example.com' from generate_series(1, 100) g;

insert into people select g, 'Pers' || g || '@Origin-Mail.example.com', 'Origname Person' || g, (array['happy', 'sad'])[1 + g % 2]::mood
  from generate_series(1, 400) g;
insert into contacts select g, 'base' || g || '@origin-mail.example.com', '+31 20 555 ' || lpad(g::text, 4, '0') from generate_series(1, 100) g;
insert into vip_contacts select g, 'vip' || g || '@origin-mail.example.com', '+31 20 666 ' || lpad(g::text, 4, '0'), 'Origvip note ' || g
  from generate_series(101, 200) g;
insert into partner_contacts select g, 'partner' || g || '@origin-mail.example.com', null, 'Acme' from generate_series(201, 250) g;
insert into sessions select g, 'sess' || g || '@origin-mail.example.com' from generate_series(1, 300) g;
insert into notes select g, 'Orignote about Origname Person' || g from generate_series(1, 50) g;
refresh materialized view mv_people;
refresh materialized view mv_people_count;
refresh materialized view mv_sessions;
analyze;
-- After analyze: analyzing the parent would read the foreign partition (the server is unreachable).
create foreign table readings_remote partition of readings for values from ('2025-01-01') to ('2026-01-01') server elsewhere;
`;

const SCRUBBER = {
  secret: SECRET,
  tables: {
    people: {
      id: "keep",
      email: { fake: "internet.email" },
      full_name: { fake: "person.fullName" },
      mood: "keep",
    },
    people_log: { id: "keep", op: "keep", email: { fake: "internet.email" } },
    contacts: { id: "keep", email: { fake: "internet.email" }, phone: { fake: "phone.number" } },
    vip_contacts: { vip_note: { fake: "lorem.sentence" } },
    partner_contacts: { partner: "keep" },
    contact_log: { id: "keep", email: { fake: "internet.email" } },
    sessions: { id: "keep", client_email: { fake: "internet.email" } },
    readings: { at: "keep", email: { fake: "internet.email" } },
    notes: { id: "keep", body: { fake: "lorem.sentence" } },
  },
};

const counts = (conn: ConnectionInfo) =>
  q<{ t: string; n: number }>(
    conn,
    `select 'people_log' as t, count(*)::int as n from people_log
     union all select 'contact_log', count(*)::int from contact_log
     union all select tableoid::regclass::text, count(*)::int from contacts group by 1 order by 1`,
  );
const remote = (lines: string[]) => lines.filter((l) => !/remote|elsewhere/.test(l));

describe("inheritance, generated columns, domains, unlogged, triggers, materialized and foreign", () => {
  let conn: ConnectionInfo;
  let before: { shape: string[]; counts: unknown; originals: string[]; view: unknown };
  let report: Awaited<ReturnType<typeof scrubDatabase>>;

  beforeAll(async () => {
    conn = await makeDatabase(pg.connection, "structures", SQL);
    before = {
      shape: await catalogShape(conn),
      counts: await counts(conn),
      view: await q(conn, "select 'v_people'::regclass::oid::int as oid"),
      originals: await originalsOf(conn, [
        "select email as v from people",
        "select email_lower as v from people",
        "select full_name as v from people",
        "select email as v from contacts",
        "select phone as v from contacts",
        "select vip_note as v from vip_contacts",
        "select client_email as v from sessions",
        "select email as v from people_log",
        "select email as v from contact_log",
        "select body as v from notes",
        "select email as v from readings_local",
      ]),
    };
    report = await scrubDatabase(
      conn,
      scrubberOf(SCRUBBER),
      scrubOptions("scrubbers/structures.yaml"),
    );
  });

  it("passes; every member of the inheritance tree is rewritten on its own rows", () => {
    expect(passedTables(report)).toEqual([
      ["contact_log", 150],
      ["contacts", 100],
      ["notes", 50],
      ["partner_contacts", 50],
      ["people", 400],
      ["people_log", 800],
      ["readings", 100],
      ["sessions", 300],
      ["vip_contacts", 100],
    ]);
  });

  it("leaves no sampled original anywhere in a data-only dump, materialized views included", async () => {
    expect(before.originals.length).toBeGreaterThan(2500);
    await expectNoSurvivors(
      conn,
      before.originals,
      "vip_contacts",
      /origin-mail|Origname|Origvip|Orignote/i,
    );
  });

  it("keeps inheritance, domain, enum, generated expression, unlogged, triggers; no trigger fired", async () => {
    expect(remote(await catalogShape(conn))).toEqual(remote(before.shape));
    expect(await counts(conn)).toEqual(before.counts);
    const [g] = await q<{ bad: number }>(
      conn,
      "select count(*)::int as bad from people where email_lower is distinct from lower(email)",
    );
    expect(g!.bad).toBe(0);
    // The domain's check accepted every fake, and still refuses what it refused.
    await expect(
      q(conn, "insert into people (id, email, full_name, mood) values (9999, 'nope', 'x', 'sad')"),
    ).rejects.toThrow(/email_address/);
    // Triggers are back as they were: ALWAYS and ordinary ones fire on a new row.
    await q(
      conn,
      "insert into people (id, email, full_name, mood) values (9998, 'n@x.org', 'x', 'sad')",
    );
    expect(
      await q(conn, "select count(*)::int as n from people_log where email = 'n@x.org'"),
    ).toEqual([{ n: 2 }]);
  });

  it("refreshes every materialized view (also built through functions) in order; a plain view is untouched", async () => {
    const [m] = await q<{ n: number; same: boolean }>(
      conn,
      `select (select n::int from mv_people_count) as n,
              (select first from mv_people_count) = (select min(email) from mv_people) as same`,
    );
    expect(m).toEqual({ n: 400, same: true });
    // Exactly the scrubbed rows: no original, and no planted canary row (refreshed after the scan).
    const [s] = await q<{ n: number; odd: number }>(
      conn,
      `select (select count(*)::int from mv_sessions) as n,
              (select count(*)::int from (select email from mv_sessions except all select client_email from sessions) x) as odd`,
    );
    expect(s).toEqual({ n: 300, odd: 0 });
    // pg_dump refreshes materialized views rather than copying them: read them.
    const [p] = await q<{ leaked: number; scrubbed: number }>(
      conn,
      `select count(*) filter (where email = any($1))::int as leaked,
              count(*) filter (where email in (select email from people))::int as scrubbed from mv_people`,
      [before.originals],
    );
    expect(p).toEqual({ leaked: 0, scrubbed: 400 });
    expect(
      await q(conn, "select relispopulated as p from pg_class where relname = 'mv_empty'"),
    ).toEqual([{ p: false }]);
    expect(await q(conn, "select 'v_people'::regclass::oid::int as oid")).toEqual(before.view);
  });

  it("drops the foreign server, its user mapping, foreign table and views over it, and says so", async () => {
    expect(report.foreignDropped).toEqual([
      "server elsewhere",
      "user mapping for public on server elsewhere",
      "foreign table readings_remote",
      "foreign table remote_customers",
      "view v_remote (reads a foreign table)",
    ]);
    expect(
      await q(
        conn,
        `select (select count(*)::int from pg_foreign_server) as servers,
                (select count(*)::int from pg_foreign_table) as tables,
                (select count(*)::int from pg_user_mappings) as mappings,
                (select count(*)::int from pg_class where relname = 'v_remote') as views`,
      ),
    ).toEqual([{ servers: 0, tables: 0, mappings: 0, views: 0 }]);
  });
});

describe("inheritance in the scrubber", () => {
  it("a child's inherited columns follow the parent's rules; its own columns need its own", async () => {
    const conn = await makeDatabase(pg.connection, "structures_plan", SQL);
    const catalog = await withSession(conn, (db) => readCatalog(db));
    const { tables, unclassified } = planScrub(
      catalog,
      scrubberOf({
        ...SCRUBBER,
        tables: { ...SCRUBBER.tables, vip_contacts: {}, people: { ...SCRUBBER.tables.people } },
      }),
      { file: "scrubbers/structures.yaml" },
    );
    expect(unclassified.map((u) => `${u.table}.${u.column}`)).toEqual(["vip_contacts.vip_note"]);
    const vip = tables.find((t) => t.table.name === "vip_contacts")!;
    expect(Object.fromEntries(vip.rules)).toEqual({
      id: "keep",
      email: { fake: "internet.email" },
      phone: { fake: "phone.number" },
    });
    expect(catalog.map((t) => t.name)).not.toContain("remote_customers");
  });
});
