import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { pgEnv, withSession } from "../../src/db.js";
import { resolveSteps } from "../../src/definitions/steps.js";
import type { DrillError } from "../../src/errors.js";
import { scrubDatabases, type DatabaseScrubber } from "../../src/scrub/databases.js";
import { scrub } from "../../src/steps/scrub.js";
import type { PreflightContext, StepContext } from "../../src/steps/types.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { SECRET, SHOP_SCRUBBER, SHOP_SQL, makeDatabase, q, scrubberOf } from "./fixture.js";

/** A second database with personal data of its own. */
const CRM_SQL = `
create table contacts (id int primary key, name text not null, email text not null, phone text);
insert into contacts
select g, 'Contact Person ' || g, 'contact' || g || '@crm.example.com', '+44 20 7946 ' || lpad(g::text, 4, '0')
  from generate_series(1, 500) g;`;
const CRM_SCRUBBER = {
  secret: SECRET,
  tables: {
    contacts: {
      id: "keep",
      name: { fake: "person.fullName" },
      email: { fake: "internet.email" },
      phone: { fake: "phone.number" },
    },
  },
};
/** A database nobody classified: a table of addresses, and one holding only a large object. */
const LEGACY_SQL = `create table old_users (id int, email text);
insert into old_users select g, 'old' || g || '@legacy.example.com' from generate_series(1, 100) g;`;
const BLOBS_SQL = `select lo_from_bytea(0, convert_to('scan of passport 123456789', 'UTF8'));`;

const pg = useTestCluster();

/** The cluster as a restore brings it: shop, crm, legacy, blobs, and the empty `postgres`. */
async function restoredCluster(): Promise<Record<string, ConnectionInfo>> {
  const existing = await q<{ datname: string }>(
    pg.connection,
    "select datname from pg_database where datname not in ('postgres', 'template0', 'template1')",
  );
  for (const { datname } of existing)
    await withSession(pg.connection, (db) => db.query(`drop database ${datname} with (force)`));
  return {
    shop: await makeDatabase(pg.connection, "shop", SHOP_SQL),
    crm: await makeDatabase(pg.connection, "crm", CRM_SQL),
    legacy: await makeDatabase(pg.connection, "legacy", LEGACY_SQL),
    blobs: await makeDatabase(pg.connection, "blobs", BLOBS_SQL),
  };
}

const scrubbers = (entries: [string, unknown][]) =>
  new Map<string, DatabaseScrubber>(
    entries.map(([db, raw]) => [
      db,
      { name: db, scrubber: scrubberOf(raw), source: { file: `scrubbers/${db}.yaml` } },
    ]),
  );
const progress: string[] = [];
const options = (
  otherDatabases: "drop" | "fail",
  map = [
    ["shop", SHOP_SCRUBBER],
    ["crm", CRM_SCRUBBER],
  ] as [string, unknown][],
) => ({
  scrubbers: scrubbers(map),
  otherDatabases,
  workers: 2,
  leakScan: { sample: 1000, patterns: true, canaries: true },
  signal: new AbortController().signal,
  progress: (m: string) => progress.push(m),
});

/** A data-only dump (large objects included), without pg_dump's per-run `\restrict` key. */
const dump = (conn: ConnectionInfo) =>
  execFileSync("/usr/lib/postgresql/15/bin/pg_dump", ["--data-only"], {
    env: { ...pgEnv(conn), PATH: process.env.PATH ?? "" },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  }).replace(/^\\(un)?restrict .*$/gm, "");

it("fails on databases nobody classified, naming them and the fix, before rewriting anything", async () => {
  const c = await restoredCluster();
  const before = dump(c.shop!) + dump(c.crm!);
  const report = await scrubDatabases(c.shop!, options("fail"));
  expect(report.outcome).toBe("failed");
  expect(report.findings).toEqual([
    "2 database(s) not classified: blobs (0 table(s), large objects), legacy (1 table(s)); name each in the scrub step's `scrubbers: { <database>: <scrubber> }` or set `otherDatabases: drop`",
  ]);
  expect(report.databases.map((d) => [d.database, d.outcome])).toEqual([
    ["postgres", "empty"],
    ["blobs", "unclassified"],
    ["legacy", "unclassified"],
  ]);
  expect(report.totals.rows).toBe(0);
  // Nothing was rewritten: the dumps are the same.
  expect(dump(c.shop!) + dump(c.crm!)).toBe(before);
});

it("never drops the copy's own database: holding data with no scrubber fails the step", async () => {
  const c = await restoredCluster();
  const report = await scrubDatabases(c.shop!, options("drop", [["crm", CRM_SCRUBBER]]));
  expect(report.outcome).toBe("failed");
  expect(report.findings[0]).toMatch(/^the copy's own database shop holds data and no scrubber/);
  const left = await q<{ n: number }>(
    pg.connection,
    "select count(*)::int n from pg_database where datname in ('shop', 'crm', 'legacy', 'blobs')",
  );
  expect(left).toEqual([{ n: 4 }]);
});

it("refuses a scrubber for a database the copy lacks", async () => {
  const c = await restoredCluster();
  const e = (await scrubDatabases(c.shop!, options("drop", [["nope", CRM_SCRUBBER]])).catch(
    (x: unknown) => x,
  )) as DrillError;
  expect([e.code, e.exitCode]).toEqual(["SCRUB_UNKNOWN_DATABASE", 2]);
  expect(e.message).toContain(
    '"nope" named in scrubbers do not exist in the restored copy (databases: blobs, crm, legacy, postgres, shop)',
  );
});

it("drops the unclassified databases and scrubs each named one with its scrubber: no sampled original in any dump", async () => {
  const c = await restoredCluster();
  const shopOriginals = await q<{ full_name: string; email: string; phone: string }>(
    c.shop!,
    "select full_name, email, phone from customers order by id limit 200",
  );
  const crmOriginals = await q<{ name: string; email: string; phone: string }>(
    c.crm!,
    "select name, email, phone from contacts order by id limit 200",
  );
  const needles = {
    shop: shopOriginals.flatMap((r) => [r.full_name, r.email, r.phone]),
    crm: crmOriginals.flatMap((r) => [r.name, r.email, r.phone]),
  };
  const found = (text: string, list: string[]) => list.filter((n) => text.includes(n));
  // The test can fail: before the scrub the dumps hold every sampled value.
  expect(found(dump(c.shop!), needles.shop)).toHaveLength(needles.shop.length);
  expect(found(dump(c.crm!), needles.crm)).toHaveLength(needles.crm.length);

  progress.length = 0;
  const report = await scrubDatabases(c.shop!, options("drop"));
  expect(report.findings).toEqual([]);
  expect(report.outcome).toBe("passed");
  expect(report.databases).toEqual([
    {
      database: "shop",
      scrubber: "shop",
      outcome: "passed",
      tables: 2,
      rows: 7000,
      leakScan: "clean",
    },
    {
      database: "crm",
      scrubber: "crm",
      outcome: "passed",
      tables: 1,
      rows: 500,
      leakScan: "clean",
    },
    { database: "postgres", scrubber: null, outcome: "empty", tables: 0, rows: 0, leakScan: null },
    { database: "blobs", scrubber: null, outcome: "dropped", tables: 0, rows: 0, leakScan: null },
    { database: "legacy", scrubber: null, outcome: "dropped", tables: 1, rows: 0, leakScan: null },
  ]);
  expect(report.totals).toMatchObject({ databases: 2, tables: 3, rows: 7500 });
  expect(report.tables.map((t) => `${t.database}.${t.table}`)).toEqual([
    "shop.customers",
    "shop.orders",
    "crm.contacts",
  ]);
  expect(Object.keys(report.leakScan!.databases)).toEqual(["shop", "crm"]);
  // Progress says which database.
  expect(progress).toContain("dropping database legacy (1 table(s)): no scrubber names it");
  expect(progress.some((m) => m.startsWith("crm: rewriting 1 table(s)"))).toBe(true);

  const left = await q<{ datname: string }>(
    pg.connection,
    "select datname from pg_database where datname not like 'template%' order by 1",
  );
  expect(left.map((r) => r.datname)).toEqual(["crm", "postgres", "shop"]);
  expect(found(dump(c.shop!), needles.shop)).toEqual([]);
  expect(found(dump(c.crm!), needles.crm)).toEqual([]);
});

it("a leak in one database fails the whole report, named by database", async () => {
  const c = await restoredCluster();
  const weak = {
    ...CRM_SCRUBBER,
    tables: { contacts: { ...CRM_SCRUBBER.tables.contacts, email: "keep" } },
  };
  const report = await scrubDatabases(
    c.shop!,
    options("drop", [
      ["shop", SHOP_SCRUBBER],
      ["crm", weak],
    ]),
  );
  expect(report.outcome).toBe("failed");
  expect(report.databases.map((d) => [d.database, d.outcome])).toEqual([
    ["shop", "passed"],
    ["crm", "failed"],
    ["postgres", "empty"],
    ["blobs", "dropped"],
    ["legacy", "dropped"],
  ]);
  expect(report.findings.length).toBeGreaterThan(0);
  expect(report.findings.every((f) => f.startsWith("database crm: "))).toBe(true);
  expect(report.findings.join("\n")).toMatch(/contacts\.email/);
});

it("with one database scrubbed, findings read as they always did", async () => {
  const c = await restoredCluster();
  const weak = {
    ...CRM_SCRUBBER,
    tables: { contacts: { ...CRM_SCRUBBER.tables.contacts, email: "keep" } },
  };
  const report = await scrubDatabases(c.crm!, options("drop", [["crm", weak]]));
  expect(report.databases.map((d) => [d.database, d.outcome])).toEqual([
    ["crm", "failed"],
    ["postgres", "empty"],
    ["blobs", "dropped"],
    ["legacy", "dropped"],
    ["shop", "dropped"],
  ]);
  expect(report.findings.length).toBeGreaterThan(0);
  expect(report.findings.filter((f) => f.startsWith("database "))).toEqual([]);
  expect(report.leakScan!.findings).toEqual(report.findings);
});

it("the scrub step hands the copy over only once every database passed", async () => {
  const kept: string[] = [];
  const provider = {
    name: "fake",
    keeper: {
      keep: async (o: { connection: ConnectionInfo }) => {
        kept.push(o.connection.database);
        return { until: "later", pgpassFile: "p", connect: "psql" };
      },
    },
  };
  const measured: Record<string, number | null> = {};
  const context = (target: ConnectionInfo, o: object) =>
    ({
      runId: "r1",
      resources: {
        scrubbers: new Map([
          ["shop", scrubberOf(SHOP_SCRUBBER)],
          ["crm", scrubberOf(CRM_SCRUBBER)],
        ]),
        history: async () => [],
      },
      resolvePath: (p: string) => p,
      drill: { name: "x", steps: [{ restore: {} }, { scrub: o }], notify: [] },
      // Nothing after the scrub moves the copy: keep may hold.
      steps: resolveSteps({ steps: [{ restore: { from: { snapshot: "latest" } } }] }),
      provider,
      signal: new AbortController().signal,
      clock: { now: () => Date.now() },
      target: { connection: target, source: { kind: "snapshot", id: "s" }, readyAt: 0 },
      progress: () => {},
      measure: (k: string, v: number | null) => (measured[k] = v),
    }) as unknown as StepContext;
  const run = async (raw: object) => {
    const c = await restoredCluster();
    const o = scrub.schema.parse(raw);
    return scrub.run(o, context(c.shop!, o));
  };

  const refused = await run({
    scrubber: "shop",
    scrubbers: { crm: "crm" },
    keep: "1h",
    otherDatabases: "fail",
  });
  expect(refused.outcome).toBe("failed");
  expect(refused.details.kept).toBeUndefined();
  expect(kept).toEqual([]);

  // With keep, databases nobody classified are dropped by default; then the copy is kept.
  const passed = await run({ scrubber: "shop", scrubbers: { crm: "crm" }, keep: "1h" });
  expect(passed.findings).toEqual([]);
  expect(passed.outcome).toBe("passed");
  expect(kept).toEqual(["shop"]);
  expect(measured.scrubRows).toBe(7500);
  expect(passed.details).toMatchObject({ scrubber: "shop", kept: { connect: "psql" } });

  const twice = await run({ scrubber: "shop", scrubbers: { shop: "crm" } }).catch(
    (e: unknown) => e,
  );
  expect((twice as DrillError).code).toBe("SCRUB_DATABASE_TWICE");
});

it("keep is refused (exit 2) before anything is rewritten when the provider declares no keeper", async () => {
  const o = scrub.schema.parse({ scrubber: "shop", keep: "1h" });
  const context = { provider: { name: "bare" }, steps: [] } as unknown as PreflightContext;
  await expect(scrub.preflight!(o, context)).rejects.toMatchObject({
    code: "KEEP_UNSUPPORTED",
    exitCode: 2,
    message: "scrub: keep is not supported by the bare provider",
  });
});
