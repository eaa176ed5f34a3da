/**
 * PostgreSQL quotes the value it failed on: `invalid input syntax for type date: "…"`, a detail
 * `Key (email, kind)=(…) is duplicated`, `Failing row contains (…)`, a function's RAISE with
 * whatever text the restored database wrote. A scrub that fails on such rows must name the
 * table, the column and the SQLSTATE, and carry no value into the step's record; so must every
 * PostgreSQL error text drill records, and the psql/pg_restore output a failed load reports.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pgEnv, withSession } from "../../src/db.js";
import { scrubberSchema } from "../../src/definitions/scrubber.js";
import { runStep } from "../../src/engine/step-runner.js";
import { toErrorRecord } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { maskToolOutput } from "../../src/redact.js";
import { scrub } from "../../src/steps/scrub.js";
import type { StepContext } from "../../src/steps/types.js";
import { systemClock, type ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";

const pg = useTestCluster();
const mark = randomBytes(4).toString("hex");
const BAD_DATE = `Zelda.${mark}`;
const EMAIL = `zelda.${mark}@example.org`;
const SECRET = "test-secret-0123456789";

/** A fresh database holding `sql`, as a restore would hand it over. */
async function database(name: string, sql: string): Promise<ConnectionInfo> {
  await withSession(pg.connection, (db) => db.query(`create database ${name}`));
  const conn = { ...pg.connection, database: name };
  await withSession(conn, (db) => db.query(sql));
  return conn;
}

/** The scrub step of a drill, run by the engine's step runner on `conn` with one scrubber. */
async function scrubStep(conn: ConnectionInfo, tables: object) {
  const scrubber = scrubberSchema.parse({ secret: SECRET, tables });
  const options = scrub.schema.parse({ scrubber: "s", leakScan: false, workers: 1 });
  const context = (signal: AbortSignal) =>
    ({
      runId: "r1",
      resources: { scrubbers: new Map([["s", scrubber]]), history: async () => [] },
      resolvePath: (p: string) => p,
      drill: { name: "x", steps: [{ restore: {} }, { scrub: options }], notify: [] },
      provider: { name: "none" },
      signal,
      clock: systemClock,
      log: silentLogger,
      target: { connection: conn, source: { kind: "snapshot", id: "s" }, readyAt: 0 },
      progress: () => {},
      measure: () => {},
    }) as unknown as StepContext;
  const run = await runStep(
    (ctx) => scrub.run(options, ctx),
    context,
    new AbortController().signal,
    60_000,
  );
  // Only one database with data per case: the next case's copy must not meet this one.
  await withSession(pg.connection, (db) => db.query(`drop database ${conn.database} with (force)`));
  return run;
}

/** The error `sql` raises on `conn`, as drill would record it. */
async function recorded(sql: string, conn: ConnectionInfo = pg.connection) {
  const e = await withSession(conn, (db) => db.query(sql)).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeDefined();
  return toErrorRecord(e);
}

describe("a scrub failing on the data", () => {
  it("a bad date inside JSON (shiftDate): table, column and SQLSTATE, no value", async () => {
    const conn = await database(
      "jsondates",
      `create table people (id int primary key, name text, profile jsonb);
       insert into people values (1, 'Ann', '{"born": "1990-01-02"}'),
                                 (2, 'Bea', '{"born": "${BAD_DATE}"}');`,
    );
    const run = await scrubStep(conn, {
      people: {
        id: "keep",
        name: { set: "someone" },
        profile: { json: { born: { shiftDate: "30d" } }, rest: "keep" },
      },
    });
    expect(run.outcome).toBe("error");
    expect(run.error).toMatchObject({
      code: "SCRUB_REWRITE_FAILED",
      message: 'people.profile: invalid input syntax for type date: "…" (SQLSTATE 22007)',
      postgres: { sqlstate: "22007", table: "people", column: "profile" },
    });
    expect(run.error!.hint).toContain("shiftDate");
    expect(JSON.stringify(run)).not.toContain(mark);
  });

  it("a unique key the rules made equal: table, key columns and SQLSTATE, no value", async () => {
    const conn = await database(
      "accounts",
      `create table accounts (id int primary key, email text, kind text, unique (email, kind));
       insert into accounts values (1, '${EMAIL}', 'a'), (2, '${EMAIL}', 'b');`,
    );
    const run = await scrubStep(conn, {
      accounts: { id: "keep", email: "keep", kind: { set: "x" } },
    });
    expect(run.outcome).toBe("error");
    expect(run.error).toMatchObject({
      code: "SCRUB_REWRITE_FAILED",
      message:
        'accounts key (email, kind): could not create unique index "accounts_email_kind_key" (SQLSTATE 23505)',
      postgres: {
        sqlstate: "23505",
        table: "accounts",
        constraint: "accounts_email_kind_key",
        key: "email, kind",
      },
    });
    expect(JSON.stringify(run)).not.toContain(mark);
  });
});

describe("PostgreSQL errors as drill records them", () => {
  it("values are cut from data errors; names, codes and non-data messages stay", async () => {
    const conn = await database(
      "errors",
      `create table t (id int primary key, email text check (email not like 'zelda%'), born date);
       insert into t (id) values (1);`,
    );
    const cases = await Promise.all([
      recorded(`select '${BAD_DATE}'::date`, conn),
      recorded(`select '${BAD_DATE}'::int`, conn),
      recorded(`insert into t (id) values (1)`, conn),
      recorded(`insert into t (id, email) values (2, '${EMAIL}')`, conn),
      recorded(`select convert_from('\\xff'::bytea, 'UTF8')`, conn),
      // The restored database's own code: its text may be anything, under any SQLSTATE.
      recorded(`do $$ begin raise exception 'no: %', '${EMAIL}'; end $$`, conn),
      recorded(`do $$ begin raise 'taken: %', '${EMAIL}' using errcode = '42P01'; end $$`, conn),
      recorded("select * from no_such_table", conn),
    ]);
    expect(cases.map((c) => [c.code, c.message, c.postgres?.sqlstate])).toEqual([
      ["POSTGRES_ERROR", 'invalid input syntax for type date: "…" (SQLSTATE 22007)', "22007"],
      ["POSTGRES_ERROR", 'invalid input syntax for type integer: "…" (SQLSTATE 22P02)', "22P02"],
      [
        "POSTGRES_ERROR",
        'duplicate key value violates unique constraint "t_pkey" (SQLSTATE 23505)',
        "23505",
      ],
      [
        "POSTGRES_ERROR",
        'new row for relation "t" violates check constraint "t_email_check" (SQLSTATE 23514)',
        "23514",
      ],
      ["POSTGRES_ERROR", 'invalid byte sequence for encoding "…" (SQLSTATE 22021)', "22021"],
      [
        "POSTGRES_ERROR",
        "a function in the database raised an error (SQLSTATE P0001; its text is not recorded)",
        "P0001",
      ],
      [
        "POSTGRES_ERROR",
        "a function in the database raised an error (SQLSTATE 42P01; its text is not recorded)",
        "42P01",
      ],
      ["POSTGRES_ERROR", 'relation "no_such_table" does not exist', "42P01"],
    ]);
    expect(cases[2]!.postgres).toMatchObject({ table: "t", constraint: "t_pkey", key: "id" });
    expect(cases[0]!.hint).toContain("records never hold values");
    expect(JSON.stringify(cases)).not.toContain(mark);
  });

  it("psql's own report of a failed load loses its values, keeps where it failed", async () => {
    const conn = { ...pg.connection, database: "errors" };
    const psql = spawnSync(
      "/usr/lib/postgresql/15/bin/psql",
      [
        "--no-psqlrc",
        "-c",
        `insert into t (id, email) values (1, '${EMAIL}')`,
        "-c",
        `insert into t (id, born) values (3, '${BAD_DATE}')`,
      ],
      { env: { ...pgEnv(conn), PATH: process.env.PATH }, encoding: "utf8" },
    );
    const lines = psql.stderr.trimEnd().split("\n");
    // The real output quotes both values: the failing row in DETAIL, the date in ERROR and LINE.
    expect(lines.filter((l) => l.includes(mark)).length).toBeGreaterThanOrEqual(3);
    expect(maskToolOutput(lines)).toEqual([
      'ERROR:  new row for relation "t" violates check constraint "t_email_check"',
      'ERROR:  invalid input syntax for type date: "…"',
    ]);
  });
});
