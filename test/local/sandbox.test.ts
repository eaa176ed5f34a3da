import { promises as fs } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession, type Queryable } from "../../src/db.js";
import { DrillError } from "../../src/errors.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { readState, sandboxPassword, sandboxPaths } from "../../src/providers/local/sandbox.js";
import type { RestoredCopy } from "../../src/providers/types.js";
import type { ConnectionInfo } from "../../src/types.js";
import { localEnv, noop, signal } from "./util.js";
import { processesNaming } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";

const TABLES = ["customers", "orders", "order_items", "payments"];

async function counts(conn: ConnectionInfo): Promise<Record<string, number>> {
  return withSession(conn, async (db: Queryable) => {
    const out: Record<string, number> = {};
    for (const t of TABLES)
      out[t] = Number((await db.query<{ n: string }>(`select count(*) as n from ${t}`)).rows[0]!.n);
    return out;
  });
}

const primaryConn = async (root: string, port: number): Promise<ConnectionInfo> => ({
  host: "127.0.0.1",
  port,
  user: "postgres",
  password: await sandboxPassword(root),
  database: "shop",
});

describe("local provider: sandbox, snapshots, restore", () => {
  let root: string;
  let provider: LocalProvider;
  let prepared: Record<string, unknown>;
  let atSnapshot: Record<string, number>;
  const copies: RestoredCopy[] = [];
  const progress: string[] = [];

  beforeAll(async () => {
    root = await tempDir("sandbox", { walkable: true });
    provider = new LocalProvider({ root, environment: localEnv() });
    prepared = await provider.prepare({ signal: signal(), progress: (m) => progress.push(m) });
    atSnapshot = await counts(await primaryConn(root, prepared.primaryPort as number));
  });

  afterAll(async () => {
    for (const c of copies) await c.dispose();
    await provider.release();
    expect(processesNaming(root)).toEqual([]);
    await fs.rm(root, { recursive: true, force: true });
  });

  it("creates and seeds the primary with shop data whose foreign keys hold", async () => {
    expect(prepared).toMatchObject({ created: true, snapshot: { taken: true } });
    expect(atSnapshot.customers).toBe(200);
    expect(atSnapshot.orders).toBeGreaterThanOrEqual(600);
    expect(atSnapshot.order_items).toBeGreaterThan(atSnapshot.orders!);
    expect(atSnapshot.payments).toBeGreaterThan(atSnapshot.orders! / 2);
    const conn = await primaryConn(root, prepared.primaryPort as number);
    const check = await withSession(
      conn,
      async (db) =>
        (
          await db.query<{ fks: string; orphans: string; bad: string }>(`
      select (select count(*) from pg_constraint where contype = 'f') as fks,
             (select count(*) from order_items i left join orders o on o.id = i.order_id where o.id is null) as orphans,
             (select count(*) from orders o where total <> (select sum(quantity * unit_price) from order_items i where i.order_id = o.id)) as bad`)
        ).rows[0]!,
    );
    expect(check).toEqual({ fks: "3", orphans: "0", bad: "0" });
    const stat = await fs.stat(sandboxPaths(root).passwordFile);
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it("seeds the same data for the same scale", async () => {
    const other = await tempDir("sandbox-twin", { walkable: true });
    const twin = new LocalProvider({
      root: other,
      environment: localEnv({ backupInterval: 1e12 }),
    });
    try {
      const p = await twin.prepare({ signal: signal(), progress: noop });
      const firstRows = async (c: ConnectionInfo) =>
        withSession(
          c,
          async (db) =>
            (await db.query("select email, full_name, city from customers order by id limit 3"))
              .rows,
        );
      const a = await firstRows(await primaryConn(root, prepared.primaryPort as number));
      const b = await firstRows(await primaryConn(other, p.primaryPort as number));
      expect(b).toEqual(a);
      expect(String(a[0]!.email)).toMatch(/^[a-z0-9]+\.[a-z0-9]+1@/);
    } finally {
      await twin.release();
      await fs.rm(other, { recursive: true, force: true });
    }
  });

  it("lists the snapshot and picks it by latest, id and time", async () => {
    const list = await provider.snapshots.list();
    expect(list).toHaveLength(1);
    const snap = list[0]!;
    expect(snap.id).toMatch(/^snap-\d{8}T\d{6}Z$/);
    expect(snap.size).toBeGreaterThan(1_000_000);
    expect((await provider.snapshots.pick({ latest: true }))?.id).toBe(snap.id);
    expect((await provider.snapshots.pick({ id: snap.id }))?.id).toBe(snap.id);
    expect((await provider.snapshots.pick({ before: new Date(Date.now() + 1000) }))?.id).toBe(
      snap.id,
    );
    await expect(provider.snapshots.pick({ id: "snap-nope" })).rejects.toMatchObject({
      code: "UNKNOWN_SNAPSHOT",
      exitCode: 2,
      message: expect.stringContaining(snap.id),
    });
    await expect(provider.snapshots.pick({ before: new Date(0) })).rejects.toMatchObject({
      code: "NO_SNAPSHOT_BEFORE",
      exitCode: 2,
    });
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    expect(plan.source.id).toBe(snap.id);
    expect(plan.description).toContain(snap.id);
  });

  it("restores a snapshot into a copy with the snapshot's rows and its own password", async () => {
    const plan = await provider.planRestore({ kind: "before", before: new Date() });
    let dispose: (() => Promise<void>) | undefined;
    const lines: string[] = [];
    const copy = await provider.restore(plan, {
      runId: "run-restore",
      signal: signal(),
      progress: (m) => lines.push(m),
      onCreated: (d) => (dispose = d),
    });
    copies.push(copy);
    expect(dispose).toBeDefined();
    expect(lines.join("\n")).toMatch(
      /copying snapshot snap-.*\n.*starting PostgreSQL on port \d+\n.*recovering/,
    );
    expect(await counts(copy.connection)).toEqual(atSnapshot);
    const sandboxPw = await sandboxPassword(root);
    expect(copy.connection.password).toBeTruthy();
    expect(copy.connection.password).not.toBe(sandboxPw);
    await expect(counts({ ...copy.connection, password: sandboxPw })).rejects.toThrow(
      /password authentication failed/,
    );
    expect(copy.details).toMatchObject({
      dataDir: path.join(".drill", "runs", "run-restore", "pgdata"),
    });

    const dataDir = path.join(root, ".drill", "runs", "run-restore", "pgdata");
    expect(processesNaming(dataDir)).toHaveLength(1);
    await copy.dispose();
    await copy.dispose();
    expect(processesNaming(dataDir)).toEqual([]);
    await expect(fs.stat(path.join(root, ".drill", "runs", "run-restore"))).rejects.toThrow();
  });

  it("cleans up a restore aborted while the server starts", async () => {
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const ac = new AbortController();
    let dispose: (() => Promise<void>) | undefined;
    const attempt = provider.restore(plan, {
      runId: "run-abort",
      signal: ac.signal,
      progress: (m) => m.startsWith("recovering") && setTimeout(() => ac.abort(), 5),
      onCreated: (d) => (dispose = d),
    });
    await expect(attempt).rejects.toThrow();
    await dispose!();
    const runDir = path.join(root, ".drill", "runs", "run-abort");
    expect(processesNaming(runDir)).toEqual([]);
    await expect(fs.stat(runDir)).rejects.toThrow();
  });

  it("catches up the orders taken since the primary was last up, then reuses the fresh snapshot", async () => {
    const conn = await primaryConn(root, prepared.primaryPort as number);
    await withSession(conn, (db) =>
      db.query("update orders set created_at = created_at - interval '10 hours'"),
    );
    await provider.release();
    expect(processesNaming(sandboxPaths(root).dataDir)).toEqual([]);
    // The port used last is taken now: prepare must pick another.
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(prepared.primaryPort as number, "127.0.0.1", r));
    try {
      const again = await provider.prepare({ signal: signal(), progress: noop });
      expect(again.primaryPort).not.toBe(prepared.primaryPort);
      expect(again.ordersAppended).toBeGreaterThanOrEqual(499);
      expect(again.ordersAppended).toBeLessThanOrEqual(501);
      expect(again).toMatchObject({ created: false, snapshot: { taken: false } });
      const newest = await withSession(
        await primaryConn(root, again.primaryPort as number),
        async (db) =>
          (await db.query<{ t: Date }>("select max(created_at) as t from orders")).rows[0]!.t,
      );
      expect(Date.now() - newest.getTime()).toBeLessThan(75_000);
      expect((await readState(root)).port).toBe(again.primaryPort);
    } finally {
      blocker.close();
    }
  });

  it("keeps the newest three snapshots", async () => {
    const first = (await provider.snapshots.list()).at(-1)!;
    const conn = {
      ...(await primaryConn(root, (await readState(root)).port!)),
      database: "postgres",
    };
    for (let i = 0; i < 3; i++)
      await provider.snapshots.take({ dataDir: sandboxPaths(root).dataDir, connection: conn });
    const list = await provider.snapshots.list();
    expect(list).toHaveLength(3);
    expect(new Set(list.map((m) => m.id)).size).toBe(3);
    expect(list.map((m) => m.id)).not.toContain(first.id);
    await expect(fs.stat(path.join(sandboxPaths(root).snapshots, first.id))).rejects.toThrow();
  });

  it("fails with a platform error when the binaries are missing", async () => {
    const bad = new LocalProvider({
      root,
      environment: localEnv({ postgres: { bin: "/nonexistent" } }),
    });
    const e = await bad.prepare({ signal: signal(), progress: noop }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DrillError);
    expect(e).toMatchObject({ code: "POSTGRES_BINARIES_MISSING", exitCode: 3 });
    expect((e as DrillError).hint).toBeTruthy();
  });
});
