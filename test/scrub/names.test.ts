import { beforeAll, describe, expect, it } from "vitest";
import { scrubDatabase } from "../../src/scrub/scrub.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { dataDump, survivors } from "./dump.js";
import { SECRET, makeDatabase, q, scrubOptions, scrubberOf } from "./fixture.js";

/** Made-up names (no faker pool holds them), so finding one after the scrub is a leak. */
const FIRSTS = ["Zorbina", "Quillan", "Maravel", "Ottavex", "Brisenda", "Caldric"];
const LASTS = ["Vantorre", "Kelsbury", "Oduya-Brant", "O'Calloway", "Pemberhall"];

const SQL = `
create table customers (id int primary key, full_name text not null, first_name text, last_name text);
insert into customers
select g, f || ' ' || l, f, l
  from (select g, (${arr(FIRSTS)})[1 + g % ${FIRSTS.length}] as f,
               (${arr(LASTS)})[1 + g / ${FIRSTS.length} % ${LASTS.length}] as l
          from generate_series(0, ${FIRSTS.length * LASTS.length - 1}) g) s;
insert into customers values (100, 'Ann Quorvell', 'Ann', 'Quorvell');
create table staff (id int primary key, name text);
insert into staff values (1, 'Heliandra Moxworth'), (2, 'Tamsin Fryberge');
create table tickets (id int primary key, customer_id int, body text, payload jsonb, tags text[], subject text);
insert into tickets
select c.id, c.id,
       'Customer ' || c.full_name || ' asked; ' || c.first_name || ' wrote the Annual note (' || c.last_name || '''s). Handled by ' || s.name || '.',
       jsonb_build_object('msg', 'From ' || c.full_name, 'count', 3),
       array['re: ' || c.first_name, null, 'plain'],
       'About ' || c.full_name
  from customers c join staff s on s.id = 1 + c.id % 2;
`;

function arr(xs: string[]): string {
  return `array[${xs.map((x) => `'${x.replaceAll("'", "''")}'`).join(", ")}]`;
}

const SCRUBBER = {
  secret: SECRET,
  tables: {
    customers: {
      id: "keep",
      full_name: { fake: "person.fullName" },
      first_name: { fake: "person.firstName" },
      last_name: { fake: "person.lastName" },
    },
    staff: { id: "keep", name: { fake: "person.fullName" } },
    tickets: {
      id: "keep",
      customer_id: "keep",
      body: { text: {} },
      payload: { json: { msg: { text: {} } } },
      tags: { each: { text: {} } },
      // Names not asked for: only emails are replaced.
      subject: { text: { emails: true } },
    },
  },
};

const pg = useTestCluster();

const opts = scrubOptions("scrubbers/names.yaml");

interface Joined {
  id: number;
  full_name: string;
  first_name: string;
  last_name: string;
  staff: string;
  body: string;
  payload: { msg: string; count: number };
  tags: (string | null)[];
  subject: string;
}
const joined = (conn: ConnectionInfo) =>
  q<Joined>(
    conn,
    `select c.id, c.full_name, c.first_name, c.last_name, s.name as staff, t.body, t.payload, t.tags, t.subject
       from tickets t join customers c on c.id = t.customer_id join staff s on s.id = 1 + c.id % 2
      order by c.id`,
  );

describe("known names in free text", () => {
  let conn: ConnectionInfo;
  let before: Joined[];
  let after: Joined[];
  let report: Awaited<ReturnType<typeof scrubDatabase>>;

  beforeAll(async () => {
    conn = await makeDatabase(pg.connection, "names", SQL);
    before = await joined(conn);
    report = await scrubDatabase(conn, scrubberOf(SCRUBBER), opts);
    after = await joined(conn);
  });

  it("passes", () => {
    expect(report.findings.filter((f) => !f.includes("tickets.subject"))).toEqual([]);
  });

  it("replaces each name by the fake its column got: longest first, whole words, in text, json and arrays", () => {
    expect(after).toHaveLength(before.length);
    for (const a of after) {
      expect(a.body).toBe(
        `Customer ${a.full_name} asked; ${a.first_name} wrote the Annual note (${a.last_name}'s). Handled by ${a.staff}.`,
      );
      expect(a.payload).toEqual({ msg: `From ${a.full_name}`, count: 3 });
      expect(a.tags).toEqual([`re: ${a.first_name}`, null, "plain"]);
    }
    // The fakes are not the originals (the test would pass trivially otherwise).
    for (const [b, a] of before.map((x, i) => [x, after[i]!] as const)) {
      expect(a.full_name).not.toBe(b.full_name);
      expect(a.body).not.toContain(b.first_name === "Ann" ? "Ann " : b.first_name);
    }
  });

  it("keeps names where the rule does not ask for them", () => {
    expect(after.map((a) => a.subject)).toEqual(before.map((b) => b.subject));
  });

  it("leaves none of the names in a data-only dump of the scrubbed columns", async () => {
    // tickets.subject keeps its names on purpose (above): its values are cut out of the dump.
    let dump = await dataDump(conn);
    for (const b of before) dump = dump.replace(b.subject, "");
    const sample = [...FIRSTS, ...LASTS, "Quorvell", "Heliandra", "Moxworth", "Fryberge", "Tamsin"];
    expect(survivors(dump, sample)).toEqual([]);
    expect(dump).toContain("Annual");
  });
});

/** Scrub `p.name` (a person's name) and `n.note` (free text): each note with its person's new name. */
async function scrubNamesAndNotes(conn: ConnectionInfo) {
  const r = await scrubDatabase(
    conn,
    scrubberOf({
      secret: SECRET,
      tables: {
        p: { id: "keep", name: { fake: "person.fullName" } },
        n: { id: "keep", note: { text: {} } },
      },
    }),
    opts,
  );
  expect(r.findings).toEqual([]);
  return q<{ note: string; name: string }>(
    conn,
    "select n.note, p.name from n left join p using (id) order by n.id",
  );
}

describe("names that do not start with a capital", () => {
  it("are found too (the capital-letter shortcut is off)", async () => {
    const conn = await makeDatabase(
      pg.connection,
      "lower",
      `create table p (id int primary key, name text);
       insert into p values (1, 'de Quorvelle'), (2, 'Ysolde Brackwater');
       create table n (id int primary key, note text);
       insert into n values (1, 'wrote to de Quorvelle'), (2, 'no name here'), (3, 'ping Ysolde Brackwater');`,
    );
    const rows = await scrubNamesAndNotes(conn);
    expect(rows[0]!.note).toBe(`wrote to ${rows[0]!.name}`);
    expect(rows[1]!.note).toBe("no name here");
    expect(rows[2]!.note).toBe(`ping ${rows[1]!.name}`);
  });

  it("are found in text with no capital letter at all (only they are looked up then)", async () => {
    const conn = await makeDatabase(
      pg.connection,
      "nocaps",
      `create table p (id int primary key, name text);
       insert into p values (1, 'van quorvelle'), (2, 'Ysolde Brackwater');
       create table n (id int primary key, note text);
       insert into n values (1, 'wrote to van quorvelle'), (2, 'no name here');`,
    );
    const rows = await scrubNamesAndNotes(conn);
    expect(rows[0]!.note).toBe(`wrote to ${rows[0]!.name}`);
    expect(rows[1]!.note).toBe("no name here");
  });
});
