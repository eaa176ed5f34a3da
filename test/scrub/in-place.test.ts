import { expect, it } from "vitest";
import { withSession, type Queryable } from "../../src/db.js";
import { readCatalog, rewrittenInPlace } from "../../src/scrub/catalog.js";
import { rewriteInPlace } from "../../src/scrub/in-place.js";
import { useTestCluster } from "../helpers/cluster.js";
import { emailRewrite } from "./dump.js";
import { makeDatabase } from "./fixture.js";

const pg = useTestCluster();

/** A table with a generated column (rewritten in place) and a unique email; a trigger log. */
const SQL = `
create schema work;
create table log (what text);
create table u (id int primary key, email text not null unique, domain text generated always as (split_part(email, '@', 2)) stored);
create function log_u() returns trigger language plpgsql as $$ begin insert into log values (tg_op); return null; end $$;
create trigger u_log after insert or delete on u for each row execute function log_u();
create trigger u_truncate after truncate on u for each statement execute function log_u();
alter table u enable always trigger u_log;
insert into u select g, 'e' || g || '@x.org' from generate_series(1, 5) g;
truncate log;`;

async function rewrite(db: Queryable, fake: string) {
  const table = (await readCatalog(db)).find((t) => t.name === "u")!;
  expect(rewrittenInPlace(table)).toBe(true);
  const compiled = emailRewrite(table, fake);
  return rewriteInPlace(db, table, compiled, "work");
}
const rows = async (db: Queryable) =>
  (await db.query<{ email: string; domain: string }>("select email, domain from u order by id"))
    .rows;
const state = async (db: Queryable) =>
  (
    await db.query(
      `select (select count(*)::int from log) as logged, (select count(*)::int from pg_class where relnamespace = 'work'::regnamespace) as scratch,
              (select string_agg(tgname || tgenabled::text, ',' order by tgname) from pg_trigger where tgrelid = 'u'::regclass and not tgisinternal) as triggers`,
    )
  ).rows[0];

it("rewrites in place: generated column recomputed, collisions resolved on retry, no trigger fires", async () => {
  const conn = await makeDatabase(pg.connection, "inplace1", SQL);
  await withSession(conn, async (db) => {
    const ok = await rewrite(db, "'f' || t.id || '@y.org'");
    expect(ok).toMatchObject({ rows: 5, collisionsResolved: 0 });
    expect((await rows(db))[0]).toEqual({ email: "f1@y.org", domain: "y.org" });

    // Distinct inputs, one fake: the unique index refuses it, the retry resolves the collision.
    const r = await rewrite(db, "case when t.id <= 3 then 'same@z.org' else t.email end");
    expect(r.collisionsResolved).toBe(2);
    expect((await rows(db)).map((x) => `${x.email} ${x.domain}`).sort()).toEqual([
      "f4@y.org y.org",
      "f5@y.org y.org",
      "same-2@z.org z.org",
      "same-3@z.org z.org",
      "same@z.org z.org",
    ]);
    expect(await state(db)).toEqual({ logged: 0, scratch: 0, triggers: "u_logA,u_truncateO" });
  });
});

it("a unique index no collision pass can satisfy fails and keeps the original rows", async () => {
  const conn = await makeDatabase(pg.connection, "inplace2", SQL);
  await withSession(conn, async (db) => {
    await db.query("create unique index u_first on u (left(email, 2))");
    const before = await rows(db);
    await expect(rewrite(db, "'zz' || t.id || '@x.org'")).rejects.toMatchObject({ code: "23505" });
    expect(await rows(db)).toEqual(before);
    expect(await state(db)).toEqual({ logged: 0, scratch: 0, triggers: "u_logA,u_truncateO" });
  });
});
