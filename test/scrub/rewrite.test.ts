import { expect, it } from "vitest";
import { withSession, type Queryable } from "../../src/db.js";
import { readCatalog } from "../../src/scrub/catalog.js";
import { captureTable } from "../../src/scrub/preserve.js";
import { rewriteTable } from "../../src/scrub/rewrite.js";
import { useTestCluster } from "../helpers/cluster.js";
import { emailRewrite } from "./dump.js";
import { makeDatabase } from "./fixture.js";

const pg = useTestCluster();

const SQL = `
create table u (id int primary key, email text not null constraint u_email_key unique);
insert into u select g, 'e' || g || '@x.org' from generate_series(1, 5) g;`;

/** A table's rewrite with `email` from `fake`, declared unique by construction as fakes are. */
async function rewrite(db: Queryable, fake: string) {
  const table = (await readCatalog(db)).find((t) => t.name === "u")!;
  const compiled = emailRewrite(table, fake);
  return rewriteTable(db, table, compiled, await captureTable(db, table.oid, table.qualified));
}

const rows = async (db: Queryable) => (await db.query("select id, email from u order by id")).rows;
const columns = async (db: Queryable) =>
  (await db.query("select attname from pg_attribute where attrelid = 'u'::regclass and attnum > 0"))
    .rows;

it("a fake unique by construction needs no hidden column; a refused one is rewritten with a collision pass", async () => {
  const conn = await makeDatabase(pg.connection, "rewrite1", SQL);
  await withSession(conn, async (db) => {
    const ok = await rewrite(db, "'f' || t.id || '@y.org'");
    expect(ok).toMatchObject({ rows: 5, collisionsResolved: 0 });
    // Not even a dropped column: no keyed hash of an original email is left in the table.
    expect(await columns(db)).toEqual([{ attname: "id" }, { attname: "email" }]);

    // Distinct inputs, one fake (a 63-bit hash collision, made here on purpose).
    const r = await rewrite(db, "case when t.id <= 3 then 'same@x.org' else t.email end");
    expect(r.collisionsResolved).toBe(2);
    expect((await rows(db)).map((x) => (x as { email: string }).email).sort()).toEqual([
      "f4@y.org",
      "f5@y.org",
      "same-2@x.org",
      "same-3@x.org",
      "same@x.org",
    ]);
  });
});

it("a unique index no collision pass can satisfy fails the rewrite and keeps the original", async () => {
  const conn = await makeDatabase(pg.connection, "rewrite2", SQL);
  await withSession(conn, async (db) => {
    await db.query("create unique index u_first on u (left(email, 2))");
    const before = await rows(db);
    await expect(rewrite(db, "'zz' || t.id || '@x.org'")).rejects.toMatchObject({ code: "23505" });
    expect(await rows(db)).toEqual(before);
    expect(
      (await db.query("select count(*)::int as n from pg_class where relname like 'drill_new_%'"))
        .rows,
    ).toEqual([{ n: 0 }]);
  });
});
