import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { sandboxPassword } from "../../src/providers/local/sandbox.js";
import type { ConnectionInfo, RunRecord } from "../../src/types.js";
import { runMain } from "../helpers/io.js";
import { makeProject, REPO } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { localEnv, noop, signal } from "../local/util.js";
import { dataDump } from "./dump.js";
import { SECRET, q } from "./fixture.js";
import { processesNaming } from "../helpers/processes.js";

/**
 * The adversarial fixture through `drill run`: production (the local sandbox) gains the fixture's
 * two databases before the snapshot; the drill restores all of them, scrubs each with its
 * scrubber, keeps the copy, and the kept copy's dumps hold none of a sample of the originals.
 */
const FIXTURES = path.join(REPO, "test/fixtures/adversarial");
const read = (file: string) => fs.readFile(path.join(FIXTURES, file), "utf8");

let root: string;
let admin: ConnectionInfo;
beforeAll(async () => {
  root = await makeProject({
    "config/drill.yaml":
      "environments:\n  sandbox: { provider: local, postgres: embedded, scale: 0.02, backupInterval: 1s }\n",
    "scrubbers/shop.yaml": await read("../../../scrubbers/shop.yaml"),
    "scrubbers/people.yaml": await read("people.yaml"),
    "scrubbers/analytics.yaml": await read("analytics.yaml"),
    "drills/adversarial.yaml": [
      "name: adversarial",
      "environment: sandbox",
      "steps:",
      "  - restore: { from: { snapshot: latest } }",
      "  - scrub: { scrubber: shop, scrubbers: { people: people, analytics: analytics }, keep: 1s }",
      "",
    ].join("\n"),
  });
  await seedSandbox(root);
  const provider = new LocalProvider({ root, environment: localEnv() });
  try {
    const prepared = await provider.prepare({ signal: signal(), progress: noop });
    admin = {
      host: "127.0.0.1",
      port: Number(prepared.primaryPort),
      user: "postgres",
      password: await sandboxPassword(root),
      database: "postgres",
    };
    for (const db of ["people", "analytics"]) {
      await withSession(admin, (s) => s.query(`create database ${db}`));
      const sql = await read(`${db}.sql`);
      await withSession({ ...admin, database: db }, (s) => s.query(sql));
    }
  } finally {
    await provider.release();
  }
  // A fresh snapshot for the run: the newest is older than the 1 s interval by then.
  await new Promise((r) => setTimeout(r, 1100));
}, 300_000);

afterAll(async () => {
  // The copy was kept for 1 s: once that is over cleanup takes it; reset stops the sandbox.
  await new Promise((r) => setTimeout(r, 1100));
  await runMain(["cleanup"], root).catch(() => {});
  await runMain(["sandbox", "reset"], root).catch(() => {});
  expect(processesNaming(root)).toEqual([]);
  await fs.rm(root, { recursive: true, force: true });
});

it("a drill over the fixture passes, and the kept copy's dumps hold no sampled original", async () => {
  // Sampled from production before the run (its sandbox primary is down now: started for this).
  const provider = new LocalProvider({ root, environment: localEnv() });
  let needles: string[];
  try {
    const prepared = await provider.prepare({ signal: signal(), progress: noop });
    const prod = { ...admin, port: Number(prepared.primaryPort) };
    const people = await q<{ v: string }>(
      { ...prod, database: "people" },
      `select unnest(array[full_name, email::text, handle, iban, notes]) as v from customers where id % 9 = 0
       union all select body from tickets where id % 50 = 0`,
    );
    const analytics = await q<{ v: string }>(
      { ...prod, database: "analytics" },
      "select user_email as v from sessions where id % 10 = 0",
    );
    needles = [...people, ...analytics].map((r) => r.v);
  } finally {
    await provider.release();
  }
  await new Promise((r) => setTimeout(r, 1100));

  const r = await runMain(["run", "adversarial", "--json"], root, {
    DRILL_LOG_LEVEL: "error",
    SCRUB_SECRET: SECRET,
  });
  expect(r.stderr).toBe("");
  const record = JSON.parse(r.stdout) as RunRecord;
  expect(record.findings).toEqual([]);
  expect(r.code).toBe(0);
  const step = record.steps.find((s) => s.kind === "scrub")!;
  const databases = step.details.databases as { database: string; outcome: string }[];
  expect(databases.map((d) => [d.database, d.outcome])).toEqual([
    ["shop", "passed"],
    ["people", "passed"],
    ["analytics", "passed"],
    ["postgres", "empty"],
  ]);
  const kept = step.details.kept as { connect: string; pgpassFile: string };
  const port = Number(/-p (\d+)/.exec(kept.connect)![1]);
  const password = (await fs.readFile(path.resolve(root, kept.pgpassFile), "utf8"))
    .trim()
    .split(":")
    .at(-1)!;
  const copy = { host: "127.0.0.1", port, user: "postgres", password, database: "people" };
  const dumps = (await dataDump(copy)) + (await dataDump({ ...copy, database: "analytics" }));
  expect(dumps).toContain("COPY public.tickets");
  expect(needles.length).toBeGreaterThan(200);
  expect(needles.filter((n) => dumps.includes(n))).toEqual([]);
}, 600_000);
