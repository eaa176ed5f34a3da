import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { sandboxPassword } from "../../src/providers/local/sandbox.js";
import type { RunRecord } from "../../src/types.js";
import { runMain } from "../helpers/io.js";
import { makeProject, REPO } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { localEnv, noop, signal } from "../local/util.js";
import { processesNaming } from "../helpers/processes.js";

/**
 * `drill run` on the local sandbox whose production has two more databases than the shop:
 * `analytics` (personal data, a scrubber of its own) and `legacy` (nobody classified it).
 */
const drill = (name: string, scrub: string) => `name: ${name}
environment: sandbox
steps:
  - restore: { from: { snapshot: latest } }
  - scrub: ${scrub}
`;

let root: string;
beforeAll(async () => {
  root = await makeProject({
    // A fresh snapshot every run: the one after the databases below were made is restored.
    "config/drill.yaml":
      "environments:\n  sandbox: { provider: local, postgres: embedded, scale: 0.02, backupInterval: 1s }\n",
    "scrubbers/shop.yaml": await fs.readFile(path.join(REPO, "scrubbers/shop.yaml"), "utf8"),
    "scrubbers/analytics.yaml": [
      "deterministic: false",
      "tables:",
      "  visitors: { id: keep, email: { fake: internet.email }, full_name: { fake: person.fullName } }",
      "",
    ].join("\n"),
    "drills/strict.yaml": drill(
      "strict",
      "{ scrubber: shop, scrubbers: { analytics: analytics } }",
    ),
    "drills/dropping.yaml": drill(
      "dropping",
      "{ scrubber: shop, scrubbers: { analytics: analytics }, otherDatabases: drop }",
    ),
    "drills/typo.yaml": drill("typo", "{ scrubber: shop, scrubbers: { analytcs: analytics } }"),
    "scrubbers/misfit.yaml":
      "deterministic: false\ntables:\n  visitors: { id: keep, emial: keep }\n",
    "drills/misfit.yaml": drill(
      "misfit",
      "{ scrubber: shop, scrubbers: { analytics: misfit, shop: analytics } }",
    ),
  });
  await seedSandbox(root);
  // Production gains two databases before the snapshot the runs restore.
  const provider = new LocalProvider({ root, environment: localEnv() });
  try {
    const prepared = await provider.prepare({ signal: signal(), progress: noop });
    const admin = {
      host: "127.0.0.1",
      port: Number(prepared.primaryPort),
      user: "postgres",
      password: await sandboxPassword(root),
      database: "postgres",
    };
    await withSession(admin, async (db) => {
      await db.query("create database analytics");
      await db.query("create database legacy");
    });
    await withSession({ ...admin, database: "analytics" }, (db) =>
      db.query(`create table visitors (id int primary key, email text, full_name text);
        insert into visitors select g, 'visitor' || g || '@analytics.example.com', 'Visitor ' || g
          from generate_series(1, 300) g`),
    );
    await withSession({ ...admin, database: "legacy" }, (db) =>
      db.query("create table old_users as select 1 as id, 'old@legacy.example.com' as email"),
    );
  } finally {
    await provider.release();
  }
  await new Promise((r) => setTimeout(r, 1100));
}, 300_000);

afterAll(async () => {
  expect(processesNaming(root)).toEqual([]);
  await fs.rm(root, { recursive: true, force: true });
});

const run = async (name: string) => {
  const r = await runMain(["run", name, "--json"], root);
  return { ...r, record: JSON.parse(r.stdout) as RunRecord };
};
const scrubStep = (record: RunRecord) => record.steps.find((s) => s.kind === "scrub")!;

it("refuses a database production lacks at the drill's line, exit 2, before restoring", async () => {
  const r = await run("typo");
  expect(r.code).toBe(2);
  expect(r.record.steps.map((s) => `${s.kind} ${s.outcome}`)).toEqual([
    "restore skipped",
    "scrub skipped",
    "cleanup passed",
  ]);
  expect(r.record.findings).toEqual([
    'drills/typo.yaml:5:43 steps[1].scrub.scrubbers.analytcs: database "analytcs" does not exist in production (databases: analytics, legacy, postgres, shop)',
  ]);
});

it("checks each scrubber against production's database of that name, and a database named twice", async () => {
  const r = await run("misfit");
  expect(r.code).toBe(2);
  expect(r.record.findings).toEqual([
    'scrubbers/misfit.yaml:3:25 tables.visitors.emial: column "emial" does not exist in visitors in production\'s database analytics (columns: id, email, full_name)',
    'drills/misfit.yaml:5:62 steps[1].scrub.scrubbers.shop: database "shop" is production\'s own, already scrubbed by `scrubber: shop` (name each database once)',
  ]);
});

it("fails the scrub naming the unclassified database, and hands nothing over", async () => {
  const r = await run("strict");
  expect(r.code).toBe(1);
  const step = scrubStep(r.record);
  expect(step.outcome).toBe("failed");
  expect(r.record.findings).toEqual([
    "scrub: 1 database(s) not classified: legacy (1 table(s)); name each in the scrub step's `scrubbers: { <database>: <scrubber> }` or set `otherDatabases: drop`",
  ]);
  expect(step.details.kept).toBeUndefined();
  expect(step.details.databases).toEqual([
    { database: "postgres", scrubber: null, outcome: "empty", tables: 0, rows: 0, leakScan: null },
    {
      database: "legacy",
      scrubber: null,
      outcome: "unclassified",
      tables: 1,
      rows: 0,
      leakScan: null,
    },
  ]);
  expect(step.details.totals).toMatchObject({ databases: 0, rows: 0 });
}, 300_000);

it("drops the unclassified database and scrubs shop and analytics, each with its own leak scan", async () => {
  const r = await run("dropping");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const step = scrubStep(r.record);
  expect(step.outcome).toBe("passed");
  const databases = step.details.databases as { database: string; outcome: string }[];
  expect(databases.map((d) => [d.database, d.outcome])).toEqual([
    ["shop", "passed"],
    ["analytics", "passed"],
    ["postgres", "empty"],
    ["legacy", "dropped"],
  ]);
  expect(databases[1]).toMatchObject({ scrubber: "analytics", rows: 300, leakScan: "clean" });
  const totals = step.details.totals as { rows: number; databases: number };
  expect(totals.databases).toBe(2);
  expect(r.record.measurements.scrubRows?.value).toBe(totals.rows);
  expect(totals.rows).toBeGreaterThan(300);
}, 300_000);

it("plans the mapping of databases to scrubbers", async () => {
  const r = await runMain(["plan", "dropping"], root);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(
    "databases: the copy's own database → shop (4 table(s)), analytics → analytics (1 table(s))",
  );
  expect(r.stdout).toContain("otherDatabases: drop (databases with data no scrubber names)");
});

it("validate names a bad scrubbers entry at file:line:col with the known list, exit 2", async () => {
  const bad = await makeProject({
    "config/drill.yaml": "environments:\n  sandbox: { provider: local }\n",
    "scrubbers/analytics.yaml": "deterministic: false\ntables: {}\n",
    // Names are checked once the file parses: a wrong name and a wrong shape in two files.
    "drills/bad.yaml": drill("bad", "\n      scrubbers:\n        analytics: analytic"),
    "drills/worse.yaml": drill(
      "worse",
      "\n      scrubbers:\n        crm: ../crm\n      otherDatabases: keep",
    ),
    "drills/none.yaml": drill("none", "{ otherDatabases: drop }"),
  });
  const r = await runMain(["validate"], bad);
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split("\n")).toEqual([
    'drills/bad.yaml:7:20 steps[1].scrub.scrubbers.analytics: unknown scrubber "analytic" (known: analytics)',
    "drills/none.yaml:5:12 steps[1].scrub: a scrub step needs `scrubber` (the copy's own database), `scrubbers` (by database), or both",
    "drills/worse.yaml:7:14 steps[1].scrub.scrubbers.crm: expected lowercase letters, digits, '-' or '_' (at most 63 characters)",
    'drills/worse.yaml:8:23 steps[1].scrub.otherDatabases: expected one of "drop", "fail"',
  ]);
  await fs.rm(bad, { recursive: true, force: true });
});
