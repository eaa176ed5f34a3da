import { execFile } from "node:child_process";
import { promises as fs, readdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { parse } from "yaml";
import { Writable } from "node:stream";
import { scrubberInitCommand } from "../../src/cli/scrubber.js";
import { draftPath } from "../../src/cli/scrubber-source.js";
import { DrillError } from "../../src/errors.js";
import { runsDir } from "../../src/providers/local/run-cluster.js";
import { pgEnv } from "../../src/db.js";
import { draftDatabases } from "../../src/scrub/draft.js";
import { parseYaml } from "../../src/definitions/yaml.js";
import { parseWith } from "../../src/definitions/zod-issues.js";
import { scrubberSchema } from "../../src/definitions/scrubber.js";
import { fakeIo, runMain } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { startTestCluster } from "../helpers/cluster.js";
import { makeDatabase, q } from "./fixture.js";
import { processesNaming } from "../helpers/processes.js";

const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";
const hasPgDump = await fs.access(PG_DUMP).then(
  () => true,
  () => false,
);

/** `drill scrubber init` end to end, in-process, against a small LocalProvider sandbox. */
const root = await makeProject({
  "config/drill.yaml": [
    "environments:",
    "  sandbox: { provider: local, postgres: embedded, scale: 0.02, backupInterval: 24h }",
    "",
  ].join("\n"),
});
await seedSandbox(root);

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
  expect(processesNaming(root)).toEqual([]);
});

const drill = (...args: string[]) => runMain(args, root);

it("writes a draft listing every column, with personal data guessed and explained, and never overwrites it", async () => {
  const r = await drill("scrubber", "init", "sandbox", "--sample", "200");
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^wrote scrubbers\/sandbox\.yaml: \d+ columns in 4 tables/);
  const file = path.join(root, "scrubbers", "sandbox.yaml");
  const text = await fs.readFile(file, "utf8");

  // The draft is a valid scrubber once SCRUB_SECRET is set.
  const read = parseYaml(text, "scrubbers/sandbox.yaml", { SCRUB_SECRET: "s".repeat(20) });
  expect(read.ok).toBe(true);
  if (!read.ok) return;
  const parsed = parseWith(scrubberSchema, read.source);
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  const tables = parsed.value.tables;
  expect(Object.keys(tables).sort()).toEqual(["customers", "order_items", "orders", "payments"]);
  expect(Object.keys(tables.customers!).sort()).toEqual(
    [
      "birth_date",
      "city",
      "country",
      "created_at",
      "email",
      "full_name",
      "id",
      "phone",
      "street_address",
    ].sort(),
  );
  expect(tables.customers).toMatchObject({
    id: "keep",
    email: { fake: "internet.email", unique: true },
    full_name: { fake: "person.fullName" },
    phone: { fake: "phone.number" },
    street_address: { fake: "location.streetAddress" },
    birth_date: { shiftDate: 90 * 86_400_000 },
    created_at: "keep",
  });
  expect(tables.orders).toMatchObject({ id: "keep", status: "keep", total: "keep" });
  expect(tables.order_items!.product_name).toBe("keep");
  // Value evidence beats the name: product names are not people (was a name-only guess).
  expect(text).toMatch(
    /product_name: keep # ends in _name, but no sampled value looks like a person.s name/,
  );
  // Every guess carries its reason.
  for (const l of text.split("\n").filter((x) => /^ {4}\S/.test(x))) expect(l).toMatch(/ # \S/);

  const line = (column: string) => text.split("\n").find((l) => l.startsWith(`    ${column}:`));
  expect(line("email")).toMatch(/# name says email; looks like emails \(sampled \d+ values\)$/);
  expect(line("street_address")).toMatch(/looks like street addresses \(sampled \d+ values\)$/);
  expect(line("birth_date")).toMatch(/looks like dates of birth/);
  expect(text).toMatch(/^secret: \$\{SCRUB_SECRET\}/m);

  // A second run refuses to overwrite, before restoring anything.
  const again = await drill("scrubber", "init", "sandbox");
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/scrubbers\/sandbox\.yaml already exists; refusing to overwrite it/);
  expect(await fs.readFile(file, "utf8")).toBe(text);
  // Nothing left running: the copy was disposed and the sandbox primary released.
  expect(processesNaming(root)).toEqual([]);
});

it("an unknown environment is bad input", async () => {
  const r = await drill("scrubber", "init", "nowhere");
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/unknown environment "nowhere" \(known: sandbox\)/);
});

it("--drill restores as the drill's snapshot restore does and names the draft after the drill", async () => {
  await fs.mkdir(path.join(root, "drills"), { recursive: true });
  await fs.writeFile(
    path.join(root, "drills", "shop-restore.yaml"),
    "name: shop-restore\nenvironment: sandbox\nsteps:\n  - restore: { from: { snapshot: latest } }\n",
  );
  const r = await drill("scrubber", "init", "--drill", "shop-restore", "--sample", "100");
  expect(r.stderr).toMatch(/restoring snapshot/);
  expect(r.code).toBe(0);
  // The sandbox's other database (postgres) has no tables: no draft for it.
  expect(r.stdout).toMatch(
    /^wrote scrubbers\/shop-restore\.yaml: \d+ columns in 4 tables of database shop, \d+ look personal/,
  );
  expect((await fs.readdir(path.join(root, "scrubbers"))).sort()).toEqual([
    "sandbox.yaml",
    "shop-restore.yaml",
  ]);
  const text = await fs.readFile(path.join(root, "scrubbers", "shop-restore.yaml"), "utf8");
  expect(text).toMatch(/^# Draft scrubber for drill "shop-restore", .* from snapshot /);
  expect(text).toMatch(/^ {4}email: \{ fake: internet\.email, unique: true \} # /m);
  expect(processesNaming(root)).toEqual([]);

  const again = await drill("scrubber", "init", "--drill", "shop-restore");
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/scrubbers\/shop-restore\.yaml already exists; refusing/);
  expect(await drill("scrubber", "init", "--drill", "nope")).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/unknown drill "nope" \(known: shop-restore\)/) as unknown,
  });
  expect((await drill("scrubber", "init", "sandbox", "--drill", "shop-restore")).code).toBe(2);
});

describe.skipIf(!hasPgDump)("drafts from a pg_dump archive and from every database", () => {
  let pg: Awaited<ReturnType<typeof startTestCluster>>;
  let originals: string[];
  beforeAll(async () => {
    pg = await startTestCluster();
    const crm = await makeDatabase(pg.connection, "crm", CRM_SQL);
    // A backup is untrusted: names with line breaks must not write keys into the draft.
    await makeDatabase(
      pg.connection,
      "analytics",
      `create table visits (id int, ip inet, "x\nunknownColumns: warn" text);
       create type "t\nsecret: leaked" as (a int); alter table visits add column y "t\nsecret: leaked";`,
    );
    await makeDatabase(pg.connection, "empty", "select 1");
    originals = (
      await q<{ v: string }>(
        crm,
        "select unnest(array[contact, aliases[1], label, body, profile->'contact'->>'email']) as v from people",
      )
    ).map((r) => r.v);
    await fs.mkdir(path.join(root, "dumps"), { recursive: true });
    await promisify(execFile)(PG_DUMP, ["-Fc", "-f", path.join(root, "dumps", "crm.dump")], {
      env: { ...process.env, ...pgEnv(crm) },
    });
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it("--drill with an archive: a draft with value-based guesses and reasons, no value in it", async () => {
    await fs.writeFile(
      path.join(root, "drills", "crm-restore.yaml"),
      // Its scrubber is what the draft is for: not written yet, it does not stop the draft.
      "name: crm-restore\nenvironment: sandbox\nsteps:\n  - restore: { from: { archive: dumps/crm.dump } }\n  - scrub: { scrubber: crm }\n",
    );
    const out = path.join("scrubbers", "crm.yaml");
    const r = await drill("scrubber", "init", "--drill", "crm-restore", "--out", out);
    expect(r.stderr).toMatch(/restoring pg_dump custom archive crm\.dump/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^wrote scrubbers\/crm\.yaml: 9 columns in 1 tables of database restored/,
    );
    const text = await fs.readFile(path.join(root, out), "utf8");
    const read = parseYaml(text, out, { SCRUB_SECRET: "s".repeat(20) });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    const parsed = parseWith(scrubberSchema, read.source);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.largeObjects).toBe("drop");
    expect(text).toMatch(
      /^largeObjects: drop # 2 large object\(s\) in the database; oid columns: people\.scan: /m,
    );
    expect(parsed.value.tables.people).toEqual({
      id: "keep",
      contact: { fake: "internet.email", unique: true },
      aliases: { each: { fake: "internet.email" } },
      label: { fake: "person.fullName" },
      client: { fake: "internet.ip" },
      body: { text: {} },
      product_name: "keep",
      profile: { json: { "contact.email": { fake: "internet.email" } }, rest: "scan" },
      scan: null,
    });
    expect(text).toMatch(/^ {4}body: \{ text: \{\} \} # free text with .*people's names/m);
    expect(originals.length).toBeGreaterThan(1000);
    expect(originals.filter((v) => text.includes(v))).toEqual([]);
    expect(processesNaming(root)).toEqual([]);
  });

  it("Ctrl-C during the restore: exit 130, the copy removed, no file written", async () => {
    const controller = new AbortController();
    let existed: string[] = [];
    // Interrupted like main.ts does on SIGINT, once the copy's cluster is up and loading.
    const log = pino(
      { level: "info" },
      {
        write(line: string) {
          if (!controller.signal.aborted && line.includes("loading custom archive")) {
            existed = readdirSync(runsDir(root));
            controller.abort(new DrillError("interrupted", "INTERRUPTED", "interrupted by SIGINT"));
          }
        },
      },
    );
    let err = "";
    const stderr = new Writable({
      write(chunk: Buffer, _enc, cb) {
        err += chunk.toString();
        cb();
      },
    });
    const io = { ...fakeIo(root).io, stderr, signal: controller.signal };
    const out = path.join("scrubbers", "interrupted.yaml");
    const code = await scrubberInitCommand(
      undefined,
      { drill: "crm-restore", out, sample: 50 },
      io,
      log,
    );
    expect(existed).toHaveLength(1);
    expect(code).toBe(130);
    expect(err).toMatch(/interrupted by SIGINT/);
    await expect(fs.stat(path.join(root, out))).rejects.toThrow();
    expect(processesNaming(root)).toEqual([]);
    expect(await fs.readdir(runsDir(root)).catch(() => [])).toEqual([]);
  });

  it("drafts every database with tables, the connection's own first", async () => {
    const drafts = await draftDatabases(
      { ...pg.connection, database: "crm" },
      { sample: 50, signal: new AbortController().signal, header: "test" },
    );
    expect(drafts.map((d) => d.database)).toEqual(["crm", "analytics"]);
    // Read as plain YAML (the scrubber schema refuses control characters in column names).
    const doc = parse(drafts[1]!.draft.yaml) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(["secret", "unknownColumns", "tables"]);
    expect(doc.unknownColumns).toBe("fail");
    expect(doc.secret).toBe("${SCRUB_SECRET}");
    expect(Object.keys((doc.tables as Record<string, object>).visits!)).toEqual([
      "id",
      "ip",
      "x\nunknownColumns: warn",
      "y",
    ]);
    expect(drafts[1]!.draft.yaml).toMatch(
      /^# test Database "analytics": name this file in the scrub step.s `scrubbers: \{ analytics: /m,
    );
    expect(draftPath("/p/scrubbers/x.yaml", "analytics", "crm")).toBe(
      "/p/scrubbers/x-analytics.yaml",
    );
    expect(draftPath("/p/scrubbers/x.yaml", "crm", "crm")).toBe("/p/scrubbers/x.yaml");
  });
});

const CRM_SQL = `
create table people (
  id int primary key,
  contact text unique,
  aliases text[],
  label text,
  client inet,
  body text,
  product_name text,
  profile jsonb,
  scan oid
);
insert into people
select g, 'buyer' || g || '@shop.example.com',
       array['alias' || g || '@mail.example.org'],
       (array['Jane', 'Omar', 'Maria', 'David'])[1 + g % 4] || ' ' || (array['Smith', 'Jones', 'Garcia'])[1 + g % 3] || chr(97 + g % 26) || chr(97 + (g / 26) % 26),
       ('10.2.' || (g / 250) || '.' || (g % 250))::inet,
       case when g % 3 = 0 then 'Customer ' || (array['Jane', 'Omar'])[1 + g % 2] || ' Brown' || chr(97 + g % 26) || ' asked about order ' || g
            else 'order ' || g || ' arrived on time' end,
       (array['Ergonomic', 'Rustic', 'Sleek'])[1 + g % 3] || ' Steel Chair',
       jsonb_build_object('contact', jsonb_build_object('email', 'p' || g || '@x.example.org'), 'plan', 'basic'),
       case when g <= 2 then lo_from_bytea(0, convert_to('scanned passport ' || g, 'UTF8')) end
  from generate_series(1, 400) g;
analyze;
`;
