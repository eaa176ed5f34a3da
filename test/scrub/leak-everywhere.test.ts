import { describe, expect, it } from "vitest";
import { scrubDatabase, type ScrubOptions } from "../../src/scrub/scrub.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { SECRET, makeDatabase, q, scrubberOf } from "./fixture.js";
import { DESK_SCRUBBER, DESK_SQL, PLANT_SQL } from "./leak-fixture.js";

const pg = useTestCluster();

let dbs = 0;
const freshDesk = async (plant: boolean) => {
  const conn = await makeDatabase(pg.connection, `desk${++dbs}`, DESK_SQL);
  if (plant) await q(conn, PLANT_SQL);
  return conn;
};
const opts: ScrubOptions = {
  file: "scrubbers/desk.yaml",
  workers: 2,
  leakScan: { sample: 5000, patterns: true, canaries: true },
  signal: new AbortController().signal,
  progress: () => {},
};
const scrub = (conn: ConnectionInfo, raw: unknown = DESK_SCRUBBER(SECRET)) =>
  scrubDatabase(conn, scrubberOf(raw), opts);
/** Every planted value, as it was: none may appear in a finding. */
const planted = (conn: ConnectionInfo) =>
  q<{ v: string }>(
    conn,
    `select full_name as v from customers where id <= 9 union all select email from customers where id <= 9 union all select passport from customers where id <= 9`,
  ).then((r) => r.map((x) => x.v));

describe("leak scan: sampled originals and patterns inside every text-like value", () => {
  it("a copy with every column scrubbed or clean passes: no finding from fakes or replacements", async () => {
    const r = await scrub(await freshDesk(false));
    expect(r.findings).toEqual([]);
    expect(r.outcome).toBe("passed");
    expect(r.leakScan?.sampledPhrases).toBeGreaterThan(100);
  });

  it("names the column of every copy: free text, transformed text, json, arrays, hstore, xml, tsvector", async () => {
    const conn = await freshDesk(true);
    const originals = await planted(conn);
    const r = await scrub(conn);
    expect(r.outcome).toBe("failed");
    expect(r.leakScan?.hits).toEqual({
      "tickets.body": 1, // "Customer <full name> asked": a kept text
      "tickets.summary": 1, // a `text` column that replaces emails only
      "tickets.meta": 1, // an email inside the rest of a json document
      "tickets.extra": 1, // rest: keep: no pattern scan, sampled originals still looked for
      "tickets.tags": 1, // a text[] element
      "tickets.doc": 1, // xml
      "tickets.search": 1, // tsvector
      "tickets.payload": 1, // a passport number whose column the scrub nulls
    });
    expect(r.leakScan?.patterns).toEqual({
      "tickets.meta": { emails: 1 },
      "tickets.tags": { emails: 1 },
      "tickets.attrs": { phones: 1 },
      "tickets.search": { emails: 1 },
      "tickets.payload": { ibans: 1 },
    });
    expect(r.findings).toContain(
      "leak: 1 row(s) of tickets.body still hold a sampled original value",
    );
    expect(r.findings).toContain(
      "leak: tickets.payload contains 1 ibans (classify the column, or allow them with allowPatterns)",
    );
    const all = r.findings.join("\n");
    for (const v of originals) expect(all).not.toContain(v);
    expect(all).not.toMatch(/NL91|7946/);
  });

  it("originals of array elements (each) are sampled and found inside other columns", async () => {
    const conn = await freshDesk(false);
    await q(
      conn,
      `alter table customers add column aliases text[];
       update customers set aliases = array['Agent ' || upper(substr(md5(id::text), 1, 6)), 'no alias'];
       update tickets set body = 'Known as ' || (select aliases[1] from customers where id = 12) || ' at the desk' where id = 12;`,
    );
    const raw = DESK_SCRUBBER(SECRET);
    const r = await scrub(conn, {
      ...raw,
      tables: {
        ...raw.tables,
        customers: { ...raw.tables.customers, aliases: { each: { fake: "person.fullName" } } },
      },
    });
    expect(r.leakScan?.hits).toEqual({ "tickets.body": 1 });
    expect(r.outcome).toBe("failed");
  });

  it("unknownColumns: warn never passes with PII in an unclassified column", async () => {
    const conn = await freshDesk(false);
    await q(
      conn,
      `alter table customers add column remarks text;
       update customers set remarks = 'reach me at ' || email where id = 3;
       alter table tickets add column cc text[];
       update tickets set cc = array['Forwarded to ' || (select full_name from customers where id = 9)] where id = 9;`,
    );
    const r = await scrub(conn, { ...DESK_SCRUBBER(SECRET), unknownColumns: "warn" });
    expect(r.outcome).toBe("failed");
    expect(r.findings[0]).toMatch(/^warning: 2 column\(s\) not classified/);
    expect(r.leakScan?.hits).toEqual({ "customers.remarks": 1, "tickets.cc": 1 });
    expect(r.leakScan?.patterns).toEqual({ "customers.remarks": { emails: 1 } });
    // The same columns without PII only warn.
    const clean = await freshDesk(false);
    await q(clean, "alter table customers add column remarks text default 'friendly'");
    const ok = await scrub(clean, { ...DESK_SCRUBBER(SECRET), unknownColumns: "warn" });
    expect(ok.outcome).toBe("passed");
  });
});
