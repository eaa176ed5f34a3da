import { promises as fs } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { failoverUnderProbe, type FailoverSettings } from "../../src/failover/run.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import type { FailoverPair, RestoredCopy } from "../../src/providers/types.js";
import { freePort } from "../../src/providers/local/ports.js";
import { seededRoot } from "../helpers/seeded-sandbox.js";
import { localEnv, noop, signal } from "../local/util.js";
import { processesNaming } from "../helpers/processes.js";

/**
 * Real failovers of a restored copy with a streaming standby. One copy, one pair: each test
 * fails it over again, so every test after the first also proves the repair left it healthy.
 */
describe("failover of a local pair under the write probe", () => {
  let root: string;
  let provider: LocalProvider;
  let copy: RestoredCopy;
  const undo: { label: string; fn: () => Promise<void> }[] = [];
  const io = {
    signal: signal(),
    progress: noop,
    defer: (label: string, fn: () => Promise<void>) => void undo.push({ label, fn }),
  };

  beforeAll(async () => {
    root = await seededRoot("failover");
    provider = new LocalProvider({ root, environment: localEnv() });
    await provider.prepare({ signal: signal(), progress: noop });
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    copy = await provider.restore(plan, {
      runId: "run-failover",
      signal: signal(),
      progress: noop,
      onCreated: (fn) => void undo.push({ label: "copy", fn }),
    });
  });

  afterAll(async () => {
    for (const u of undo.reverse()) await u.fn();
    await provider.release();
    expect(processesNaming(root)).toEqual([]);
    await fs.rm(root, { recursive: true, force: true });
  });

  const pairFor = (synchronous: boolean) =>
    provider.failoverPair({
      target: "staging",
      copy: { runId: "run-failover", connection: copy.connection, admin: copy.admin! },
      synchronous,
      ...io,
    });

  const settings: FailoverSettings = {
    mode: "crash",
    writesPerSecond: 50,
    lostWrites: 0,
    steadyMs: 1000,
    warmupMs: 500,
  };

  let pair: FailoverPair;

  it("async crash: no acknowledged write lost, downtime measured and recorded", async () => {
    pair = await pairFor(false);
    expect(pair.details).toMatchObject({ standbyBuilt: true, synchronous: false });
    const before = pair.primary().port;
    const out = await failoverUnderProbe(pair, settings, io);
    // Findings first: when this fails, the message says why (lost writes, or downtime).
    expect(out.findings).toEqual([]);
    expect(out.outcome).toBe("passed");
    expect(out.report.lostWrites).toBe(0);
    expect(out.report.downtimeMs).toBeGreaterThan(0);
    expect(out.report.resolutionMs).toBe(20);
    expect(out.report.nodes).toEqual([`127.0.0.1:${before}`, `127.0.0.1:${pair.primary().port}`]);
    expect(out.promoteMs).toBeGreaterThan(0);
    expect(out.details).toMatchObject({ mode: "crash", repair: { method: "base backup" } });
    expect(JSON.stringify(out.details)).not.toContain(copy.connection.password!);
    // The probe table is gone from the new primary.
    const left = await withSession(
      pair.primary(),
      async (db) =>
        (await db.query("select tablename from pg_tables where tablename like 'drill_failover%'"))
          .rows,
    );
    expect(left).toEqual([]);
  });

  it("the repaired pair fails over again (switchover): 0 lost", async () => {
    const state = await pair.replication();
    expect(state.state).toBe("streaming (async)");
    const out = await failoverUnderProbe(pair, { ...settings, mode: "switchover" }, io);
    expect(out.outcome).toBe("passed");
    expect(out.report.lostWrites).toBe(0);
  });

  it("forced loss: replication cut before the crash loses acknowledged writes and fails", async () => {
    const primaryPort = pair.primary().port;
    const standby = pair.nodes().find((n) => n.port !== primaryPort)!;
    const dead = await freePort();
    const cut = async () => {
      // The standby streams from a port nobody listens on: the primary keeps acknowledging alone.
      const superuser = { ...copy.admin!, port: standby.port, database: "postgres" };
      await withSession(superuser, async (db) => {
        await db.query(`alter system set primary_conninfo = 'host=127.0.0.1 port=${dead}'`);
        await db.query("select pg_reload_conf()");
      });
      for (let i = 0; i < 100 && (await pair.replication()).state !== null; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect((await pair.replication()).state).toBeNull();
      await new Promise((r) => setTimeout(r, 500));
    };
    const out = await failoverUnderProbe(pair, settings, { ...io, beforeTrigger: cut });
    expect(out.report.lostWrites).toBeGreaterThanOrEqual(10);
    expect(out.report.lostIds.length).toBe(Math.min(20, out.report.lostWrites));
    expect(out.outcome).toBe("failed");
    expect(out.findings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${out.report.lostWrites} acknowledged writes lost \\(ids \\d+, .*\\), expected at most 0$`,
        ),
      ),
    ]);
    // Repaired anyway: the next test fails the same pair over.
    expect((await pair.replication()).state).toBe("streaming (async)");
  });

  it("synchronous: no acknowledged write lost, even in a crash", async () => {
    const sync = await pairFor(true);
    expect((await sync.replication()).state).toBe("streaming (sync)");
    const out = await failoverUnderProbe(sync, settings, io);
    expect(out.report.lostWrites).toBe(0);
    expect(out.report.acknowledged).toBeGreaterThanOrEqual(50);
    expect(out.outcome).toBe("passed");
    expect((await sync.replication()).state).toBe("streaming (sync)");
  });
});
