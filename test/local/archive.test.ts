import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { sandboxPassword } from "../../src/providers/local/sandbox.js";
import type { RestoredCopy } from "../../src/providers/types.js";
import { seededRoot } from "../helpers/seeded-sandbox.js";
import { localEnv, noop, signal } from "./util.js";
import { processesNaming } from "../helpers/processes.js";

const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";
const hasPgDump = await fs.access(PG_DUMP).then(
  () => true,
  () => false,
);

describe.skipIf(!hasPgDump)("local provider: archive restores", () => {
  let root: string;
  let provider: LocalProvider;
  let customDump: string;
  let directoryDump: string;
  let orders: number;
  const copies: RestoredCopy[] = [];
  /** What the engine's cleanup would undo: also after a failed restore. */
  const disposers: (() => Promise<void>)[] = [];

  const restore = async (p: LocalProvider, file: string, runId: string, format?: "plain") => {
    const plan = await p.planRestore({
      kind: "archive",
      path: file,
      ...(format ? { format } : {}),
    });
    let created = false;
    const lines: string[] = [];
    try {
      const copy = await p.restore(plan, {
        runId,
        signal: signal(),
        progress: (m) => lines.push(m),
        onCreated: (d) => {
          created = true;
          disposers.push(d);
        },
      });
      copies.push(copy);
      return { plan, copy, created, lines };
    } catch (e) {
      return { plan, error: e, created, lines };
    }
  };

  const count = (c: RestoredCopy, table: string) =>
    withSession(c.connection, async (db) =>
      Number((await db.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n),
    );

  beforeAll(async () => {
    root = await seededRoot("archive");
    provider = new LocalProvider({ root, environment: localEnv() });
    const prepared = await provider.prepare({ signal: signal(), progress: noop });
    const env = { ...process.env, PGPASSWORD: await sandboxPassword(root) };
    const args = [
      "-h",
      "127.0.0.1",
      "-p",
      String(prepared.primaryPort),
      "-U",
      "postgres",
      "-d",
      "shop",
    ];
    customDump = path.join(root, "shop.dump");
    directoryDump = path.join(root, "shop.dir");
    await promisify(execFile)(PG_DUMP, [...args, "-Fc", "-f", customDump], { env });
    await promisify(execFile)(PG_DUMP, [...args, "-Fd", "-f", directoryDump], { env });
    orders = await withSession(
      {
        host: "127.0.0.1",
        port: prepared.primaryPort as number,
        user: "postgres",
        password: env.PGPASSWORD,
        database: "shop",
      },
      async (db) =>
        Number((await db.query<{ n: string }>("select count(*) as n from orders")).rows[0]!.n),
    );
    await provider.release();
  });

  afterAll(async () => {
    for (const c of copies) await c.dispose();
    for (const d of disposers) await d();
    await provider.release();
    expect(processesNaming(root)).toEqual([]);
    await fs.rm(root, { recursive: true, force: true });
  });

  it("a drill that uses nothing of production does not start the sandbox, and still restores", async () => {
    const p = new LocalProvider({ root, environment: localEnv() });
    expect(await p.prepare({ signal: signal(), progress: noop, production: false })).toEqual({
      sandbox: "not used",
    });
    expect(processesNaming(root)).toEqual([]);
    const r = await restore(p, customDump, "20261128-100000-noprod-0001");
    expect(r.error).toBeUndefined();
    expect(await count(r.copy!, "orders")).toBe(orders);
    await p.release();
  });

  it("restores a custom-format dump with pg_restore", async () => {
    const r = await restore(provider, customDump, "run-custom");
    expect(r.plan.details).toMatchObject({ format: "custom" });
    expect(r.plan.description).toContain("custom archive shop.dump");
    expect(r.error).toBeUndefined();
    expect(await count(r.copy!, "orders")).toBe(orders);
    expect(r.lines.some((l) => l.includes("pg_restore -j"))).toBe(true);
    const fks = await withSession(
      r.copy!.connection,
      async (db) => (await db.query("select 1 from pg_constraint where contype = 'f'")).rows.length,
    );
    expect(fks).toBe(3);
    await r.copy!.dispose();
    expect(processesNaming(path.join(root, ".drill", "runs", "run-custom"))).toEqual([]);
    await expect(fs.stat(path.join(root, ".drill", "runs", "run-custom"))).rejects.toThrow();
  });

  it("restores a directory-format dump", async () => {
    const r = await restore(provider, directoryDump, "run-dir");
    expect(r.plan.details).toMatchObject({ format: "directory" });
    expect(await count(r.copy!, "orders")).toBe(orders);
  });

  it("restores a plain SQL file with psql, and reports its errors", async () => {
    const sql = path.join(root, "small.sql");
    await fs.writeFile(
      sql,
      "create table t (id int primary key, name text);\ninsert into t select g, 'n' || g from generate_series(1, 42) g;\n",
    );
    const r = await restore(provider, sql, "run-plain", "plain");
    expect(r.plan.details).toMatchObject({ format: "plain" });
    expect(await count(r.copy!, "t")).toBe(42);

    const bad = path.join(root, "bad.sql");
    await fs.writeFile(bad, "create table u (id int);\nselect * from no_such_table;\n");
    const b = await restore(provider, bad, "run-bad", "plain");
    expect(b.error).toMatchObject({
      code: "ARCHIVE_RESTORE_FAILED",
      exitCode: 3,
      message: expect.stringContaining("no_such_table"),
    });
    expect(b.created).toBe(true);
  });

  it("fails with a platform error before creating anything when client tools are missing", async () => {
    const empty = path.join(root, "empty-bin");
    await fs.mkdir(empty);
    const bare = new LocalProvider({ root, environment: localEnv(), clientSearchDirs: [empty] });
    const r = await restore(bare, customDump, "run-notools");
    expect(r.error).toMatchObject({
      code: "CLIENT_TOOLS_MISSING",
      exitCode: 3,
      hint: expect.stringContaining("postgresql-client-15"),
    });
    expect(r.created).toBe(false);
  });

  it("rejects a path that is not an archive as bad input", async () => {
    await expect(
      provider.planRestore({ kind: "archive", path: path.join(root, "nope.dump") }),
    ).rejects.toMatchObject({ code: "ARCHIVE_NOT_FOUND", exitCode: 2 });
  });
});
