import { promises as fs } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { findServerBinaries } from "../../src/providers/local/binaries.js";
import { COPY_SETTINGS, Cluster } from "../../src/providers/local/cluster.js";
import { serverUser } from "../../src/providers/local/os-user.js";
import { startTestCluster } from "../helpers/cluster.js";
import { processesNaming } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";

const running = (dir: string) => processesNaming(dir).length > 0;

describe("startTestCluster", () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const s of stops) await s();
  });

  it("starts a throwaway cluster that takes password logins and stops cleanly", async () => {
    const c = await startTestCluster();
    stops.push(c.stop);
    const v = await withSession(
      c.connection,
      async (db) =>
        (await db.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v,
    );
    expect(v).toMatch(/^15\./);
    await expect(
      withSession({ ...c.connection, password: "wrong" }, async (db) => db.query("select 1")),
    ).rejects.toThrow(/password authentication failed/);
    expect(running(c.dir)).toBe(true);
    await c.stop();
    expect(running(c.dir)).toBe(false);
  });

  it("moves to another port when the one it wanted is taken, and reports start failures with the log", async () => {
    const root = await tempDir("cluster", { walkable: true });
    const cluster = new Cluster(
      await findServerBinaries("embedded"),
      path.join(root, "c", "data"),
      path.join(root, "c", "postgres.log"),
      await serverUser(),
    );
    stops.push(async () => {
      await cluster.stop("immediate");
      await fs.rm(root, { recursive: true, force: true });
    });
    await cluster.init("pw-not-in-logs");
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const port = await cluster.start({ preferredPort: taken });
      expect(port).not.toBe(taken);
      expect(await cluster.isRunning()).toBe(true);
    } finally {
      blocker.close();
    }
    await cluster.stop("fast");
    expect(await cluster.isRunning()).toBe(false);

    await fs.appendFile(path.join(cluster.dataDir, "postgresql.conf"), "shared_buffers = lots\n");
    const e = await cluster.start().catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: "POSTGRES_START_FAILED",
      exitCode: 3,
      message: expect.stringContaining("shared_buffers"),
    });
    expect(String((e as Error).message)).not.toContain("pw-not-in-logs");
    expect(running(cluster.dataDir)).toBe(false);
  });
});

describe("a restored copy's server settings", () => {
  it("never archives into the backup's archive nor starts its subscriptions' workers, whatever its config says", async () => {
    const root = await tempDir("copy-settings", { walkable: true });
    const marker = path.join(root, "archived");
    const bins = await findServerBinaries("embedded");
    const as = await serverUser();
    const dataDir = path.join(root, "c", "data");
    const logFile = path.join(root, "c", "postgres.log");
    await new Cluster(bins, dataDir, logFile, as).init("pw");
    // What a production backup may carry: archiving into its own archive (here a marker file).
    await fs.appendFile(
      path.join(dataDir, "postgresql.auto.conf"),
      `archive_mode = on\narchive_command = 'touch ${marker}'\nmax_logical_replication_workers = 4\n`,
    );
    await fs.chmod(root, 0o777); // the server user writes the marker
    const settings = async (cluster: Cluster) => {
      await cluster.start();
      try {
        return await withSession(cluster.connection("pw"), async (db) => {
          await db.query("select pg_switch_wal()");
          await db.query("checkpoint");
          const { rows } = await db.query<{ a: string; w: string }>(
            "select current_setting('archive_mode') a, current_setting('max_logical_replication_workers') w",
          );
          return rows[0];
        });
      } finally {
        await cluster.stop("fast");
      }
    };
    try {
      expect(await settings(new Cluster(bins, dataDir, logFile, as, COPY_SETTINGS))).toEqual({
        a: "off",
        w: "0",
      });
      await expect(fs.stat(marker)).rejects.toThrow(/ENOENT/);
      // Control: the same data folder without the copy's settings archives.
      expect(await settings(new Cluster(bins, dataDir, logFile, as))).toEqual({ a: "on", w: "4" });
      await expect
        .poll(() =>
          fs.stat(marker).then(
            () => true,
            () => false,
          ),
        )
        .toBe(true);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
