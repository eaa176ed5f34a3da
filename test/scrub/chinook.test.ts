import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseYaml } from "../../src/definitions/yaml.js";
import { parseWith } from "../../src/definitions/zod-issues.js";
import { scrubberSchema, type Scrubber } from "../../src/definitions/scrubber.js";
import { scrubDatabase } from "../../src/scrub/scrub.js";
import type { ConnectionInfo } from "../../src/types.js";
import { startTestCluster } from "../helpers/cluster.js";
import { q } from "./fixture.js";

/** Real third-party data: Chinook, loaded with Debian's psql (the script uses \c). */
const CHINOOK = "/work/shared/fixtures/chinook/chinook.sql";
const PSQL = "/usr/lib/postgresql/15/bin/psql";

let pg: Awaited<ReturnType<typeof startTestCluster>>;
beforeAll(async () => {
  pg = await startTestCluster();
  const c = pg.connection;
  execFileSync(
    PSQL,
    [
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      c.host,
      "-p",
      String(c.port),
      "-U",
      c.user,
      "-d",
      "postgres",
      "-f",
      CHINOOK,
    ],
    {
      env: { ...process.env, PGPASSWORD: c.password },
      stdio: ["ignore", "ignore", "ignore"],
    },
  );
  for (const name of ["chinook_a", "chinook_b", "chinook_c"])
    await q(c, `create database ${name} template chinook`);
});
afterAll(async () => {
  await pg?.stop();
});

const db = (name: string): ConnectionInfo => ({ ...pg.connection, database: name });
const scrubber = async (secret: string): Promise<Scrubber> => {
  const text = await readFile(new URL("../fixtures/scrub/chinook.yaml", import.meta.url), "utf8");
  const read = parseYaml(text, "chinook.yaml", { SCRUB_SECRET: secret });
  if (!read.ok) throw new Error(JSON.stringify(read.problems));
  const parsed = parseWith(scrubberSchema, read.source);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
};
const run = async (name: string, secret: string) =>
  scrubDatabase(db(name), await scrubber(secret), {
    file: "test/fixtures/scrub/chinook.yaml",
    workers: 3,
    leakScan: { sample: 1000, patterns: true, canaries: true },
    signal: new AbortController().signal,
    progress: () => {},
  });

const TEXT_COLUMNS = `select table_name as t, column_name as c from information_schema.columns
  where table_schema = 'public' and data_type in ('character varying', 'text') order by 1, 2`;
const COUNTS = `select relname as t, (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from %I', relname), false, true, '')))[1]::text::int as n
  from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1`;
const PERSONAL = `select v from (
  select email as v from customer union select email from employee union select phone from customer union select phone from employee
  union select fax from customer union select fax from employee union select address from customer union select address from employee
  union select billing_address from invoice union select company from customer
  union select first_name || ' ' || last_name from customer union select first_name || ' ' || last_name from employee) s where v is not null`;

it("scrubs Chinook: nothing personal left anywhere, counts and foreign keys intact, stable per secret", async () => {
  const originals = (await q<{ v: string }>(db("chinook"), PERSONAL)).map((r) => r.v);
  expect(originals.length).toBe(294);
  const counts = await q(db("chinook"), COUNTS);
  const fks = `select count(*)::int as n from pg_constraint where contype = 'f' and convalidated`;
  expect(await q(db("chinook"), fks)).toEqual([{ n: 11 }]);

  const a = await run("chinook_a", "first-secret-0123456789");
  expect(a.findings).toEqual([]);
  expect(a.outcome).toBe("passed");
  expect(a.tables.map((t) => [t.table, t.rows])).toEqual([
    ["customer", 59],
    ["employee", 8],
    ["invoice", 412],
  ]);
  expect(await q(db("chinook_a"), COUNTS)).toEqual(counts);
  expect(await q(db("chinook_a"), fks)).toEqual([{ n: 11 }]);

  // Every text column of every table, and every person's full name, against every original.
  const left: string[] = [];
  for (const { t, c } of await q<{ t: string; c: string }>(db("chinook_a"), TEXT_COLUMNS)) {
    const [r] = await q<{ n: number }>(
      db("chinook_a"),
      `select count(*)::int as n from "${t}" where "${c}" = any($1)`,
      [originals],
    );
    if (r!.n > 0) left.push(`${t}.${c}`);
  }
  const names = await q<{ n: number }>(
    db("chinook_a"),
    `select count(*)::int as n from (select first_name || ' ' || last_name as v from customer union all select first_name || ' ' || last_name from employee) s where v = any($1)`,
    [originals],
  );
  expect(left).toEqual([]);
  expect(names).toEqual([{ n: 0 }]);

  const b = await run("chinook_b", "first-secret-0123456789");
  const c = await run("chinook_c", "other-secret-0123456789");
  expect([b.outcome, c.outcome]).toEqual(["passed", "passed"]);
  const dump = (name: string) =>
    q<{ v: string }>(
      db(name),
      `select md5(string_agg(x::text, '|' order by x.customer_id)) as v from customer x`,
    ).then((r) => r[0]!.v);
  expect(await dump("chinook_b")).toBe(await dump("chinook_a"));
  expect(await dump("chinook_c")).not.toBe(await dump("chinook_a"));
});
