import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { RecoveryTarget } from "../../src/providers/types.js";
import { fetchWal, sandboxSource } from "../../src/providers/local/recovery/sandbox-source.js";
import { Snapshots, type SnapshotMeta } from "../../src/providers/local/snapshots.js";
import { tempDir } from "../helpers/temp.js";

const sh = promisify(execFile);
const NOW = Date.parse("2026-12-02T12:00:00Z");
const seg = (n: number) => `0000000100000000${n.toString(16).toUpperCase().padStart(8, "0")}`;

/**
 * Which snapshot a point-in-time restore of the sandbox starts from, on snapshot folders and a
 * WAL archive as the sandbox writes them (no server: the replay itself is test/local/pitr.test.ts).
 */
describe("sandbox source: choosing the snapshot", () => {
  let snapshots: Snapshots;
  let archiveDir: string;

  const snap = async (id: string, takenAt: string, start: number, stop: number) => {
    const meta: SnapshotMeta = {
      id,
      takenAt,
      size: 1 << 20,
      postgresVersion: "15.10",
      startWal: seg(start),
      stopWal: seg(stop),
      startLsn: `0/${start.toString(16)}000028`,
      stopLsn: `0/${stop.toString(16)}000100`,
      durationMs: 100,
    };
    await mkdir(join(snapshots.dir, id), { recursive: true });
    await writeFile(join(snapshots.dir, id, "meta.json"), JSON.stringify(meta));
  };

  beforeAll(async () => {
    const dir = await tempDir("sandbox-source");
    snapshots = new Snapshots(join(dir, "snapshots"));
    archiveDir = join(dir, "wal-archive");
    // The oldest predates archiving: the archive begins after its end.
    await snap("snap-legacy", "2026-12-02T08:00:00Z", 1, 1);
    await snap("snap-a", "2026-12-02T09:00:00Z", 2, 2);
    await snap("snap-b", "2026-12-02T11:00:00Z", 4, 4);
    await mkdir(archiveDir);
    for (let n = 2; n <= 6; n++) await writeFile(join(archiveDir, seg(n)), `segment ${n}`);
  });

  const plan = (target: RecoveryTarget, snapshot?: string) =>
    sandboxSource({ snapshots, archiveDir, target, now: () => NOW, snapshot }).plan(
      new AbortController().signal,
    );
  const at = (iso: string): RecoveryTarget => ({ kind: "time", time: new Date(iso) });

  it("takes the newest snapshot taken before a time target, with the archive's range", async () => {
    expect((await plan(at("2026-12-02T10:00:00Z"))).set.id).toBe("snap-a");
    const p = await plan(at("2026-12-02T11:30:00Z"));
    expect(p.set).toMatchObject({ id: "snap-b", startSegment: seg(4), postgresMajor: 15 });
    expect(p.wal).toMatchObject({ first: seg(2), last: seg(6), segments: 5 });
    expect(p.description).toBe(
      `sandbox snapshot snap-b (taken 60m ago, 1 MB) + archived WAL ${seg(2)} to ${seg(6)}`,
    );
  });

  it("takes the newest for latest and a restore point, and by stop position for an LSN", async () => {
    expect((await plan({ kind: "latest" })).set.id).toBe("snap-b");
    expect((await plan({ kind: "name", name: "before-migration" })).set.id).toBe("snap-b");
    expect((await plan({ kind: "lsn", lsn: "0/3000000" })).set.id).toBe("snap-a");
    expect((await plan({ kind: "lsn", lsn: "0/4000100" })).set.id).toBe("snap-b");
  });

  it("refuses a target before the oldest snapshot WAL replays from, naming its time (exit 2)", async () => {
    const e = await plan(at("2026-12-02T08:30:00Z")).catch((x: unknown) => x);
    expect(e).toMatchObject({ exitCode: 2, code: "TARGET_BEFORE_OLDEST_SNAPSHOT" });
    expect((e as Error).message).toBe(
      "target time 2026-12-02T08:30:00.000Z is before the oldest snapshot, snap-a taken at 2026-12-02T09:00:00Z: the sandbox restores to a time from then on",
    );
    await expect(plan(at("2026-12-02T12:00:01Z"))).rejects.toMatchObject({
      code: "TARGET_IN_FUTURE",
    });
  });

  it("checks a named snapshot against the target and the archive", async () => {
    expect((await plan(at("2026-12-02T11:30:00Z"), "snap-a")).set.id).toBe("snap-a");
    await expect(plan(at("2026-12-02T10:00:00Z"), "snap-b")).rejects.toMatchObject({
      exitCode: 2,
      code: "SNAPSHOT_AFTER_TARGET",
    });
    await expect(plan({ kind: "latest" }, "snap-legacy")).rejects.toMatchObject({
      exitCode: 2,
      code: "SNAPSHOT_NOT_ARCHIVED",
    });
    await expect(plan({ kind: "latest" }, "snap-nope")).rejects.toMatchObject({
      exitCode: 2,
      code: "UNKNOWN_SNAPSHOT",
    });
  });

  it("fetches WAL with a restore_command that survives quotes and % in the folder name", async () => {
    const dir = await tempDir("fetch-wal");
    const folder = join(dir, "it's 100% wal");
    await mkdir(folder);
    await writeFile(join(folder, seg(9)), "nine");
    const source = sandboxSource({ snapshots, archiveDir, target: { kind: "latest" } });
    expect(await source.listWal(new AbortController().signal)).toEqual([2, 3, 4, 5, 6].map(seg));
    // As PostgreSQL expands it: %f, %p, then %% → %.
    const run = (f: string) =>
      sh("/bin/sh", [
        "-c",
        fetchWal(folder)
          .replace(/%f/g, f)
          .replace(/%p/g, join(dir, "RECOVERYXLOG"))
          .replace(/%%/g, "%"),
      ]).then(
        () => 0,
        (e: { code: number }) => e.code,
      );
    expect(await run(seg(9))).toBe(0);
    expect(await readFile(join(dir, "RECOVERYXLOG"), "utf8")).toBe("nine");
    expect(await run(seg(10))).not.toBe(0);
  });
});
