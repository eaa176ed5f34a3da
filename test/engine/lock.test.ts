import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { lockFile } from "../../src/state/layout.js";
import { processStart } from "../../src/state/liveness.js";
import { acquireLock } from "../../src/state/locks.js";
import { tempDir } from "../helpers/temp.js";

const owner = (runId: string) => ({
  runId,
  drill: "quickstart",
  since: "2026-11-28T10:00:00.000Z",
});

/** The lock file of drill quickstart in a project at `root`, its folder made. */
async function file(root: string): Promise<string> {
  const f = lockFile(root, "drill-quickstart");
  await mkdir(dirname(f), { recursive: true });
  return f;
}

describe("acquireLock", () => {
  it("refuses a second holder while the first is alive, and frees on release", async () => {
    const dir = await tempDir("lock");
    const release = await acquireLock(dir, "drill-quickstart", owner("r1"), "drill quickstart");
    await expect(
      acquireLock(dir, "drill-quickstart", owner("r2"), "drill quickstart"),
    ).rejects.toMatchObject({
      code: "RUN_IN_PROGRESS",
      exitCode: 2,
      message: `drill quickstart is in use by run r1 of drill quickstart (pid ${process.pid}, since 2026-11-28T10:00:00.000Z)`,
    });
    await release();
    const again = await acquireLock(dir, "drill-quickstart", owner("r3"), "drill quickstart");
    expect(JSON.parse(await readFile(await file(dir), "utf8")).runId).toBe("r3");
    await again();
  });

  it("takes over a lock whose process has died", async () => {
    const dir = await tempDir("lock");
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    await writeFile(
      await file(dir),
      JSON.stringify({ pid: dead, host: hostname(), ...owner("crashed") }),
    );
    const release = await acquireLock(dir, "drill-quickstart", owner("r4"), "drill quickstart");
    expect(JSON.parse(await readFile(await file(dir), "utf8"))).toMatchObject({
      runId: "r4",
      pid: process.pid,
    });
    await release();
  });

  it("takes over an empty lock file left by a process killed while writing it", async () => {
    const dir = await tempDir("lock");
    await writeFile(await file(dir), "");
    const old = new Date(Date.now() - 60_000);
    await utimes(await file(dir), old, old);
    const release = await acquireLock(dir, "drill-quickstart", owner("r5"), "drill quickstart");
    expect(JSON.parse(await readFile(await file(dir), "utf8"))).toMatchObject({
      runId: "r5",
      pid: process.pid,
    });
    await release();
    expect(existsSync(await file(dir))).toBe(false);
  });

  it("records its process's start, and takes over a live pid that is another process", async () => {
    const dir = await tempDir("lock");
    const mine = await acquireLock(dir, "drill-quickstart", owner("r6"), "drill quickstart");
    const written = JSON.parse(await readFile(await file(dir), "utf8"));
    expect(written.processStart).toMatch(/^[0-9a-f-]{36}:\d+$/);
    expect(written.processStart).toBe(await processStart(process.pid));
    await mine();

    // The dead owner's pid, given by the kernel to a process that runs now: a real live process
    // whose start is not the recorded one.
    const reused = spawn("sleep", ["30"]);
    try {
      const pid = reused.pid!;
      const real = await processStart(pid);
      expect(real).toBeDefined();
      const lockOf = (processStart: string) =>
        JSON.stringify({ pid, host: hostname(), processStart, ...owner("crashed") });
      // Control: the same pid with its true start is a live holder.
      await writeFile(await file(dir), lockOf(real!));
      await expect(
        acquireLock(dir, "drill-quickstart", owner("r7"), "drill quickstart"),
      ).rejects.toMatchObject({
        code: "RUN_IN_PROGRESS",
        message: expect.stringContaining(`pid ${pid}`),
      });
      const [boot, ticks] = real!.split(":");
      await writeFile(await file(dir), lockOf(`${boot}:${Number(ticks) - 100}`));
      const release = await acquireLock(dir, "drill-quickstart", owner("r8"), "drill quickstart");
      expect(JSON.parse(await readFile(await file(dir), "utf8"))).toMatchObject({
        runId: "r8",
        pid: process.pid,
      });
      await release();

      // A lock an older drill wrote (no start recorded): a process started after the lock
      // was written is not its owner.
      await writeFile(await file(dir), JSON.stringify({ pid, host: hostname(), ...owner("old") }));
      const dayAgo = new Date(Date.now() - 86_400_000);
      await utimes(await file(dir), dayAgo, dayAgo);
      const again = await acquireLock(dir, "drill-quickstart", owner("r9"), "drill quickstart");
      expect(JSON.parse(await readFile(await file(dir), "utf8")).runId).toBe("r9");
      await again();
    } finally {
      reused.kill();
    }
  });
});
