import { beforeAll, describe, expect, it } from "vitest";
import { DrillError } from "../../src/errors.js";
import { scrubDatabase } from "../../src/scrub/scrub.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { dataDump, survivors } from "./dump.js";
import { SECRET, makeDatabase, q, scrubOptions, scrubberOf } from "./fixture.js";

/**
 * PII inside values: IBANs in free text, array elements, network addresses, and json keys no
 * rule names. Every original below is made up and distinctive, so finding one in the dump of
 * the scrubbed database is a leak, not a coincidence with a fake.
 */
const SQL = `
create table accounts (
  id int primary key,
  holder text not null,
  client_ip inet,
  network cidr,
  seen_ips inet[],
  emails text[],
  tags varchar(60)[],
  scores int[],
  memo text,
  profile jsonb,
  settings json
);
insert into accounts
select g, 'Holder' || g,
       ('10.77.' || g || '.' || (g % 200 + 1))::inet,
       ('172.' || (g % 16 + 16) || '.' || g || '.0/24')::cidr,
       array[('192.0.' || g || '.9')::inet, null, ('2001:db8::' || to_hex(g))::inet],
       array['zq.holder' || g || '@acct.example.org', null, 'second' || g || '@acct.example.org'],
       array['vip', 'mail tagq' || g || '@tags.example.net', null]::varchar(60)[],
       array[g, null, g * 2],
       case g % 3
         when 0 then 'pay to NL91 ABNA 0417 1643 00 now'
         when 1 then 'iban DE89370400440532013000, card 4111 1111 1111 1111'
         else 'GB29 NWBK 6016 1331 9268 19 and call +44 20 7946 0958' end,
       jsonb_build_object('note', 'wire from FR76 3000 6000 0112 3456 7890 189 by quux' || g || '@mail.example.org',
                          'contact', jsonb_build_object('email', 'jx' || g || '@contact.example.org', 'phone', '+31 20 555 01' || lpad(g::text, 2, '0')),
                          'secretkey', 'sk-unnamed-' || g, 'list', jsonb_build_array('elem' || g)),
       json_build_object('theme', 'dark', 'owner', 'owner' || g || '@settings.example.org')
  from generate_series(1, 60) g;
insert into accounts (id, holder, profile) values (61, 'NullDoc', null);
`;

const RULES = {
  secret: SECRET,
  tables: {
    accounts: {
      id: "keep",
      holder: { hash: {} },
      client_ip: { fake: "internet.ip" },
      network: { fake: "internet.ipv4" },
      seen_ips: { each: { fake: "internet.ip" } },
      emails: { each: { fake: "internet.email" } },
      tags: { each: { text: {} } },
      scores: { each: { hash: { digitsOnly: true, length: 6 } } },
      memo: { text: {} },
      profile: {
        json: { note: { text: {} }, "contact.email": { fake: "internet.email" }, list: "keep" },
        rest: "drop",
      },
      settings: { json: { owner: { fake: "internet.email" } }, rest: "keep" },
    },
  },
};

const pg = useTestCluster();

const opts = scrubOptions("scrubbers/values.yaml");

type Row = Record<string, unknown>;

describe("values", () => {
  let conn: ConnectionInfo;
  let before: Row[];
  let after: Row[];
  let report: Awaited<ReturnType<typeof scrubDatabase>>;

  beforeAll(async () => {
    conn = await makeDatabase(pg.connection, "accounts", SQL);
    const read = () =>
      q<Row>(
        conn,
        `select id, client_ip::text as ip, family(client_ip) as fam, network::text as net, masklen(network) as bits,
                seen_ips::text[] as seen, emails, tags::text[] as tags, scores, memo, profile, settings::text as settings,
                pg_typeof(seen_ips)::text as seen_type, pg_typeof(network)::text as net_type
           from accounts order by id`,
      );
    before = await read();
    report = await scrubDatabase(conn, scrubberOf(RULES), opts);
    after = await read();
  });

  it("passes the leak scan", () => {
    expect(report.findings).toEqual([]);
    expect(report.outcome).toBe("passed");
  });

  it("replaces whole IBANs, with or without spaces, before card numbers", () => {
    const memos = after.map((r) => r.memo).filter((m) => m !== null);
    expect(new Set(memos)).toEqual(
      new Set(["pay to [iban] now", "iban [iban], card [card]", "[iban] and call [phone]"]),
    );
  });

  it("rewrites every array element in order, keeping nulls, length and element type", () => {
    for (const [b, a] of before.slice(0, 60).map((r, i) => [r, after[i]!] as const)) {
      const emails = a.emails as (string | null)[];
      expect(emails).toHaveLength(3);
      expect(emails[1]).toBeNull();
      expect(emails[0]).toMatch(/@/);
      expect(emails[0]).not.toBe((b.emails as string[])[0]);
      expect(a.tags).toEqual(["vip", "mail redacted@example.invalid", null]);
      const seen = a.seen as (string | null)[];
      expect(seen[1]).toBeNull();
      expect(seen[0]).not.toBe((b.seen as string[])[0]);
      expect(a.seen_type).toBe("inet[]");
      const scores = a.scores as (number | null)[];
      expect(scores[1]).toBeNull();
      expect(scores[0]).not.toBe((b.scores as number[])[0]);
    }
    // One input, one output: the same address gives the same fake in every row.
    const fakesOf = (rows: Row[]) => rows.slice(0, 60).map((r) => (r.emails as string[])[0]);
    expect(new Set(fakesOf(after)).size).toBeGreaterThan(50);
  });

  it("gives inet and cidr columns fake addresses of their own type; a cidr keeps its prefix as a network", () => {
    for (const [b, a] of before.slice(0, 60).map((r, i) => [r, after[i]!] as const)) {
      expect(a.ip).not.toBe(b.ip);
      expect(a.net_type).toBe("cidr");
      expect(a.net).not.toBe(b.net);
      expect(a.bits).toBe(24);
      expect(a.net).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
    }
    expect(new Set(after.slice(0, 60).map((r) => r.fam))).toEqual(new Set([4, 6]));
  });

  it("json rest: drop keeps only the named paths and their parents; keep keeps the rest", () => {
    const p = after[0]!.profile as Record<string, unknown>;
    expect(Object.keys(p).sort()).toEqual(["contact", "list", "note"]);
    expect(Object.keys(p.contact as object)).toEqual(["email"]);
    expect(p.note).toBe("wire from [iban] by redacted@example.invalid");
    expect(p.list).toEqual(["elem1"]);
    expect(after[60]!.profile).toBeNull();
    const s = JSON.parse(after[0]!.settings as string) as Record<string, string>;
    expect(s.theme).toBe("dark");
    expect(s.owner).not.toBe("owner1@settings.example.org");
  });

  it("leaves none of the originals in a data-only dump", async () => {
    const sample = before
      .slice(0, 60)
      .flatMap((r) => [
        r.ip as string,
        (r.ip as string).replace(/\/32$/, ""),
        r.net as string,
        ...(r.emails as (string | null)[]).filter((e) => e !== null),
        (r.tags as string[])[1]!.replace("mail ", ""),
        (r.profile as { contact: { email: string; phone: string } }).contact.email,
        (r.profile as { contact: { phone: string } }).contact.phone,
        `sk-unnamed-${r.id as number}`,
        `owner${r.id as number}@settings.example.org`,
        `quux${r.id as number}@mail.example.org`,
      ]);
    sample.push("NL91 ABNA", "ABNA", "DE89370400440532013000", "NWBK", "FR76 3000", "4111 1111");
    const dump = await dataDump(conn);
    expect(dump).toContain("[iban]");
    expect(survivors(dump, sample)).toEqual([]);
  });
});

describe("rule checks", () => {
  let conn: ConnectionInfo;
  beforeAll(async () => {
    conn = await makeDatabase(
      pg.connection,
      "checks",
      `create table t (id int primary key, name text, ip inet, net cidr, nums int[], ips inet[], born date[]);`,
    );
  });

  it("refuses each on a non-array, element rules that do not fit, and fakes that cannot cast", async () => {
    const keep = {
      id: "keep",
      name: "keep",
      ip: "keep",
      net: "keep",
      nums: "keep",
      ips: "keep",
      born: "keep",
    };
    const bad = {
      name: { each: { text: {} } },
      ip: { fake: "internet.email" },
      net: { fake: "person.fullName" },
      nums: { each: { mask: {} } },
      ips: { each: { fake: "internet.username" } },
      born: { each: { text: {} } },
    };
    const e = await scrubDatabase(
      conn,
      scrubberOf({ secret: SECRET, tables: { t: { ...keep, ...bad } } }),
      opts,
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DrillError);
    const lines = (e as DrillError).message.split("\n");
    expect(lines).toHaveLength(6);
    expect(lines.join("\n")).toContain("tables.t.name: each needs an array column (it is text)");
    expect(lines.join("\n")).toContain(
      "tables.t.ip: fake internet.email gives values that cannot be cast to inet (use internet.ip, internet.ipv4, internet.ipv6)",
    );
    expect(lines.join("\n")).toContain(
      "tables.t.nums: each: mask needs a text column (it is integer)",
    );
    expect(lines.join("\n")).toContain(
      "tables.t.ips: each: fake internet.username gives values that cannot be cast to inet",
    );
    expect(lines.join("\n")).toContain(
      "tables.t.born: each: text needs a text column (it is date)",
    );
    // Fitting rules pass the same checks.
    const ok = await scrubDatabase(
      conn,
      scrubberOf({
        secret: SECRET,
        tables: {
          t: {
            ...keep,
            ip: { fake: "internet.ipv6" },
            net: { fake: "internet.ip" },
            ips: { each: { fake: "internet.ipv4" } },
            born: { each: { shiftDate: "30d" } },
          },
        },
      }),
      opts,
    );
    expect(ok.outcome).toBe("passed");
  });
});
