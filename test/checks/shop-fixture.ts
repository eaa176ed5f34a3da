import { withSession, type Queryable } from "../../src/db.js";
import type { ConnectionInfo } from "../../src/types.js";
import { startTestCluster } from "../helpers/cluster.js";

/** A small shop; `damage` breaks it the ways a bad restore or a bad migration would. */
export async function seed(db: Queryable, damage: boolean) {
  await db.query(`
    create table customers (id int primary key, email text, name text);
    insert into customers select g, 'c' || g || '@shop.test', 'n' || g from generate_series(1, 20) g;
    create table orders (
      id int primary key, customer_id int not null references customers(id),
      created_at timestamptz not null, total numeric check (total >= 0));
    insert into orders select g, 1 + g % 20, timestamptz '2026-01-01 00:00:00+00' - g * interval '1 hour', g
      from generate_series(1, 40) g;
    create table order_items (id int, order_id int, qty int);
    insert into order_items select g, 1 + g % 40, 1 from generate_series(1, 60) g;
    create table empty_log (at timestamptz);
    create table schema_migrations (version text);
    insert into schema_migrations values ('9'), ('20240101120000'), ('20240301090000');
    -- Partitions: constraints cloned to each partition must not be checked (or fail) twice.
    create table events (id int, at date, customer_id int references customers(id),
      kind text check (kind <> ''), primary key (id, at)) partition by range (at);
    create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01');
    create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');
    insert into events values (1, '2025-06-01', 1, 'a'), (2, '2026-06-01', 2, 'b');
    create table event_notes (event_id int, at date, foreign key (event_id, at) references events);
    insert into event_notes values (1, '2025-06-01'), (2, '2026-06-01'), (null, '2020-01-01');
  `);
  if (!damage) return;
  await db.query(`
    -- A parent row gone behind the foreign key's back, as a broken restore would leave it.
    set session_replication_role = replica;
    delete from customers where id = 3;
    set session_replication_role = default;
    update customers set email = 'c1@shop.test' where id in (2, 4);
    update customers set name = null where id in (5, 6);
    insert into order_items values (61, 999, 1), (62, 1000, 1), (63, 999, 1), (64, null, 1);
    -- Constraints added NOT VALID over data that breaks them.
    alter table order_items add constraint items_order_fk foreign key (order_id) references orders(id) not valid;
    insert into orders values (41, 1, now(), 5000);
    alter table orders add constraint orders_total_small check (total < 1000) not valid;
  `);
}

/** One cluster with a sound shop in database `good` and a damaged one in `bad`. */
export async function startShops() {
  const pg = await startTestCluster();
  await withSession(pg.connection, async (db) => {
    await db.query("create database good");
    await db.query("create database bad");
  });
  const good: ConnectionInfo = { ...pg.connection, database: "good" };
  const bad: ConnectionInfo = { ...pg.connection, database: "bad" };
  await withSession(good, (db) => seed(db, false));
  await withSession(bad, (db) => seed(db, true));
  return { pg, good, bad };
}
