import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import type { RestoredCopy } from "../../src/providers/types.js";
import type { ConnectionInfo } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { localEnv, noop, signal } from "./util.js";
import { tempDir } from "../helpers/temp.js";

/**
 * Archives load as the working role: extensions the archive lists are made by the superuser
 * beforehand (in their own schema), and what only a superuser could create is refused in one line.
 */
const BIN = "/usr/lib/postgresql/15/bin";
const pg = useTestCluster();

async function dump(database: string, sql: string, format: "-Fc" | "-Fp", file: string) {
  const c = pg.connection;
  await withSession(c, (db) => db.query(`create database ${database}`));
  await withSession({ ...c, database }, (db) => db.query(sql));
  await promisify(execFile)(
    path.join(BIN, "pg_dump"),
    ["-h", c.host, "-p", String(c.port), "-U", c.user, "-d", database, format, "-f", file],
    { env: { ...process.env, PGPASSWORD: c.password } },
  );
}

async function restore(file: string, runId: string, format?: "plain") {
  const root = await tempDir("archive-owner", { walkable: true });
  const provider = new LocalProvider({ root, environment: localEnv() });
  const plan = await provider.planRestore({
    kind: "archive",
    path: file,
    ...(format && { format }),
  });
  const disposers: (() => Promise<void>)[] = [];
  const opts = {
    runId,
    signal: signal(),
    progress: noop,
    onCreated: (d: () => Promise<void>) => void disposers.push(d),
  };
  try {
    return { copy: await provider.restore(plan, opts), disposers };
  } catch (e) {
    return { error: e as { code: string; exitCode: number; message: string }, disposers };
  }
}

const query = async <R>(c: ConnectionInfo, sql: string) =>
  withSession(c, async (db) => (await db.query<R>(sql)).rows);

describe.skipIf(
  !(await fs.access(path.join(BIN, "pg_dump")).then(
    () => true,
    () => false,
  )),
)("archives load as the working role", () => {
  it("makes the archive's extension in its schema as the superuser, skips what replicates; the rest is drill_owner's", async () => {
    const dir = await tempDir("archive-owner-dumps", { walkable: true });
    const file = path.join(dir, "ext.dump");
    await dump(
      "with_ext",
      `create schema ext; create extension pgcrypto with schema ext;
         create table t (id uuid primary key default ext.gen_random_uuid(), v text);
         insert into t (v) values ('a'), ('b');
         create publication everything for all tables;
         create subscription upstream connection 'host=127.0.0.1 port=1 dbname=x'
           publication p with (connect = false);`,
      "-Fc",
      file,
    );
    const r = await restore(file, "owner-ext");
    const copy = r.copy as RestoredCopy;
    try {
      expect(copy.details).toMatchObject({
        loadedAs: "drill_owner",
        extensionsCreated: ["pgcrypto"],
        skipped: ["publication everything", "subscription upstream"],
      });
      expect(copy.connection.user).toBe("drill_owner");
      expect(await query(copy.connection, "select count(*)::int as n from t")).toEqual([{ n: 2 }]);
      const owners = await query<{ name: string; owner: string }>(
        copy.admin!,
        `select n.nspname as name, pg_get_userbyid(n.nspowner) as owner from pg_namespace n where nspname = 'ext'
           union all select relname, pg_get_userbyid(relowner) from pg_class where relname = 't'
           union all select rolname, rolsuper::text from pg_roles where rolname = 'drill_owner'`,
      );
      expect(owners).toEqual([
        { name: "ext", owner: "drill_owner" },
        { name: "t", owner: "drill_owner" },
        { name: "drill_owner", owner: "false" },
      ]);
    } finally {
      for (const d of r.disposers) await d();
    }
  }, 120_000);

  it("refuses, in one line and exit 2, what only a superuser may create", async () => {
    const dir = await tempDir("archive-owner-dumps", { walkable: true });
    const custom = path.join(dir, "internal.dump");
    await dump(
      "with_internal",
      "create function public.sneaky(int) returns int language internal strict as 'int4abs';",
      "-Fc",
      custom,
    );
    const plain = path.join(dir, "untrusted.sql");
    await dump("with_dblink", "create extension dblink;", "-Fp", plain);
    for (const [file, runId, format, what] of [
      [custom, "owner-internal", undefined, "permission denied for language internal"],
      [plain, "owner-dblink", "plain", 'permission denied to create extension "dblink"'],
    ] as const) {
      const r = await restore(file, runId, format);
      for (const d of r.disposers) await d();
      expect(r.error).toMatchObject({ code: "ARCHIVE_NEEDS_SUPERUSER", exitCode: 2 });
      expect(r.error!.message).toContain(
        `${file}: the archive holds an object only a superuser may create (${what})`,
      );
      expect(r.error!.message).not.toContain("\n");
    }
  }, 120_000);
});
