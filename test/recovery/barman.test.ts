import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookupUser, run, serverUser } from "../../src/providers/local/os-user.js";
import { barmanSource } from "../../src/providers/local/recovery/barman.js";
import type { BarmanSourceOptions } from "../../src/providers/local/recovery/barman.js";
import type { BackupPlan } from "../../src/providers/local/recovery/types.js";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import type { RestoredCopy } from "../../src/providers/types.js";
import { processesNaming } from "../helpers/processes.js";
import { makeProject } from "../helpers/project.js";
import { localEnv } from "../local/util.js";
import { tempDir } from "../helpers/temp.js";
import { startBarmanServer, type BarmanServer } from "./barman-server.js";

// The plan, lay-down and WAL listing of a Barman source against a real Barman 3.4 server.
let server: BarmanServer;
// Every barman command starts Python (0.4 s of CPU, seconds on a busy machine): one plan is shared.
let latest: BackupPlan;
beforeAll(async () => {
  server = await startBarmanServer();
  latest = await barmanSource(source()).plan(signal);
}, 120_000);
afterAll(async () => {
  if (!server) return;
  await server.stop();
  // receive-wal and its pg_receivewal name the barman.conf: nothing may outlive the file.
  expect(processesNaming(server.config)).toEqual([]);
});

const signal = new AbortController().signal;
const source = (o: Partial<BarmanSourceOptions> = {}): BarmanSourceOptions => ({
  kind: "barman",
  server: server.server,
  config: server.config,
  backup: "latest",
  superuser: "postgres",
  database: "postgres",
  target: { kind: "latest" },
  ...o,
});

describe("barman plan", () => {
  it("shows the chosen backup, when it ended and the archive's WAL range", async () => {
    const plan = latest;
    const second = server.backupIds[1];
    expect(plan.set).toMatchObject({ id: second, postgresMajor: 15 });
    expect(plan.set.startSegment! <= plan.set.stopSegment!).toBe(true);
    // The archive goes past the newest backup: C's segment was switched and archived after it.
    expect(plan.wal.first! <= plan.set.startSegment!).toBe(true);
    expect(plan.wal.last! > plan.set.stopSegment!).toBe(true);
    expect(plan.description).toContain(`backup ${second}`);
    expect(plan.description).toContain(`WAL ${plan.wal.first} to ${plan.wal.last}`);
  });

  it("takes the newest backup that ended before a time target", async () => {
    const [first] = server.backupIds;
    const plan = await barmanSource(
      source({ target: { kind: "time", time: server.between } }),
    ).plan(signal);
    expect(plan.set.id).toBe(first);
    expect(Date.parse(plan.set.stoppedAt!)).toBeLessThanOrEqual(server.between.getTime());
  });

  it("refuses a target before every backup, or a backup after its target (exit 2)", async () => {
    const early = { kind: "time" as const, time: new Date("2001-01-01T00:00:00Z") };
    await expect(barmanSource(source({ target: early })).plan(signal)).rejects.toMatchObject({
      exitCode: 2,
      code: "BARMAN_TARGET_BEFORE_BACKUPS",
    });
    const late = source({
      backup: server.backupIds[1],
      target: { kind: "time", time: server.between },
    });
    await expect(barmanSource(late).plan(signal)).rejects.toMatchObject({
      exitCode: 2,
      code: "BARMAN_BACKUP_AFTER_TARGET",
    });
  });

  it("refuses an unknown backup id with exit 2, naming the known ones", async () => {
    await expect(
      barmanSource(source({ backup: "20200101T000000" })).plan(signal),
    ).rejects.toMatchObject({
      exitCode: 2,
      code: "BARMAN_BACKUP_UNKNOWN",
      message: `barman.backup: unknown backup "20200101T000000" (known: latest, ${server.backupIds.join(", ")})`,
    });
  });

  it("refuses an unknown server with exit 2", async () => {
    await expect(barmanSource(source({ server: "nope" })).plan(signal)).rejects.toMatchObject({
      exitCode: 2,
      code: "BARMAN_SERVER_UNKNOWN",
    });
  });

  it("says how to install barman when it is missing (exit 3)", async () => {
    const missing = barmanSource(source(), { barman: "/nonexistent/barman" });
    await expect(missing.plan(signal)).rejects.toMatchObject({
      exitCode: 3,
      code: "BARMAN_MISSING",
      hint: expect.stringContaining("apt-get install barman"),
    });
  });

  it("lists the archive's segments", async () => {
    const names = await barmanSource(source()).listWal(signal);
    expect(names).toContain(latest.set.stopSegment);
    expect(names.at(-1)).toBe(latest.wal.last);
  });
});

describe("barman lay-down", () => {
  it("lays the backup into the data folder, owned by the server user, and serves its WAL", async () => {
    const as = await serverUser();
    // A run folder as the local provider makes it: 0700, the server user's.
    const runDir = path.join(await tempDir("barman-run", { walkable: true }), "run");
    const dataDir = path.join(runDir, "data");
    const spoolDir = path.join(runDir, "spool");
    for (const d of [runDir, dataDir, spoolDir]) {
      await fs.mkdir(d, { mode: 0o700 });
      if (as) await fs.chown(d, as.uid, as.gid);
    }
    const plan = latest;
    const laid = await barmanSource(source()).layDown(plan, {
      dataDir,
      spoolDir,
      as,
      target: { kind: "latest" },
      signal,
      progress: () => undefined,
    });
    // Barman writes as its own user: nothing of its may be in production's tablespace.
    const barmanUser = await lookupUser("barman");
    for (const f of await fs.readdir(server.tablespace, { recursive: true })) {
      expect((await fs.lstat(path.join(server.tablespace, f))).uid).not.toBe(barmanUser?.uid);
    }
    expect((await fs.readFile(path.join(dataDir, "PG_VERSION"), "utf8")).trim()).toBe("15");
    expect(await fs.readFile(path.join(dataDir, "backup_label"), "utf8")).toContain("START WAL");
    const st = await fs.stat(path.join(dataDir, "base"));
    if (as) expect(st.uid).toBe(as.uid);
    // The run's folders are private again and Barman's staging folder is gone.
    for (const d of [runDir, spoolDir, dataDir]) {
      expect((await fs.stat(d)).mode & 0o777).toBe(0o700);
    }
    expect((await fs.readdir(spoolDir)).sort()).toEqual(["fetch-wal-barman", "tablespaces", "wal"]);
    // The tablespace came along inside the run folder; its original location was left alone.
    const [oid] = await fs.readdir(path.join(dataDir, "pg_tblspc"));
    const link = await fs.readlink(path.join(dataDir, "pg_tblspc", oid!));
    expect(link).toBe(path.join(spoolDir, "tablespaces", oid!));
    expect(await fs.readdir(link)).toEqual([expect.stringMatching(/^PG_15_/)]);
    if (as) expect((await fs.stat(link)).uid).toBe(as.uid);

    expect(await fs.readdir(path.join(dataDir, "pg_wal"))).toEqual(["archive_status"]);
    expect(laid.details.walSegments).toBeGreaterThanOrEqual(2);

    // fetchWal as PostgreSQL runs it: as the server user, from the data folder, %f and %p filled.
    const fetch = (name: string) =>
      run(
        "/bin/sh",
        ["-c", laid.fetchWal.replaceAll("%f", name).replaceAll("%p", "pg_wal/RECOVERYXLOG")],
        {
          as,
          cwd: dataDir,
        },
      );
    await fetch(plan.wal.last!);
    expect((await fs.stat(path.join(dataDir, "pg_wal", "RECOVERYXLOG"))).size).toBe(
      16 * 1024 * 1024,
    );
    await expect(fetch("0000000100000000000000FF")).rejects.toThrow();
  });
});

describe("barman restore (recovery end to end)", () => {
  let provider: LocalProvider;
  const copies: RestoredCopy[] = [];
  let n = 0;
  beforeAll(async () => {
    provider = new LocalProvider({ root: await makeProject({}), environment: localEnv() });
  });
  afterAll(async () => {
    for (const c of copies) await c.dispose();
  });

  const restore = async (o: Partial<BarmanSourceOptions>) => {
    const plan = await provider.planRestore(source(o));
    let dispose: (() => Promise<void>) | undefined;
    try {
      const copy = await provider.restore(plan, {
        runId: `barman-${process.pid}-${n++}`,
        signal,
        progress: () => undefined,
        onCreated: (d) => (dispose = d),
      });
      copies.push(copy);
      const marks = await withSession(copy.connection, async (db) =>
        (await db.query<{ name: string }>("select name from marks order by 1")).rows.map(
          (r) => r.name,
        ),
      );
      return { plan, copy, marks };
    } catch (e) {
      await dispose?.();
      throw e;
    }
  };

  it("restores to T from the backup before it: A and not B, RPO as expected", async () => {
    const { plan, copy, marks } = await restore({
      target: { kind: "time", time: server.between },
    });
    expect(plan.source).toMatchObject({ kind: "barman", id: server.backupIds[0] });
    expect(plan.description).toMatch(/Barman server pg, backup \S+ \(ended .* ago.*\) \+ WAL/);
    expect(marks).toEqual(["A"]);
    const rec = copy.details.recovery as Record<string, unknown>;
    expect(rec.lastReplayedCommit).toBe(server.commitA.toISOString());
    const expected = server.between.getTime() - server.commitA.getTime();
    expect(Math.abs((rec.reachedRpoMs as number) - expected)).toBeLessThan(1000);
  }, 120_000);

  it("restores to latest: A, B and C (C only in WAL after the newest backup)", async () => {
    const { plan, marks } = await restore({});
    expect(plan.source.id).toBe(server.backupIds[1]);
    expect(marks).toEqual(["A", "B", "C"]);
  }, 120_000);

  it("restores a backup by id and replays everything after it", async () => {
    const { plan, marks } = await restore({ backup: server.backupIds[0] });
    expect(plan.source.id).toBe(server.backupIds[0]);
    expect(marks).toEqual(["A", "B", "C"]);
  }, 120_000);
});
