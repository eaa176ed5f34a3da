import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chownTree, serverUser, run } from "../../src/providers/local/os-user.js";
import {
  pgbackrestSource,
  type PgBackRestSource,
} from "../../src/providers/local/recovery/pgbackrest.js";
import type { RecoveryTarget } from "../../src/providers/types.js";
import { tempDir } from "../helpers/temp.js";
import { startPgBackRestRepo, type PgBackRestRepo } from "./pgbackrest-repo.js";

/** The source's own half (plan, layDown, listWal) against a real pgBackRest repository. */
describe("pgBackRest source", () => {
  let repo: PgBackRestRepo;
  let first: string;
  let second: string;
  const signal = new AbortController().signal;

  const source = (o: Partial<PgBackRestSource> = {}, target: RecoveryTarget = { kind: "latest" }) =>
    pgbackrestSource({
      kind: "pgbackrest",
      stanza: repo.stanza,
      config: { repoPath: repo.repo },
      set: "latest",
      superuser: "postgres",
      database: "postgres",
      target,
      ...o,
    });

  beforeAll(async () => {
    repo = await startPgBackRestRepo();
    // A tablespace outside production's data folder: the restore must map it into the run folder.
    const as = await serverUser();
    const ts = path.join(repo.dir, "ts");
    await fs.mkdir(ts, { mode: 0o700 });
    if (as) await fs.chown(ts, as.uid, as.gid);
    await repo.sql(`create tablespace ts location '${ts}'`);
    await repo.sql("create table t (id int) tablespace ts");
    first = await repo.backup("full");
    await repo.sql("insert into t values (1)");
    second = await repo.backup("incr");
    await repo.switchWal();
  });
  afterAll(async () => {
    await repo?.stop();
  });

  it("plans the newest set with its times, version and the archive's WAL range", async () => {
    const plan = await source().plan(signal);
    expect(plan.set).toMatchObject({ id: second, postgresMajor: 15 });
    expect(Date.parse(plan.set.stoppedAt!)).toBeGreaterThanOrEqual(Date.parse(plan.set.startedAt!));
    expect(plan.set.startSegment).toMatch(/^[0-9A-F]{24}$/);
    expect(plan.wal.first).toBe("000000010000000000000001");
    expect(plan.wal.last! >= plan.set.stopSegment!).toBe(true);
    expect(plan.wal.segments).toBeGreaterThanOrEqual(4);
    expect(plan.description).toContain(`set ${second} (incr, finished `);
  });

  it("plans a set by label, and picks the newest set before a time target", async () => {
    expect((await source({ set: first }).plan(signal)).set.id).toBe(first);
    const firstStop = (await source({ set: first }).plan(signal)).set.stoppedAt!;
    const secondStop = (await source().plan(signal)).set.stoppedAt!;
    expect(Date.parse(secondStop)).toBeGreaterThan(Date.parse(firstStop));
    // The incremental set finished after this time, so replay must start from the full one.
    const atFirst = { kind: "time", time: new Date(firstStop) } as const;
    expect((await source({}, atFirst).plan(signal)).set.id).toBe(first);
  });

  it("reads the repository from a pgbackrest.conf too", async () => {
    const plan = await source({ config: { file: repo.config } }).plan(signal);
    expect(plan.set.id).toBe(second);
    expect(plan.details).toMatchObject({ repository: repo.config, stanza: "main" });
  });

  it("refuses an unknown label, a misspelt stanza and a target before every backup (exit 2)", async () => {
    await expect(source({ set: "20200101-000000F" }).plan(signal)).rejects.toMatchObject({
      exitCode: 2,
      code: "PGBACKREST_SET_UNKNOWN",
      message: expect.stringContaining(`known: latest, ${first}, ${second}`),
    });
    await expect(source({ stanza: "mian" }).plan(signal)).rejects.toMatchObject({
      exitCode: 2,
      code: "PGBACKREST_STANZA_UNKNOWN",
      message: expect.stringContaining("known: main"),
    });
    await expect(
      source({}, { kind: "time", time: new Date("2001-01-01T00:00:00Z") }).plan(signal),
    ).rejects.toMatchObject({ exitCode: 2, code: "PGBACKREST_TARGET_BEFORE_BACKUPS" });
  });

  it("says which package to install when pgbackrest is missing (exit 3)", async () => {
    const empty = await tempDir("no-tools");
    const missing = pgbackrestSource(
      {
        kind: "pgbackrest",
        stanza: "main",
        config: { repoPath: repo.repo },
        set: "latest",
        superuser: "postgres",
        database: "postgres",
        target: { kind: "latest" },
      },
      { searchPath: empty },
    );
    await expect(missing.plan(signal)).rejects.toMatchObject({
      exitCode: 3,
      code: "PGBACKREST_MISSING",
      hint: expect.stringContaining("apt-get install pgbackrest"),
    });
  });

  it("reports a repository it cannot read and a failed restore in one line (exit 3)", async () => {
    const closed = await tempDir("pgbr-closed");
    await expect(source({ config: { repoPath: closed } }).plan(signal)).rejects.toMatchObject({
      exitCode: 3,
      code: "PGBACKREST_REPO_FAILED",
      message: expect.stringContaining("Permission denied"),
    });
    const as = await serverUser();
    const dir = await tempDir("pgbr-busy", { walkable: true });
    const dataDir = path.join(dir, "data");
    await fs.mkdir(dataDir, { mode: 0o700 });
    await fs.writeFile(path.join(dataDir, "postmaster.pid"), "1\n");
    if (as) await chownTree(dir, as);
    const src = source();
    const failed: unknown = await src
      .layDown(await src.plan(signal), {
        dataDir,
        spoolDir: dir,
        as,
        target: { kind: "latest" },
        signal,
        progress: () => {},
      })
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({ exitCode: 3, code: "PGBACKREST_FAILED" });
    const message = (failed as Error).message;
    expect(message).toMatch(/^pgbackrest restore failed for .*postmaster/);
    expect(message).not.toContain("\n");
  });

  it("lists the archive's segments", async () => {
    const names = await source().listWal(signal);
    const plan = await source().plan(signal);
    expect(names).toContain(plan.set.stopSegment);
    expect(names).toEqual([...names].sort());
    expect(names.length).toBe(plan.wal.segments);
  });

  it("lays a set down as the server user and fetches WAL with the command it gives", async () => {
    const as = await serverUser();
    const run0 = await tempDir("pgbr-lay", { walkable: true });
    const dataDir = path.join(run0, "data");
    const spoolDir = path.join(run0, "spool");
    for (const d of [dataDir, spoolDir]) {
      await fs.mkdir(d, { mode: 0o700 });
      if (as) await fs.chown(d, as.uid, as.gid);
    }
    // Production's own pgbackrest.conf, which says archive-async with its spool in work/.
    const src = source({ set: first, config: { file: repo.config } });
    const plan = await src.plan(signal);
    const progress: string[] = [];
    const laid = await src.layDown(plan, {
      dataDir,
      spoolDir,
      as,
      target: { kind: "latest" },
      signal,
      progress: (m) => progress.push(m),
    });
    expect(await fs.readFile(path.join(dataDir, "PG_VERSION"), "utf8")).toBe("15\n");
    const st = await fs.stat(path.join(dataDir, "backup_label"));
    if (as) expect(st.uid).toBe(as.uid);
    expect(progress[0]).toContain(`restoring pgBackRest set ${first}`);
    expect(laid.details).toMatchObject({ set: first, version: "2.45" });
    expect(laid.env).toBeUndefined();
    const links = await fs.readdir(path.join(dataDir, "pg_tblspc"));
    expect(links).toHaveLength(1);
    const target = await fs.readlink(path.join(dataDir, "pg_tblspc", links[0]!));
    expect(target).toBe(path.join(spoolDir, "tablespaces", "ts"));
    expect((await fs.readdir(target)).some((n) => n.startsWith("PG_15_"))).toBe(true);

    const fetch = (name: string) =>
      laid.fetchWal.replace("%f", name).replace("%p", path.join(spoolDir, "got"));
    await run("/bin/sh", ["-c", fetch(plan.set.stopSegment!)], { as });
    expect((await fs.stat(path.join(spoolDir, "got"))).size).toBe(16 * 1024 * 1024);
    await expect(
      run("/bin/sh", ["-c", fetch("0000000100000000000000FF")], { as }),
    ).rejects.toThrow();
    // Synchronous: nothing queued in production's spool for the copy.
    await expect(fs.stat(path.join(repo.dir, "work", "archive", "main", "in"))).rejects.toThrow();
  });
});
