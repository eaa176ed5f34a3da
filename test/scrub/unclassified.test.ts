import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeStyle } from "../../src/cli/display/style.js";
import { summaryLines } from "../../src/cli/display/summary.js";
import { pgEnv } from "../../src/db.js";
import { scrubberSchema } from "../../src/definitions/scrubber.js";
import { parseYaml } from "../../src/definitions/yaml.js";
import { parseWith } from "../../src/definitions/zod-issues.js";
import { scrubDatabase, type ScrubOptions } from "../../src/scrub/scrub.js";
import type { ConnectionInfo, RunRecord } from "../../src/types.js";
import { startTestCluster } from "../helpers/cluster.js";
import { SECRET, makeDatabase, q, scrubberOf } from "./fixture.js";

/** Innocently named columns: only their values say what they hold. */
const SQL = `
create table contacts (
  id int primary key,
  contact text,
  aliases text[],
  label text,
  client inet,
  body text,
  product_name text,
  qty int
);
insert into contacts
select g, 'buyer' || g || '@shop.example.com',
       array['alias' || g || '@mail.example.org', 'other' || g || '@mail.example.org'],
       (array['Jane', 'Omar', 'Maria', 'David'])[1 + g % 4] || ' ' || (array['Smith', 'Jones', 'Garcia'])[1 + g % 3] || chr(97 + g % 26) || chr(97 + (g / 26) % 26),
       ('10.1.' || (g / 250) || '.' || (g % 250))::inet,
       case when g % 4 = 0 then 'please mail ticket' || g || '@home.example.net or call +1 (555) 123-' || lpad(g::text, 4, '0')
            else 'order ' || g || ' arrived on time' end,
       (array['Ergonomic', 'Rustic', 'Sleek'])[1 + g % 3] || ' Steel Chair ' || g,
       g % 7
  from generate_series(1, 1000) g;
analyze;
`;

let pg: Awaited<ReturnType<typeof startTestCluster>>;
let conn: ConnectionInfo;
beforeAll(async () => {
  pg = await startTestCluster();
  conn = await makeDatabase(pg.connection, "innocent", SQL);
});
afterAll(async () => {
  await pg?.stop();
});

const opts = (progress: string[]): ScrubOptions => ({
  file: "scrubbers/innocent.yaml",
  workers: 2,
  leakScan: { sample: 1000, patterns: true, canaries: true },
  signal: new AbortController().signal,
  progress: (m) => progress.push(m),
});

it("lists unclassified columns as a YAML block with value-based guesses that, pasted in, make the scrub pass", async () => {
  const originals = await q<{ contact: string; alias: string; body: string; label: string }>(
    conn,
    "select contact, aliases[1] as alias, body, label from contacts order by id",
  );
  const progress: string[] = [];
  const first = await scrubDatabase(
    conn,
    scrubberOf({ secret: SECRET, tables: {} }),
    opts(progress),
  );
  expect(first.outcome).toBe("failed");
  // The one-line finding stays, with the value-based suggestions.
  expect(first.findings).toHaveLength(1);
  const line = first.findings[0]!;
  expect(line).toMatch(/^8 column\(s\) not classified in scrubbers\/innocent\.yaml: /);
  expect(line).toContain("contacts.contact (suggested: { fake: internet.email })");
  expect(line).toContain("contacts.aliases (suggested: { each: { fake: internet.email } })");
  expect(line).toContain("contacts.label (suggested: { fake: person.fullName })");
  expect(line).toContain("contacts.client (suggested: { fake: internet.ip })");
  expect(line).toContain("contacts.body (suggested: { text: {} })");
  expect(line).toContain("contacts.product_name (suggested: keep)");
  expect(line).toContain("contacts.id (suggested: keep)");

  // Printed and in the report; every rule with its reason; no sampled value anywhere.
  const yaml = first.unclassifiedYaml!;
  expect(progress).toContain(yaml);
  expect(yaml).toMatch(
    /^ {4}contact: \{ fake: internet\.email \} # looks like emails \(sampled \d+ values\)$/m,
  );
  expect(yaml).toMatch(
    /^ {4}product_name: keep # ends in _name, but no sampled value looks like a person's name/m,
  );
  expect(yaml).toMatch(
    /^ {4}body: \{ text: \{\} \} # free text with emails, phone numbers in 25% of/m,
  );
  for (const r of originals.slice(0, 200))
    for (const v of [r.contact, r.alias, r.label, r.body]) {
      expect(yaml).not.toContain(v);
      expect(line).not.toContain(v);
    }

  // Pasted under `tables:`, it is a valid scrubber, and the scrub passes with it.
  const text = `secret: \${SCRUB_SECRET}\ntables:\n${yaml}`;
  const read = parseYaml(text, "scrubbers/innocent.yaml", { SCRUB_SECRET: SECRET });
  expect(read.ok).toBe(true);
  if (!read.ok) return;
  const parsed = parseWith(scrubberSchema, read.source);
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  const second = await scrubDatabase(conn, parsed.value, opts([]));
  expect(second.findings).toEqual([]);
  expect(second.outcome).toBe("passed");
  expect(second.unclassifiedYaml).toBeUndefined();

  // Privacy from a dump of the scrubbed database, not from the rules.
  const { stdout: dump } = await promisify(execFile)(
    "/usr/lib/postgresql/15/bin/pg_dump",
    ["--data-only"],
    { env: { ...process.env, ...pgEnv(conn) }, maxBuffer: 64 * 1024 * 1024 },
  );
  expect(dump).toContain("Steel Chair");
  const survivors = originals
    .flatMap((r) => [r.contact, r.alias, r.label])
    .filter((v) => dump.includes(v));
  expect(survivors).toEqual([]);
  const mails = originals.flatMap((r) => /\S+@home\.example\.net/.exec(r.body) ?? []);
  expect(mails.length).toBeGreaterThan(200);
  expect(mails.filter((m) => dump.includes(m))).toEqual([]);
});

it("the run summary shows the block after the findings (a live display shows one line of it)", () => {
  const yaml = "# 1 unclassified column(s): paste under `tables:`\n  t:\n    c: keep # why\n";
  const step = (details: Record<string, unknown>) => ({
    name: "scrub",
    kind: "scrub",
    startedAt: "",
    durationMs: 10,
    outcome: "failed" as const,
    details,
  });
  const record = {
    schemaVersion: 1,
    id: "r1",
    drill: "d",
    environment: "sandbox",
    provider: "local",
    startedAt: "",
    finishedAt: "",
    durationMs: 10,
    outcome: "failed",
    steps: [step({ unclassifiedYaml: yaml })],
    measurements: {},
    findings: ["1 column(s) not classified in scrubbers/s.yaml: t.c (suggested: keep)"],
  } as unknown as RunRecord;
  const lines = summaryLines(record, makeStyle(false));
  const at = lines.indexOf("  # 1 unclassified column(s): paste under `tables:`");
  expect(at).toBeGreaterThan(lines.findIndex((l) => l.includes("not classified")));
  expect(lines.slice(at, at + 3)).toEqual([
    "  # 1 unclassified column(s): paste under `tables:`",
    "    t:",
    "      c: keep # why",
  ]);
});
