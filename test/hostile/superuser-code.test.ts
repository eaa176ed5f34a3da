import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { serverUser } from "../../src/providers/local/os-user.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { sandboxPassword, sandboxPaths } from "../../src/providers/local/sandbox.js";
import type { RunRecord } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { runMain } from "../helpers/io.js";
import { makeProject, REPO } from "../helpers/project.js";
import { tempDir } from "../helpers/temp.js";
import { localEnv, noop, signal } from "../local/util.js";
import { processesNaming } from "../helpers/processes.js";
import {
  CHECKS,
  makeHostile,
  SCRUBBER_TABLES,
  type Attempt,
  type Witness,
} from "./superuser-fixture.js";

/**
 * A backup whose code tries to reach a shell: a CHECK constraint, expression indexes (one through
 * a SECURITY DEFINER function owned by a superuser), a generated column, a default, a trigger, a
 * materialized view and an event trigger all call a function that runs `COPY … TO PROGRAM 'touch
 * <marker>'`, which only a superuser (or pg_execute_server_program) may. The function first
 * reports each call to a witness database (over dblink, as any role may with a password): which
 * vector, which role, whether a superuser, on which server. The backup goes through `drill run`
 * as (a) a pg_dump archive and (b) a snapshot of the local sandbox, whose production also brings
 * its own superuser `drill_owner` and a database search_path that puts a `current_setting` of its
 * own before the catalog's. The attack fires, as the witness shows, never as a superuser, and no
 * marker appears; the positive control shows it would as a superuser.
 */
const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";
const pg = useTestCluster();
let markers: string;
let witness: Witness;

/** What the witness heard after attempt `after` (a serial), oldest first. */
const attempts = (after = 0) =>
  withSession(
    { ...pg.connection, database: "witness" },
    async (db) =>
      (
        await db.query<Attempt>(
          "select vector, who, superuser, port from attempts where id > $1 order by id",
          [after],
        )
      ).rows,
  );
const lastAttempt = () =>
  withSession({ ...pg.connection, database: "witness" }, async (db) =>
    Number(
      (await db.query<{ n: number }>("select coalesce(max(id), 0) as n from attempts")).rows[0]!.n,
    ),
  );
const markerFiles = async () => (await fs.readdir(markers)).sort();

beforeAll(async () => {
  markers = await tempDir("markers");
  const as = await serverUser();
  // The server's OS user writes markers here, when it may run a program at all.
  if (as) await fs.chown(markers, as.uid, as.gid);
  const c = pg.connection;
  await withSession(c, async (db) => {
    await db.query("create database witness");
    await db.query("create role witness login password 'witness'");
  });
  await withSession({ ...c, database: "witness" }, (db) =>
    db.query(`create table attempts (id serial, vector text, who text, superuser boolean, port int);
              alter table attempts owner to witness`),
  );
  witness = {
    url: `host=127.0.0.1 port=${c.port} dbname=witness user=witness password=witness`,
    markers,
  };
}, 60_000);

const notFrom = (port: number) => (a: { port: number }) => a.port !== port;

/** `drill run hostile` passes; what its restore recorded, and what the witness heard meanwhile. */
async function runHostile(root: string) {
  const before = await lastAttempt();
  const r = await runMain(["run", "hostile", "--json"], root);
  const record = JSON.parse(r.stdout) as RunRecord;
  expect(record.findings).toEqual([]);
  expect(r.code).toBe(0);
  const restore = record.steps.find((s) => s.kind === "restore")!.details;
  return { restore, during: await attempts(before) };
}

/** The copy's code ran (these vectors fired), always as the working role, never a superuser. */
function expectHarmless(during: Attempt[], fired: string[]): void {
  const vectors = [...new Set(during.map((a) => a.vector))].sort();
  expect(vectors).toEqual(expect.arrayContaining(fired));
  // Disabled (a snapshot) or left out (an archive): it never fires in the copy.
  expect(vectors).not.toContain("event");
  expect(during.filter((a) => a.superuser)).toEqual([]);
  expect([...new Set(during.map((a) => a.who))]).toEqual(["drill_owner"]);
}

describe("restored code never runs as a superuser", () => {
  it("(a) a pg_dump archive: restore, scrub and verify run its code, never as a superuser", async () => {
    const prod = { ...pg.connection, database: "prod" };
    await withSession(pg.connection, (db) => db.query("create database prod"));
    await makeHostile(prod, witness);
    // The positive control: the attack works for a superuser, so the test can fail.
    expect(await markerFiles()).toEqual([`control-${prod.port}`]);
    expect(await attempts()).toEqual([
      { vector: "control", who: "postgres", superuser: true, port: prod.port },
    ]);

    const root = await makeProject({
      "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
      "scrubbers/hostile.yaml": `deterministic: false\nunknownColumns: fail\ntables:${SCRUBBER_TABLES}`,
      "drills/hostile.yaml": `name: hostile\nenvironment: sandbox\nsteps:
  - restore: { from: { archive: prod.dump } }
  - scrub: { scrubber: hostile }${CHECKS}`,
    });
    const args = ["-h", prod.host, "-p", String(prod.port), "-U", "postgres", "-d", "prod"];
    await promisify(execFile)(PG_DUMP, [...args, "-Fc", "-f", path.join(root, "prod.dump")], {
      env: { ...process.env, PGPASSWORD: prod.password },
    });
    const { restore, during } = await runHostile(root);
    expect(restore).toMatchObject({
      loadedAs: "drill_owner",
      extensionsCreated: ["dblink"],
      skipped: ["event trigger drill_event"],
    });
    expectHarmless(during, ["check", "definer", "generated", "index", "matview"]);
    expect(await markerFiles()).toEqual([`control-${prod.port}`]);
    expect(processesNaming(root)).toEqual([]);
  }, 300_000);

  it("(b) a snapshot of the local sandbox: the same code, handed to the working role first", async () => {
    const root = await makeProject({
      "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
      "scrubbers/shop.yaml":
        (await fs.readFile(path.join(REPO, "scrubbers/shop.yaml"), "utf8")) + SCRUBBER_TABLES,
      "drills/hostile.yaml": `name: hostile\nenvironment: sandbox\nsteps:
  - restore: { from: { snapshot: latest } }
  - scrub: { scrubber: shop }${CHECKS}`,
    });
    // Production stays up under this process for the run, so every attempt it makes itself
    // (its own DDL fires its event trigger) is told apart by its port.
    const provider = new LocalProvider({ root, environment: localEnv() });
    try {
      const prepared = await provider.prepare({ signal: signal(), progress: noop });
      const port = Number(prepared.primaryPort);
      const prod = {
        host: "127.0.0.1",
        port,
        user: "postgres",
        password: await sandboxPassword(root),
        database: "shop",
      };
      // The snapshot brings a working role of its own, a superuser that may run programs.
      await withSession(prod, (db) =>
        db.query(`create role drill_owner superuser login password 'known';
                  grant pg_execute_server_program to drill_owner`),
      );
      await makeHostile(prod, witness);
      // Its databases put their own schema before the catalog: a function named like one of the
      // catalog's catches any session that calls it unqualified.
      await withSession(prod, (db) =>
        db.query(`create function public.current_setting(text) returns text language plpgsql as
                    $f$ begin perform public.drill_evil('search_path');
                    return pg_catalog.current_setting($1); end $f$;
                  alter database shop set search_path = public, pg_catalog`),
      );
      expect(await markerFiles()).toContain(`control-${port}`);
      await provider.snapshots.take(
        { dataDir: sandboxPaths(root).dataDir, connection: { ...prod, database: "postgres" } },
        signal(),
      );
      const { restore, during } = await runHostile(root);
      expect(restore.workingRole).toMatchObject({
        role: "drill_owner",
        eventTriggersDisabled: ["shop: drill_event"],
      });
      expectHarmless(during.filter(notFrom(port)), ["check", "definer", "index", "matview"]);
      const copies = (await markerFiles()).filter((m) => !m.endsWith(`-${port}`));
      expect(copies.filter((m) => !m.startsWith("control-"))).toEqual([]);
    } finally {
      await provider.release();
    }
    await runMain(["sandbox", "reset"], root).catch(() => {});
    expect(processesNaming(root)).toEqual([]);
  }, 300_000);
});
