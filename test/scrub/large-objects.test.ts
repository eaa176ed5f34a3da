import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { scrubDatabase, type ScrubOptions } from "../../src/scrub/scrub.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { SECRET, makeDatabase, q, scrubberOf } from "./fixture.js";

const pg = useTestCluster();

/** Customers and their scanned letters: one text object (UTF-8), one binary (invalid UTF-8, a NUL) with an address inside. */
const ARCHIVE_SQL = `
create extension if not exists lo;
create table customers (id int primary key, full_name text not null, email text not null);
insert into customers
select g, (array['Margaret','Oliver','Priya','Tomasz'])[1 + g % 4] || ' ' || (array['Holloway-Prentiss','Okonkwo-Baptiste','Lindqvist-Ruhl'])[1 + g % 3] || ' ' || g,
       'client' || g || '@mailbox-example.com'
  from generate_series(1, 100) g;
create table letters (id int primary key, customer_id int references customers, title text, scan oid, file lo);
insert into letters values
  (1, 1, 'welcome', lo_from_bytea(0, convert_to('Dear ' || (select full_name from customers where id = 1) || ', welcome aboard.', 'UTF8')), null),
  (2, 2, 'invoice', null, lo_from_bytea(0, '\\x25504446ff00fe'::bytea || convert_to('to: zoe.archive@letters-example.org', 'UTF8') || '\\x00ff'::bytea));
analyze;
`;
const SECRETS = ["Okonkwo-Baptiste 1", "zoe.archive@letters-example.org", "welcome aboard"];
/** pg_dump writes large objects' bytes in hex (lowrite): look for both spellings. */
const holds = (dump: string, s: string) =>
  dump.includes(s) || dump.includes(Buffer.from(s).toString("hex"));

let dbs = 0;
const fresh = () => makeDatabase(pg.connection, `archive${++dbs}`, ARCHIVE_SQL);
const opts: ScrubOptions = {
  file: "scrubbers/archive.yaml",
  workers: 2,
  leakScan: { sample: 5000, patterns: true, canaries: true },
  signal: new AbortController().signal,
  progress: () => {},
};
const scrubber = (over: Record<string, unknown>, letters: Record<string, unknown> = {}) => ({
  secret: SECRET,
  ...over,
  tables: {
    customers: {
      id: "keep",
      full_name: { fake: "person.fullName" },
      email: { fake: "internet.email" },
    },
    letters: { id: "keep", customer_id: "keep", title: "keep", scan: null, file: null, ...letters },
  },
});
const scrub = (conn: ConnectionInfo, raw: unknown) => scrubDatabase(conn, scrubberOf(raw), opts);
const objects = (conn: ConnectionInfo) =>
  q<{ n: number }>(conn, "select count(*)::int as n from pg_largeobject_metadata").then(
    (r) => r[0]!.n,
  );

/** A data-only dump of the whole database: large objects included. */
async function dump(conn: ConnectionInfo): Promise<string> {
  const { stdout } = await promisify(execFile)(
    "/usr/lib/postgresql/15/bin/pg_dump",
    ["--data-only", conn.database],
    {
      env: {
        ...process.env,
        PGHOST: conn.host,
        PGPORT: String(conn.port),
        PGUSER: conn.user,
        PGPASSWORD: conn.password,
      },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
}

describe("large objects", () => {
  it("a database with large objects and no decision fails before anything is rewritten", async () => {
    const conn = await fresh();
    const r = await scrub(conn, scrubber({}));
    expect(r.outcome).toBe("failed");
    expect(r.findings).toEqual([
      "2 large object(s) in the database and no largeObjects decision in scrubbers/archive.yaml: set largeObjects: drop (unlink them all) or keep (kept, and the leak scan reads them)",
    ]);
    expect(r.tables).toEqual([]);
    expect(await objects(conn)).toBe(2);
    expect(await q(conn, "select email from customers where id = 1")).toEqual([
      { email: "client1@mailbox-example.com" },
    ]);
  });

  it("drop with a kept oid column is a located input error", async () => {
    const conn = await fresh();
    await expect(scrub(conn, scrubber({ largeObjects: "drop" }, { scan: "keep" }))).rejects.toThrow(
      /tables\.letters\.scan.*largeObjects: drop unlinks every large object/,
    );
    expect(await objects(conn)).toBe(2);
  });

  it("drop unlinks every object, nulls or sets the oid columns, and leaves nothing in a dump or the files", async () => {
    const conn = await fresh();
    const before = await dump(conn);
    for (const s of SECRETS) expect(holds(before, s)).toBe(true); // the dump does see objects
    const [file] = await q<{ f: string }>(
      conn,
      "select pg_relation_filepath('pg_largeobject') as f",
    );
    await q(conn, "checkpoint");
    const data = path.join(pg.dir, "cluster", "data");
    expect((await fs.readFile(path.join(data, file!.f))).includes("welcome aboard")).toBe(true);
    const r = await scrub(conn, scrubber({ largeObjects: "drop" }, { file: { set: 0 } }));
    expect(r.findings).toEqual([]);
    expect(r.outcome).toBe("passed");
    expect(r.largeObjects).toEqual({ found: 2, dropped: 2, kept: 0 });
    expect(await objects(conn)).toBe(0);
    expect(await q(conn, "select scan, file::text as file from letters order by id")).toEqual([
      { scan: null, file: "0" },
      { scan: null, file: "0" },
    ]);
    const after = await dump(conn);
    for (const s of SECRETS) expect(holds(after, s)).toBe(false);
    expect(after).not.toMatch(/lo_open|lowrite/);
    // vacuum full gave pg_largeobject new files; the old one, with the pages, is gone.
    const [now] = await q<{ f: string }>(
      conn,
      "select pg_relation_filepath('pg_largeobject') as f",
    );
    expect(now!.f).not.toBe(file!.f);
    await q(conn, "checkpoint");
    for (const f of [file!.f, now!.f]) {
      const bytes = await fs.readFile(path.join(data, f)).catch(() => Buffer.alloc(0));
      for (const s of SECRETS) expect(bytes.includes(s)).toBe(false);
    }
  });

  it("keep keeps them and the leak scan reads them: an email or a name inside fails, naming the object", async () => {
    const conn = await fresh();
    const oids = await q<{ scan: string; file: string }>(
      conn,
      "select (select scan::text from letters where id = 1) as scan, (select file::text from letters where id = 2) as file",
    );
    const r = await scrub(conn, scrubber({ largeObjects: "keep" }, { scan: "keep", file: "keep" }));
    expect(r.outcome).toBe("failed");
    expect(r.largeObjects).toEqual({ found: 2, dropped: 0, kept: 2 });
    expect(r.leakScan?.largeObjects).toBe(2);
    const { scan, file } = oids[0]!;
    expect(r.findings).toEqual([
      `leak: large object ${scan} holds a sampled original value`,
      `leak: large object ${file} contains 1 emails (set largeObjects: drop, or remove them from the object)`,
    ]);
    expect(await objects(conn)).toBe(2);
  });

  it("keep with clean objects passes", async () => {
    const conn = await fresh();
    await q(
      conn,
      "select lo_unlink(scan) from letters where scan is not null; select lo_unlink(file) from letters where file is not null; update letters set scan = lo_from_bytea(0, 'thanks for your order'), file = null",
    );
    const r = await scrub(conn, scrubber({ largeObjects: "keep" }, { scan: "keep" }));
    expect(r.findings).toEqual([]);
    expect(r.outcome).toBe("passed");
    expect(r.leakScan?.largeObjects).toBe(2);
  });
});
