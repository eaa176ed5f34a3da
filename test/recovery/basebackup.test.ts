import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { DrillError } from "../../src/errors.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import type { RecoveryTarget, RestoredCopy } from "../../src/providers/types.js";
import { makeProject, runCli } from "../helpers/project.js";
import { processesNaming } from "../helpers/processes.js";
import { removeTempDirs } from "../helpers/temp.js";
import { localEnv } from "../local/util.js";
import { makeBaseBackupFixture, walWithout, type BaseBackupFixture } from "./fixture.js";

/** pg_basebackup -Ft + archive folder, restored through the local provider to each target. */
describe("restore from pg_basebackup + WAL", () => {
  let f: BaseBackupFixture;
  let provider: LocalProvider;
  const copies: RestoredCopy[] = [];
  let n = 0;

  beforeAll(async () => {
    f = await makeBaseBackupFixture();
    const root = await makeProject({});
    provider = new LocalProvider({ root, environment: localEnv() });
  }, 60_000);

  afterAll(async () => {
    for (const c of copies) await c.dispose();
    await f?.source.stop();
    await removeTempDirs();
  });

  const restore = async (target: RecoveryTarget, wal = f.wal, superuser = "postgres") => {
    const plan = await provider.planRestore({
      kind: "basebackup",
      base: f.base,
      wal,
      superuser,
      database: "postgres",
      target,
    });
    const progress: string[] = [];
    let dispose: (() => Promise<void>) | undefined;
    try {
      const copy = await provider.restore(plan, {
        runId: `rec-${process.pid}-${n++}`,
        signal: new AbortController().signal,
        progress: (m) => progress.push(m),
        onCreated: (d) => (dispose = d),
      });
      copies.push(copy);
      return { plan, copy, progress };
    } catch (e) {
      await dispose?.();
      throw e;
    }
  };
  const tags = (copy: RestoredCopy) =>
    withSession(copy.connection, async (db) =>
      (await db.query<{ tag: string }>("select distinct tag from t order by 1")).rows.map(
        (r) => r.tag,
      ),
    );

  it("replays to a time: A present, B absent, reached RPO = T − A's commit", async () => {
    const { plan, copy, progress } = await restore({ kind: "time", time: f.t }, f.wal, "boss");
    expect(plan.description).toContain("pg_basebackup base.tar");
    expect(await tags(copy)).toEqual(["A"]);
    const rec = copy.details.recovery as Record<string, unknown>;
    expect(rec.lastReplayedCommit).toBe(f.commitA.toISOString());
    expect(
      Math.abs((rec.reachedRpoMs as number) - (f.t.getTime() - f.commitA.getTime())),
    ).toBeLessThan(1000);
    expect(rec.segmentsReplayed).toBeGreaterThanOrEqual(2);
    expect(copy.source).toMatchObject({ kind: "basebackup", takenAt: f.t.toISOString() });
    expect(progress.some((p) => p.startsWith("replaying WAL: segment"))).toBe(true);
    // The copy is handed over: its connection is the working role, not the backup's superuser.
    expect(copy.connection.user).toBe("drill_owner");
    expect(copy.admin?.user).toBe("boss");
    const owner = await withSession(copy.admin!, async (db) => {
      const { rows } = await db.query<{ o: string }>(
        "select tableowner as o from pg_tables where tablename = 't'",
      );
      return rows[0]?.o;
    });
    expect(owner).toBe("drill_owner");
  }, 60_000);

  it("a superuser the backup does not have is one exit-2 line", async () => {
    const err = await restore({ kind: "latest" }, f.wal, "nobody").catch((e: unknown) => e);
    expect((err as DrillError).exitCode).toBe(2);
    expect((err as DrillError).message).toBe(
      "the backup has no role nobody: name its superuser with superuser:",
    );
  }, 60_000);

  it("replays to latest: A and B", async () => {
    const { copy } = await restore({ kind: "latest" });
    expect(await tags(copy)).toEqual(["A", "B"]);
    const rec = copy.details.recovery as Record<string, unknown>;
    expect(rec.timeline).toBe(2);
    expect(rec.settingsDropped).toEqual(["work_mem"]);
    // Production's archive_command came with the backup; the copy's new timeline never reaches
    // production's archive.
    expect(existsSync(path.join(f.wal, "00000002.history"))).toBe(false);
  }, 60_000);

  it("replays to a restore point: A only, no reached RPO", async () => {
    const { copy } = await restore({ kind: "name", name: "before-b" });
    expect(await tags(copy)).toEqual(["A"]);
    expect((copy.details.recovery as Record<string, unknown>).reachedRpoMs).toBeNull();
  }, 60_000);

  it("replays to an LSN: A only, the replay ends at or past it, no reached RPO", async () => {
    const { copy } = await restore({ kind: "lsn", lsn: f.lsnA });
    expect(await tags(copy)).toEqual(["A"]);
    const rec = copy.details.recovery as Record<string, unknown>;
    expect(rec.reachedRpoMs).toBeNull();
    expect(rec.lastReplayedCommit).toBe(f.commitA.toISOString());
    const lsn = (s: string) => s.split("/").reduce((acc, h) => acc * 2 ** 32 + parseInt(h, 16), 0);
    expect(lsn(rec.lastReplayedLsn as string)).toBeGreaterThanOrEqual(lsn(f.lsnA));
  }, 60_000);

  it("a missing segment before the target fails the restore naming it", async () => {
    const gap = await walWithout(f, f.segA);
    const err = await restore({ kind: "time", time: f.t }, gap).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrillError);
    expect((err as DrillError).code).toBe("WAL_MISSING");
    expect((err as DrillError).exitCode).toBe(1);
    expect((err as DrillError).message).toContain(`first missing segment ${f.segA}`);
  }, 60_000);

  it("latest with a gap (later segments present) fails, never promotes early", async () => {
    const gap = await walWithout(f, f.segA);
    const err = await restore({ kind: "latest" }, gap).catch((e: unknown) => e);
    expect((err as DrillError).code).toBe("WAL_MISSING");
    expect((err as DrillError).message).toContain(`first missing segment ${f.segA}`);
  }, 60_000);

  it("`drill run` restores it, records the replay and measures the reached RPO; nothing left running", async () => {
    const root = await makeProject({
      "config/drill.yaml": "environments:\n  sandbox: { provider: local }\n",
      "drills/bb.yaml": [
        "name: bb",
        "environment: sandbox",
        "objectives: { rpo: 1h }",
        "steps:",
        `  - restore: { from: { basebackup: { base: ${f.base}, wal: ${f.wal} } }, target: { time: "${f.t.toISOString()}" } }`,
        "  - verify: { checks: [ { rowCount: { table: t, min: 100, max: 100 } } ] }",
        "",
      ].join("\n"),
    });
    const plan = await runCli(["plan", "bb"], { cwd: root });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("000000010000000000000002");
    const r = await runCli(["run", "bb", "--json"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const record = JSON.parse(r.stdout) as {
      steps: { kind: string; details: { recovery?: { reachedRpoMs: number } } }[];
      measurements: { rpoMs?: { value: number } };
    };
    const rec = record.steps.find((s) => s.kind === "restore")!.details.recovery!;
    expect(rec.reachedRpoMs).toBeLessThan(1000);
    expect(record.measurements.rpoMs?.value).toBe(rec.reachedRpoMs);
    expect(processesNaming(root)).toEqual([]);
  }, 90_000);
});
