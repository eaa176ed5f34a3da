import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, serverUser } from "../../src/providers/local/os-user.js";
import { barmanSource } from "../../src/providers/local/recovery/barman.js";
import type { BarmanSourceOptions } from "../../src/providers/local/recovery/barman.js";
import { processesNaming } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";
import { startBarmanServer, type BarmanServer } from "./barman-server.js";

// The plan, lay-down and WAL listing of a Barman source against a real Barman 3.4 server.
let server: BarmanServer;
beforeAll(async () => {
  server = await startBarmanServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
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
    const plan = await barmanSource(source()).plan(signal);
    expect(plan.set).toMatchObject({ id: server.backupId, postgresMajor: 15 });
    expect(Date.parse(plan.set.stoppedAt!)).toBeLessThanOrEqual(server.between.getTime());
    expect(plan.set.startSegment! <= plan.set.stopSegment!).toBe(true);
    // The archive goes past the backup: B's segment was switched and archived after it.
    expect(plan.wal.first! <= plan.set.startSegment!).toBe(true);
    expect(plan.wal.last! > plan.set.stopSegment!).toBe(true);
    expect(plan.description).toContain(`backup ${server.backupId}`);
    expect(plan.description).toContain(`WAL ${plan.wal.first} to ${plan.wal.last}`);
    const byId = await barmanSource(source({ backup: server.backupId })).plan(signal);
    expect(byId.set.id).toBe(server.backupId);
  });

  it("refuses an unknown backup id with exit 2, naming the known ones", async () => {
    await expect(
      barmanSource(source({ backup: "20200101T000000" })).plan(signal),
    ).rejects.toMatchObject({
      exitCode: 2,
      code: "BARMAN_BACKUP_UNKNOWN",
      message: `barman.backup: unknown backup "20200101T000000" (known: latest, ${server.backupId})`,
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
    const plan = await barmanSource(source()).plan(signal);
    expect(names).toContain(plan.set.stopSegment);
    expect(names.at(-1)).toBe(plan.wal.last);
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
    const src = barmanSource(source());
    const plan = await src.plan(signal);
    const laid = await src.layDown(plan, {
      dataDir,
      spoolDir,
      as,
      target: { kind: "latest" },
      signal,
      progress: () => undefined,
    });
    expect((await fs.readFile(path.join(dataDir, "PG_VERSION"), "utf8")).trim()).toBe("15");
    expect(await fs.readFile(path.join(dataDir, "backup_label"), "utf8")).toContain("START WAL");
    const st = await fs.stat(path.join(dataDir, "base"));
    if (as) expect(st.uid).toBe(as.uid);
    // The run's folders are private again and Barman's staging folder is gone.
    for (const d of [runDir, spoolDir, dataDir]) {
      expect((await fs.stat(d)).mode & 0o777).toBe(0o700);
    }
    expect(await fs.readdir(spoolDir)).toEqual(["wal"]);
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
