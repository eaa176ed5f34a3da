import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { LocalProvider } from "../src/providers/local/provider.js";

/**
 * Scale-1 sandbox: how long creating, snapshotting and restoring take, each beside a baseline
 * measured in the same run on the same bytes (`cp -a` of the snapshot folder): a restore cannot
 * beat copying its files, so the ratio says what PostgreSQL start and recovery add on top.
 */
const root = await fs.mkdtemp(path.join(os.tmpdir(), "drill-bench-"));
await fs.chmod(root, 0o755);
const environment = {
  provider: "local",
  postgres: "embedded",
  scale: 1,
  backupInterval: 86_400_000,
} as const;
const provider = new LocalProvider({ root, environment });
const signal = new AbortController().signal;

afterAll(async () => {
  await provider.release();
  await fs.rm(root, { recursive: true, force: true });
});

const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
};

it("restore at scale 1 against a plain file copy", async () => {
  const [, prepareMs] = await time(() => provider.prepare({ signal, progress: () => {} }));
  const [snap] = await provider.snapshots.list();
  expect(snap).toBeDefined();
  const snapshotDir = path.join(root, ".drill/sandbox/snapshots", snap!.id);

  const rows: [string, number, number][] = [];
  for (let i = 0; i < 3; i++) {
    const target = path.join(root, `copy-${i}`);
    const [, copyMs] = await time(async () => execFileSync("cp", ["-a", snapshotDir, target]));
    await fs.rm(target, { recursive: true, force: true });
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const [copy, restoreMs] = await time(() =>
      provider.restore(plan, {
        runId: `bench-${i}`,
        signal,
        progress: () => {},
        onCreated: () => {},
      }),
    );
    await copy.dispose();
    rows.push([`restore #${i + 1}`, restoreMs, copyMs]);
  }
  console.log(
    `\nsandbox at scale 1: first prepare (initdb, seed, first snapshot) ${Math.round(prepareMs)} ms; snapshot of ${(snap!.size / 1e6).toFixed(0)} MB took ${snap!.durationMs} ms`,
  );
  console.log("what                 ms   baseline cp -a ms   ratio");
  for (const [what, ms, base] of rows) {
    console.log(
      `${what.padEnd(14)} ${ms.toFixed(0).padStart(8)} ${base.toFixed(0).padStart(19)} ${(ms / base).toFixed(2).padStart(7)}x`,
    );
  }
});
