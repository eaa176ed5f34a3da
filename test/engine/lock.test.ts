import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLock } from "../../src/engine/lock.js";
import { tempDir } from "../helpers/temp.js";

const owner = (runId: string) => ({
  runId,
  drill: "quickstart",
  since: "2026-11-28T10:00:00.000Z",
});

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
    expect(JSON.parse(await readFile(join(dir, "drill-quickstart.lock"), "utf8")).runId).toBe("r3");
    await again();
  });

  it("takes over a lock whose process has died", async () => {
    const dir = await tempDir("lock");
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    await writeFile(
      join(dir, "drill-quickstart.lock"),
      JSON.stringify({ pid: dead, host: hostname(), ...owner("crashed") }),
    );
    const release = await acquireLock(dir, "drill-quickstart", owner("r4"), "drill quickstart");
    expect(JSON.parse(await readFile(join(dir, "drill-quickstart.lock"), "utf8"))).toMatchObject({
      runId: "r4",
      pid: process.pid,
    });
    await release();
  });

  it("takes over an empty lock file left by a process killed while writing it", async () => {
    const dir = await tempDir("lock");
    await writeFile(join(dir, "drill-quickstart.lock"), "");
    const old = new Date(Date.now() - 60_000);
    await utimes(join(dir, "drill-quickstart.lock"), old, old);
    const release = await acquireLock(dir, "drill-quickstart", owner("r5"), "drill quickstart");
    expect(JSON.parse(await readFile(join(dir, "drill-quickstart.lock"), "utf8"))).toMatchObject({
      runId: "r5",
      pid: process.pid,
    });
    await release();
    expect(existsSync(join(dir, "drill-quickstart.lock"))).toBe(false);
  });
});
