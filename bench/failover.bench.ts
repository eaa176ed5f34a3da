import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { failoverUnderProbe } from "../src/failover/run.js";
import { LocalProvider } from "../src/providers/local/provider.js";

/**
 * Local crash failovers of a restored copy (scale 0.1) under a 100 writes/s probe: the median
 * of 5 client-observed downtimes and promote times. One pair, repaired between failovers.
 */
const root = await fs.mkdtemp(path.join(os.tmpdir(), "drill-bench-fo-"));
await fs.chmod(root, 0o755);
const environment = {
  provider: "local",
  postgres: "embedded",
  scale: 0.1,
  backupInterval: 86_400_000,
} as const;
const provider = new LocalProvider({ root, environment });
const signal = new AbortController().signal;
const undo: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const fn of undo.reverse()) await fn();
  await provider.release();
  await fs.rm(root, { recursive: true, force: true });
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

it("median of 5 local crash failovers", async () => {
  await provider.prepare({ signal, progress: () => {} });
  const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
  const copy = await provider.restore(plan, {
    runId: "bench-failover",
    signal,
    progress: () => {},
    onCreated: (fn) => void undo.push(fn),
  });
  const io = {
    signal,
    progress: () => {},
    defer: (_l: string, fn: () => Promise<void>) => void undo.push(fn),
  };
  const pair = await provider.failoverPair({
    target: "staging",
    copy: { runId: "bench-failover", connection: copy.connection },
    synchronous: false,
    ...io,
  });
  const rows: { downtimeMs: number; promoteMs: number; failoverMs: number; lost: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const out = await failoverUnderProbe(
      pair,
      { mode: "crash", writesPerSecond: 100, steadyMs: 1000 },
      io,
    );
    rows.push({
      downtimeMs: out.report.downtimeMs!,
      promoteMs: out.promoteMs,
      failoverMs: out.details.failoverMs as number,
      lost: out.report.lostWrites,
    });
  }
  console.log("\nlocal crash failover, 100 writes/s (resolution 10 ms)");
  console.table(rows);
  console.log(
    `median downtime ${median(rows.map((r) => r.downtimeMs))} ms, median promote ${median(rows.map((r) => r.promoteMs))} ms, median failover (stop → writable) ${median(rows.map((r) => r.failoverMs))} ms`,
  );
  expect(rows.every((r) => r.downtimeMs > 0 && r.lost === 0)).toBe(true);
});
