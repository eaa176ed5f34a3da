import { beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { parseYaml } from "../../src/definitions/yaml.js";
import { DrillError } from "../../src/errors.js";
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

/** Range partitions with hash sub-partitions and a default, list partitions, keys both ways, a trigger log. */
const SQL = `
do $$ begin create role part_reader; exception when duplicate_object then null; end $$;
create table customers (id int primary key, email text not null unique, full_name text not null);
create table events (
  id bigint generated always as identity,
  at date not null,
  customer_id int references customers (id),
  email text not null,
  note text,
  email_domain text generated always as (split_part(email, '@', 2)) stored,
  primary key (id, at),
  constraint events_email_at unique (email, at),
  constraint events_email_len check (length(email) > 3)
) partition by range (at);
comment on table events is 'every event';
comment on column events.note is 'free text';
create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01') partition by hash (at);
create table events_2024_h0 partition of events_2024 for values with (modulus 2, remainder 0);
create table events_2024_h1 partition of events_2024 for values with (modulus 2, remainder 1);
create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01');
create table events_default partition of events default;
create index events_email_idx on events (lower(email));
create index events_2025_note_idx on events_2025 (note);
create table event_refs (event_id bigint, at date, foreign key (event_id, at) references events (id, at));
create table event_log (id serial primary key, op text not null, email text);
create function log_event() returns trigger language plpgsql as $$
begin insert into event_log (op, email) values (tg_op, coalesce(new.email, old.email)); return null; end $$;
create trigger events_log after insert or update or delete on events for each row execute function log_event();
create trigger events_log_always after insert on events for each row execute function log_event();
alter table events enable always trigger events_log_always;
grant select on events to part_reader;
create table accounts (id int, region text not null, iban text, holder text, primary key (id, region)) partition by list (region);
create table accounts_eu partition of accounts for values in ('eu');
create table accounts_us partition of accounts for values in ('us');
create table accounts_other partition of accounts default;
-- Attached with another column order and a dropped column: columns are matched by name.
create table accounts_apac (junk int, holder text, iban text, region text not null, id int not null);
alter table accounts_apac drop column junk;
alter table accounts attach partition accounts_apac for values in ('apac');
insert into customers select g, 'cust' || g || '@origin-mail.example.com', 'Origname Custperson' || g from generate_series(1, 200) g;
insert into events (at, customer_id, email, note)
select date '2023-06-01' + (g % 900), 1 + g % 200, 'evt' || g || '@origin-mail.example.com',
       case when g % 5 = 0 then 'call +31 20 555 ' || lpad(g::text, 4, '0') || ' or write evt' || g || '@origin-mail.example.com' else 'quiet' end
  from generate_series(1, 3000) g;
insert into event_refs select id, at from events where id % 7 = 0;
insert into accounts select g, (array['eu', 'us', 'apac', 'latam'])[1 + g % 4], 'NL' || lpad(g::text, 2, '0') || 'ORIG0' || lpad(g::text, 9, '0'), 'Origholder Person' || g
  from generate_series(1, 300) g;
analyze;
`;

const SCRUBBER = {
  secret: SECRET,
  tables: {
    customers: {
      id: "keep",
      email: { fake: "internet.email", unique: true },
      full_name: { fake: "person.fullName" },
    },
    events: {
      id: "keep",
      at: "keep",
      customer_id: "keep",
      email: { fake: "internet.email", unique: true },
      note: { text: {} },
    },
    event_refs: { event_id: "keep", at: "keep" },
    event_log: { id: "keep", op: "keep", email: { fake: "internet.email" } },
    accounts: {
      id: "keep",
      region: "keep",
      iban: { fake: "finance.iban" },
      holder: { fake: "person.fullName" },
    },
  },
};

let dbs = 0;
const fresh = () => makeDatabase(pg.connection, `parts${++dbs}`, SQL);
const counts = (conn: ConnectionInfo) =>
  q<{ rel: string; n: number }>(
    conn,
    `select tableoid::regclass::text as rel, count(*)::int as n from events group by 1
     union all select tableoid::regclass::text, count(*)::int from accounts group by 1
     union all select 'event_log', count(*)::int from event_log order by 1`,
  );

describe("partitioned tables", () => {
  let conn: ConnectionInfo;
  let before: { shape: string[]; counts: unknown; originals: string[] };
  let report: Awaited<ReturnType<typeof scrubDatabase>>;

  beforeAll(async () => {
    conn = await fresh();
    before = {
      shape: await catalogShape(conn),
      counts: await counts(conn),
      originals: await originalsOf(conn, [
        "select email as v from events where id % 10 = 1",
        "select email as v from event_log where id % 10 = 2",
        "select email as v from customers",
        "select full_name as v from customers",
        "select iban as v from accounts",
        "select holder as v from accounts",
        "select substr(note, 6, 16) as v from events where note <> 'quiet'",
      ]),
    };
    report = await scrubDatabase(conn, scrubberOf(SCRUBBER), scrubOptions("scrubbers/parts.yaml"));
  });

  it("passes; rules on the parent cover every partition, reported once per table", () => {
    expect(passedTables(report)).toEqual([
      ["accounts", 300],
      ["customers", 200],
      // Both triggers logged each fixture insert.
      ["event_log", 6000],
      ["events", 3000],
    ]);
  });

  it("leaves no sampled original anywhere in a data-only dump", async () => {
    expect(before.originals.length).toBeGreaterThan(1500);
    await expectNoSurvivors(
      conn,
      before.originals,
      "events_2024_h0",
      /origin-mail|Origname|Origholder|ORIG0/,
    );
  });

  it("keeps the tree, bounds, default, indexes, constraints, keys, triggers, grants, comments", async () => {
    expect(await catalogShape(conn)).toEqual(before.shape);
    // Rows stayed in their partitions; no trigger fired (the log has exactly its scrubbed rows).
    expect(await counts(conn)).toEqual(before.counts);
    const [g] = await q<{ bad: number }>(
      conn,
      "select count(*)::int as bad from events where email_domain is distinct from split_part(email, '@', 2)",
    );
    expect(g!.bad).toBe(0);
    // Keys to and from the partitioned table hold and still refuse.
    await expect(q(conn, "insert into event_refs values (999999, '2024-02-02')")).rejects.toThrow(
      /foreign key/,
    );
    await expect(
      q(conn, "insert into events (at, customer_id, email) values ('2024-02-02', 99999, 'a@b.c')"),
    ).rejects.toThrow(/foreign key/);
    // The triggers are enabled as before: a new row is logged twice (normal and ALWAYS).
    await q(
      conn,
      "insert into events (at, customer_id, email) values ('2025-03-03', 1, 'new@x.y')",
    );
    expect(
      await q(conn, "select count(*)::int as n from event_log where email = 'new@x.y'"),
    ).toEqual([{ n: 2 }]);
  });
});

describe("partitions in the scrubber", () => {
  let catalog: Awaited<ReturnType<typeof readCatalog>>;
  beforeAll(async () => {
    const conn = await fresh();
    catalog = await withSession(conn, (db) => readCatalog(db));
  });

  it("the catalog lists the partitioned table once, its partitions under it", () => {
    const names = catalog.map((t) => t.name);
    expect(names).toEqual(["accounts", "customers", "event_log", "event_refs", "events"]);
    const events = catalog.find((t) => t.name === "events")!;
    expect(events.partitions?.map((p) => [p.name, p.leaf])).toEqual([
      ["events_2024", false],
      ["events_2025", true],
      ["events_default", true],
      ["events_2024_h0", true],
      ["events_2024_h1", true],
    ]);
    expect(events.estimatedRows).toBeGreaterThan(2900);
  });

  it("unclassified columns are listed on the parent only; generated columns never", () => {
    const { unclassified } = planScrub(
      catalog,
      scrubberOf({ ...SCRUBBER, tables: { ...SCRUBBER.tables, events: { id: "keep" } } }),
      { file: "scrubbers/parts.yaml" },
    );
    expect(unclassified.map((u) => `${u.table}.${u.column}`)).toEqual([
      "events.at",
      "events.customer_id",
      "events.email",
      "events.note",
    ]);
  });

  it("a rule on a partition or a generated column is a located input error (exit 2)", () => {
    const yaml = [
      "secret: test-secret-0123456789",
      "tables:",
      "  events_2025:",
      "    id: keep",
      "  events:",
      "    email_domain: keep",
      "",
    ].join("\n");
    const parsed = parseYaml(yaml, "scrubbers/parts.yaml", {});
    if (!parsed.ok) throw new Error("bad yaml");
    const e = (() => {
      try {
        planScrub(catalog, scrubberOf(parsed.source.data), parsed.source);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(DrillError);
    expect((e as DrillError).exitCode).toBe(2);
    expect((e as DrillError).message.split("\n")).toEqual([
      'scrubbers/parts.yaml:3:3 tables.events_2025: "events_2025" is a partition of events: write its rules once on events (they apply to every partition)',
      "scrubbers/parts.yaml:6:5 tables.events.email_domain: generated column: PostgreSQL recomputes it from the scrubbed columns, it takes no rule (remove it)",
    ]);
  });
});
