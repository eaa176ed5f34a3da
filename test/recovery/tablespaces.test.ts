import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { DrillError } from "../../src/errors.js";
import { run, serverUser } from "../../src/providers/local/os-user.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { sleep } from "../../src/sleep.js";
import { startTestCluster, type TestCluster } from "../helpers/cluster.js";
import { processesNaming } from "../helpers/processes.js";
import { makeProject } from "../helpers/project.js";
import { removeTempDirs, tempDir } from "../helpers/temp.js";
import { localEnv } from "../local/util.js";
import { PG_BIN } from "./fixture.js";

/** A pg_basebackup -Ft with a tablespace (<oid>.tar beside base.tar) restores into the run folder. */
describe("pg_basebackup tablespaces", () => {
  let source: TestCluster;
  let dir: string;
  let spaceDir: string;
  let backupDir: string;
  let wal: string;

  beforeAll(async () => {
    const as = await serverUser();
    dir = await tempDir("tablespaces", { walkable: true });
    wal = path.join(dir, "wal");
    spaceDir = path.join(dir, "space");
    for (const d of [wal, spaceDir]) {
      await fs.mkdir(d, { mode: 0o700 });
      if (as) await fs.chown(d, as.uid, as.gid);
    }
    source = await startTestCluster({
      conf: ["archive_mode = on", `archive_command = 'test ! -f ${wal}/%f && cp %p ${wal}/%f'`],
    });
    const sql = (q: string) =>
      withSession(source.connection, async (db) => (await db.query(q)).rows);
    await sql(`create tablespace far location '${spaceDir}'`);
    await sql("create table t_far (id int primary key) tablespace far");
    await sql("insert into t_far select generate_series(1, 50)");
    const c = source.connection;
    backupDir = path.join(dir, "backup");
    await run(
      path.join(PG_BIN, "pg_basebackup"),
      ["-h", c.host, "-p", String(c.port), "-U", c.user, "-D", backupDir, "-Ft", "-X", "none"],
      { env: { PGPASSWORD: c.password ?? "" } },
    );
    // The backup's end must be archived for replay to reach consistency.
    const [s] = await sql("select pg_walfile_name(pg_switch_wal()) as seg");
    for (let i = 0; i < 200 && !existsSync(path.join(wal, s!.seg as string)); i++) await sleep(50);
  }, 60_000);

  afterAll(async () => {
    await source?.stop();
    await removeTempDirs();
  });

  const restore = async (root: string) => {
    const provider = new LocalProvider({ root, environment: localEnv() });
    const plan = await provider.planRestore({
      kind: "basebackup",
      base: path.join(backupDir, "base.tar"),
      wal,
      superuser: "postgres",
      database: "postgres",
      target: { kind: "latest" },
    });
    return { plan, provider };
  };

  it("extracts each <oid>.tar into the run's spool, the copy reads the table there, dispose removes it", async () => {
    const oid = (await fs.readdir(backupDir)).find((n) => /^\d+\.tar$/.test(n))!.slice(0, -4);
    const root = await makeProject({});
    const { plan, provider } = await restore(root);
    expect(plan.details.tablespaces).toEqual([oid]);
    const before = await fs.readdir(spaceDir, { recursive: true });
    const copy = await provider.restore(plan, {
      runId: `ts-${process.pid}`,
      signal: new AbortController().signal,
      progress: () => undefined,
      onCreated: () => undefined,
    });
    try {
      const n = await withSession(copy.connection, async (db) => {
        const { rows } = await db.query<{ n: string; loc: string }>(
          `select (select count(*) from t_far) as n,
                  pg_tablespace_location((select oid from pg_tablespace where spcname = 'far')) as loc`,
        );
        return rows[0]!;
      });
      expect(Number(n.n)).toBe(50);
      const runDir = path.join(root, ".drill", "runs", `ts-${process.pid}`);
      expect(n.loc).toBe(path.join(runDir, "spool", "tablespaces", oid));
      // Production's tablespace folder was never written to.
      expect(await fs.readdir(spaceDir, { recursive: true })).toEqual(before);
      // A standby would share the copy's tablespace folder: refused, nothing made.
      const err = await provider
        .failoverPair({
          target: "staging",
          copy: { runId: `ts-${process.pid}`, connection: copy.connection, admin: copy.admin! },
          synchronous: false,
          signal: new AbortController().signal,
          progress: () => undefined,
          defer: () => expect.unreachable("nothing to undo"),
        })
        .catch((e: unknown) => e);
      expect((err as DrillError).code).toBe("FAILOVER_TABLESPACES_UNSUPPORTED");
      expect((err as DrillError).exitCode).toBe(3);
      expect(existsSync(path.join(runDir, "standby"))).toBe(false);
    } finally {
      await copy.dispose();
    }
    expect(existsSync(path.join(root, ".drill", "runs", `ts-${process.pid}`))).toBe(false);
    expect(processesNaming(root)).toEqual([]);
  }, 60_000);

  it("a tablespace_map oid without its tar fails naming it, before any run folder", async () => {
    const copy = path.join(dir, "backup-missing");
    await fs.cp(backupDir, copy, { recursive: true });
    for (const n of await fs.readdir(copy))
      if (/^\d+\.tar$/.test(n)) await fs.rm(path.join(copy, n));
    const root = await makeProject({});
    const provider = new LocalProvider({ root, environment: localEnv() });
    const err = await provider
      .planRestore({
        kind: "basebackup",
        base: path.join(copy, "base.tar"),
        wal,
        superuser: "postgres",
        database: "postgres",
        target: { kind: "latest" },
      })
      .catch((e: unknown) => e);
    expect((err as DrillError).code).toBe("BACKUP_TABLESPACES_BROKEN");
    expect((err as DrillError).message).toMatch(/names tablespace\(s\) \d+ with no <oid>\.tar/);
    expect(existsSync(path.join(root, ".drill", "runs"))).toBe(false);
  }, 60_000);
});
