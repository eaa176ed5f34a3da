import { chmod } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createServer, connect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { CHECK_READER } from "../../src/checks/read-only-role.js";
import { useTestCluster } from "../helpers/cluster.js";
import { tempDir } from "../helpers/temp.js";
import { runOn } from "./run-helper.js";

/**
 * Each test performs one attack a drill file's `sql` check (or a tampered copy feeding it) could
 * make, and asserts it failed: the copy is unchanged, the deadline held, memory stayed flat, no
 * program ran.
 */
const pg = useTestCluster();
const admin = <T>(sql: string, values: unknown[] = []) =>
  withSession(pg.connection, (db) => db.query<T & Record<string, unknown>>(sql, values));
const countT = async () => (await admin<{ n: string }>("select count(*) n from t")).rows[0]!.n;
const sqlCheck = (query: string, more: Record<string, unknown> = { expect: 1 }) =>
  ["sql", { name: "attack", query, ...more }] as [string, unknown];
const runOne = async (query: string, more?: Record<string, unknown>, timeoutMs = 10_000) =>
  (await runOn(pg.connection, [sqlCheck(query, more)], { statementTimeoutMs: timeoutMs }))[0]!;

let markers: string;

beforeAll(async () => {
  await admin("create table t (id int primary key)");
  await admin("insert into t select generate_series(1, 5)");
  // A function from a tampered backup: owned by the superuser (restores use --no-owner), it
  // runs a program for whoever calls it if that caller may. The program reads COPY's output
  // first: one that exits before COPY has written fails the COPY with a broken pipe.
  await admin(`create function evil(p text) returns int language plpgsql as $$
    begin execute format('copy (select 1) to program %L', 'cat >/dev/null; touch ' || p); return 1; end $$`);
  markers = await tempDir("sql-hostile");
  await chmod(markers, 0o777); // the server (user postgres) must be able to make the marker
}, 60_000);

describe("sql checks: one read-only SELECT, enforced", () => {
  it("refuses `commit; delete from t; select 1` and t keeps its rows", async () => {
    const r = await runOne("commit; delete from t; select 1");
    // PostgreSQL stops at `commit` (DECLARE takes only a query) before it sees the second one.
    expect(r).toMatchObject({
      outcome: "error",
      message:
        "the query does not start with SELECT, VALUES or WITH; a sql check runs exactly one SELECT",
    });
    expect(await countT()).toBe("5");
  });

  it("refuses `select 1; delete from t` and t keeps its rows", async () => {
    const r = await runOne("select 1; delete from t");
    expect(r).toMatchObject({ outcome: "error", message: /several statements/ });
    expect(await countT()).toBe("5");
  });

  it("a writing CTE fails and t keeps its rows", async () => {
    const r = await runOne("with d as (delete from t returning 1) select count(*) from d", {
      expect: 0,
    });
    expect(r.outcome).toBe("error");
    expect(r.message).toMatch(/data-modifying|read-only/);
    expect(await countT()).toBe("5");
  });

  it("a bare DELETE is not a SELECT and changes nothing", async () => {
    const r = await runOne("  delete from t", { expect: 0 });
    expect(r).toMatchObject({ outcome: "error", message: /does not start with SELECT/ });
    expect(await countT()).toBe("5");
  });

  it.each([
    ["select pg_sleep(60)"],
    ["select set_config('statement_timeout', '0', true), pg_sleep(60)"],
    ["select set_config('statement_timeout', '0', false), pg_sleep(60)"],
    [
      "select pg_sleep(1) from generate_series(1, 60) where set_config('statement_timeout', '0', false) is not null",
    ],
  ])("the 2s timeout holds against %s", async (query) => {
    const started = Date.now();
    const r = await runOne(query, { expect: null }, 2_000);
    const took = Date.now() - started;
    expect(r.outcome).toBe("error");
    expect(r.message).toMatch(/timeout/);
    expect(took).toBeLessThan(3_500);
    // The backend is not left sleeping behind the check either.
    await new Promise((res) => setTimeout(res, 300));
    const left = await admin<{ n: string }>(
      "select count(*) n from pg_stat_activity where query like '%pg_sleep%' and pid <> pg_backend_pid()",
    );
    expect(left.rows[0]!.n).toBe("0");
  });

  it("the deadline is drill's own: it holds when the server's timeout never reaches drill", async () => {
    // A proxy that goes silent once the check fetches: the server's statement_timeout fires but
    // its error never arrives, as if the query had lifted it. Only drill's own deadline is left.
    const proxy = createServer((down) => {
      const up = connect(pg.connection.port, pg.connection.host);
      let silent = false;
      down.on("data", (d: Buffer) => {
        if (d.includes("fetch forward")) silent = true;
        up.write(d);
      });
      up.on("data", (d: Buffer) => void (silent || down.write(d)));
      for (const s of [up, down]) s.on("error", () => {});
      down.on("close", () => up.destroy());
      up.on("close", () => down.destroy());
    });
    await new Promise<void>((res) => proxy.listen(0, "127.0.0.1", res));
    try {
      const via = {
        ...pg.connection,
        host: "127.0.0.1",
        port: (proxy.address() as AddressInfo).port,
      };
      const started = Date.now();
      const [r] = await runOn(via, [sqlCheck("select pg_sleep(60)", { expect: null })], {
        statementTimeoutMs: 1_000,
      });
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(r).toMatchObject({
        outcome: "error",
        message: "the query ran past its 1s timeout and was ended",
      });
    } finally {
      proxy.close();
    }
  });

  it("a function running COPY … TO PROGRAM fails: the check does not run as a superuser", async () => {
    const control = join(markers, "control");
    // The attack is real: as the superuser the function does make its marker.
    await admin("select evil($1)", [control]);
    expect(existsSync(control)).toBe(true);

    const tries = [
      "select evil('MARK')",
      // SET ROLE is checked against the session user: were the check a superuser session that
      // SET ROLE to the reader, this would hand the superuser back. It logs in as the reader.
      "select set_config('role', 'none', true), evil('MARK')",
      `select set_config('role', '${pg.connection.user}', true), evil('MARK')`,
      `select set_config('session_authorization', '${pg.connection.user}', true), evil('MARK')`,
    ];
    for (const [i, q] of tries.entries()) {
      const marker = join(markers, `attack-${i}`);
      const r = await runOne(q.replace("MARK", marker), { expect: 1 });
      expect(r.outcome, q).toBe("error");
      expect(r.message, q).toMatch(/permission denied|must be superuser|privileges of/);
      expect(existsSync(marker), q).toBe(false);
    }
  });

  it("the reader is no superuser, holds no server-file or program role, and is repaired if a snapshot brought a worse one", async () => {
    await runOne("select 1");
    // A cluster snapshot could carry a role of the reader's name with more power.
    await admin(`alter role ${CHECK_READER} superuser createrole`);
    await admin(`grant pg_execute_server_program, pg_write_server_files to ${CHECK_READER}`);
    const marker = join(markers, "repaired");
    const r = await runOne(`select evil('${marker}')`);
    expect(r.outcome).toBe("error");
    expect(existsSync(marker)).toBe(false);
    const role = await admin<{ rolsuper: boolean; rolcreaterole: boolean; bad: boolean }>(
      `select rolsuper, rolcreaterole,
              pg_has_role(oid, 'pg_execute_server_program', 'MEMBER')
           or pg_has_role(oid, 'pg_write_server_files', 'MEMBER')
           or pg_has_role(oid, 'pg_read_server_files', 'MEMBER') bad
         from pg_roles where rolname = $1`,
      [CHECK_READER],
    );
    expect(role.rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, bad: false });
    // ...and it still reads every table.
    expect(await runOne("select count(*) from t", { expect: 5 })).toMatchObject({
      outcome: "passed",
    });
  });

  it("refuses to run when the copy gives the built-in read role a program role", async () => {
    await admin("grant pg_execute_server_program to pg_read_all_data");
    try {
      const marker = join(markers, "through-builtin");
      const r = await runOne(`select evil('${marker}')`);
      expect(r).toMatchObject({
        outcome: "error",
        message: expect.stringContaining(
          `the read-only role ${CHECK_READER} still has the privileges of pg_execute_server_program`,
        ),
      });
      expect(existsSync(marker)).toBe(false);
    } finally {
      await admin("revoke pg_execute_server_program from pg_read_all_data");
    }
  });
});
