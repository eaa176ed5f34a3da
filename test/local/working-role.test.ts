import { expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { handOver } from "../../src/providers/local/working-role.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { signal } from "./util.js";

/** The hand-over of a snapshot copy, on every kind of object a production may hold. */
const pg = useTestCluster();

const rows = <R>(c: ConnectionInfo, sql: string) =>
  withSession(c, async (db) => (await db.query<R>(sql)).rows);

/** Every object outside system schemas and extensions whose owner is not drill_owner. */
const NOT_HANDED = `
  select 'schema ' || nspname as what, nspowner as owner, oid, 'pg_namespace' as cat from pg_namespace
   where nspname !~ '^pg_' and nspname <> 'information_schema' and nspowner <> 'pg_database_owner'::regrole
  union all select 'relation ' || oid::regclass, relowner, oid, 'pg_class' from pg_class
   where relnamespace::regnamespace::text not in ('pg_catalog', 'information_schema', 'pg_toast')
  union all select 'routine ' || oid::regprocedure, proowner, oid, 'pg_proc' from pg_proc
   where pronamespace::regnamespace::text not in ('pg_catalog', 'information_schema')
  union all select 'type ' || oid::regtype, typowner, oid, 'pg_type' from pg_type
   where typnamespace::regnamespace::text not in ('pg_catalog', 'information_schema', 'pg_toast')
  union all select 'large object ' || oid, lomowner, oid, 'pg_largeobject_metadata' from pg_largeobject_metadata
  union all select 'server ' || srvname, srvowner, oid, 'pg_foreign_server' from pg_foreign_server`;

it("disables every event trigger and gives drill_owner every database and object, no more", async () => {
  const c = { ...pg.connection, database: "handed" };
  await withSession(pg.connection, async (db) => {
    await db.query("create database handed");
    await db.query("create role app login");
    await db.query("create database other owner app");
  });
  await withSession(c, (db) =>
    db.query(`
      create extension pgcrypto;
      create extension postgres_fdw;
      create schema app authorization app;
      create type app.mood as enum ('ok', 'sad');
      create type app.pair as (a int, b text);
      create type app.span as range (subtype = int4);
      create domain app.email as text check (value like '%@%');
      create table app.t (id int generated always as identity primary key, m app.mood, e app.email);
      create table app.s (id serial primary key);
      create sequence app.free;
      create table app.p (id int, at date) partition by range (at);
      create table app.p1 partition of app.p for values from ('2026-01-01') to ('2027-01-01');
      create view app.v as select * from app.t;
      create materialized view app.mv as select * from app.t;
      create function app.f() returns int language sql security definer as 'select 1';
      create procedure app.pr() language sql as 'select 1';
      create aggregate app.total(int) (sfunc = int4pl, stype = int);
      create server remote foreign data wrapper postgres_fdw;
      create foreign table app.ft (id int) server remote;
      create function app.evt() returns event_trigger language plpgsql as 'begin null; end';
      create event trigger loud on ddl_command_end execute function app.evt();
      alter table app.t owner to app;
      alter function app.f() owner to app;
      select lo_create(0);
    `),
  );
  // The test can fail: before the hand-over all of it is someone else's.
  expect((await rows(c, NOT_HANDED)).length).toBeGreaterThan(20);

  const handed = await handOver(pg.connection, "handed", signal());
  expect(handed.connection).toMatchObject({ user: "drill_owner", database: "handed" });
  expect(handed.details.eventTriggersDisabled).toEqual(["handed: loud"]);
  const left = await rows<{ what: string }>(
    handed.admin,
    `select what from (${NOT_HANDED}) o where owner <> 'drill_owner'::regrole
       and not exists (select from pg_depend d where d.objid = o.oid and d.deptype = 'e'
                         and d.classid = o.cat::regclass)
       -- indexes, toast, row and array types, owned sequences follow their owners
       and what !~ '^(relation|type) ' order by 1`,
  );
  expect(left).toEqual([]);
  const relations = await rows<{ n: number }>(
    handed.admin,
    `select count(*)::int as n from pg_class where relnamespace = 'app'::regnamespace
        and relowner <> 'drill_owner'::regrole`,
  );
  expect(relations).toEqual([{ n: 0 }]);
  const types = await rows<{ t: string }>(
    handed.admin,
    `select oid::regtype::text as t from pg_type where typnamespace = 'app'::regnamespace
        and typowner <> 'drill_owner'::regrole order by 1`,
  );
  expect(types).toEqual([]);
  expect(
    await rows(
      handed.admin,
      `select datname, pg_get_userbyid(datdba) as owner from pg_database
        where datname in ('handed', 'other', 'template1') order by 1`,
    ),
  ).toEqual([
    { datname: "handed", owner: "drill_owner" },
    { datname: "other", owner: "drill_owner" },
    { datname: "template1", owner: "postgres" },
  ]);
  expect(await rows(handed.admin, "select evtenabled from pg_event_trigger")).toEqual([
    { evtenabled: "D" },
  ]);
  // What the scrub then does as drill_owner: set the replica role, unlink, drop the server.
  await withSession(handed.connection, async (db) => {
    await db.query("begin; set local session_replication_role = replica; commit");
    await db.query("select lo_unlink(oid) from pg_largeobject_metadata");
    await db.query("drop server remote cascade");
  });
}, 60_000);
