import { beforeAll, describe, expect, it } from "vitest";
import { scrubDatabase } from "../../src/scrub/scrub.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { dataDump, survivors } from "./dump.js";
import { SECRET, makeDatabase, q, scrubOptions, scrubberOf } from "./fixture.js";

/**
 * Natural keys: `users` holds each address once (unique), `events` and `archive` hold the same
 * addresses again in columns, json and arrays. One input gives one output in every table, so
 * every join matches as often after the scrub as before, whichever side says unique.
 */
const SQL = `
create table users (id int primary key, email text unique, login text unique, ref text unique);
insert into users select g, 'nk.user' || g || '@joins.example.org', 'login-' || g, 'ref-' || g
  from generate_series(1, 300) g;
create table events (id int primary key, email text, login text, ref text, payload jsonb, addrs text[]);
insert into events
select g, 'nk.user' || (1 + g % 400) || '@joins.example.org', 'login-' || (1 + g % 400), 'ref-' || (1 + g % 400),
       jsonb_build_object('email', 'nk.user' || (1 + g % 350) || '@joins.example.org'),
       array['nk.user' || (1 + g % 330) || '@joins.example.org']
  from generate_series(1, 1200) g;
create table archive (id int primary key, email text unique);
insert into archive select g, 'nk.user' || (g * 2) || '@joins.example.org' from generate_series(1, 250) g;
`;

const SCRUBBER = {
  secret: SECRET,
  tables: {
    users: {
      id: "keep",
      email: { fake: "internet.email", unique: true },
      login: { template: "{{hash}}@example.invalid", unique: true },
      ref: { hash: {}, unique: true },
    },
    events: {
      id: "keep",
      email: { fake: "internet.email" },
      login: { template: "{{hash}}@example.invalid" },
      ref: { hash: {} },
      payload: { json: { email: { fake: "internet.email" } } },
      addrs: { each: { fake: "internet.email" } },
    },
    archive: { id: "keep", email: { fake: "internet.email", unique: true } },
  },
};

const JOINS = {
  email: "select count(*)::int as n from users u join events e on e.email = u.email",
  template: "select count(*)::int as n from users u join events e on e.login = u.login",
  hash: "select count(*)::int as n from users u join events e on e.ref = u.ref",
  json: "select count(*)::int as n from users u join events e on e.payload ->> 'email' = u.email",
  array: "select count(*)::int as n from users u join events e on e.addrs[1] = u.email",
  archive: "select count(*)::int as n from archive a join events e on e.email = a.email",
  "archive-users": "select count(*)::int as n from archive a join users u on u.email = a.email",
};

const pg = useTestCluster();

const counts = async (conn: ConnectionInfo) => {
  const out: Record<string, number> = {};
  for (const [name, sql] of Object.entries(JOINS))
    out[name] = (await q<{ n: number }>(conn, sql))[0]!.n;
  return out;
};

describe("determinism that keeps joins", () => {
  let conn: ConnectionInfo;
  let before: Record<string, number>;
  let emails: string[];
  let report: Awaited<ReturnType<typeof scrubDatabase>>;

  beforeAll(async () => {
    conn = await makeDatabase(pg.connection, "joins", SQL);
    before = await counts(conn);
    emails = (await q<{ email: string }>(conn, "select email from users")).map((r) => r.email);
    report = await scrubDatabase(conn, scrubberOf(SCRUBBER), scrubOptions("scrubbers/joins.yaml"));
  });

  it("passes", () => {
    expect(report.findings).toEqual([]);
  });

  it("matches as many rows after the scrub as before, unique on one side or both", async () => {
    // The fixture joins for real: nothing here is a trivial zero.
    for (const n of Object.values(before)) expect(n).toBeGreaterThan(100);
    expect(await counts(conn)).toEqual(before);
  });

  it("keeps unique columns unique", async () => {
    const [r] = await q<{ n: number; d: number }>(
      conn,
      "select count(*)::int as n, count(distinct email)::int as d from users",
    );
    expect(r!.d).toBe(r!.n);
  });

  it("leaves none of the addresses in a data-only dump", async () => {
    const dump = await dataDump(conn);
    expect(survivors(dump, emails)).toEqual([]);
    expect(survivors(dump, ["@joins.example.org", "login-1\t", "ref-1\t"])).toEqual([]);
  });
});
