import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { sandboxPassword } from "../../src/providers/local/sandbox.js";
import type { RunRecord } from "../../src/types.js";
import { processesNaming } from "../helpers/processes.js";
import { runCli } from "../helpers/project.js";
import { localEnv, noop, signal } from "../local/util.js";
import { crashProject, entries, runAndKill } from "./project.js";

// Apart from kill.test.ts (its 20 kills take minutes) so the two run side by side.

const sandboxConnection = async (root: string, port: number) => ({
  host: "127.0.0.1",
  port,
  user: "postgres",
  password: await sandboxPassword(root),
  database: "shop",
});

const history = async (runId: string, drill: string, at: string): Promise<RunRecord | undefined> =>
  readFile(join(at, `.drill/history/${drill}`, `${runId}.json`), "utf8").then(
    (t) => JSON.parse(t) as RunRecord,
    () => undefined,
  );

it("cleans up after a SIGKILL during WAL replay, and the next point-in-time run passes", async () => {
  // A project of its own: what the long test above leaves (it may time out on a loaded machine)
  // does not decide this one.
  const root = await crashProject();
  // Enough WAL that replay takes a while (~50 MB): the kill lands while the copy is recovering.
  const provider = new LocalProvider({ root, environment: localEnv() });
  const prepared = await provider.prepare({ signal: signal(), progress: noop });
  const conn = await sandboxConnection(root, prepared.primaryPort as number);
  await withSession(conn, (db) =>
    db.query(
      "create table wal_load as select g, repeat('x', 200) as pad from generate_series(1, 200000) g",
    ),
  );
  await provider.release();

  const killed = await runAndKill(root, { on: /replaying WAL/, delayMs: 100 }, "crash-pitr");
  expect(killed.killedAfterMs, killed.stdout).toBeDefined();
  expect(killed.lastLine).toMatch(/replaying WAL/);
  // The recovering copy (and the sandbox primary) outlive the runner until cleanup.
  const runs = await entries(join(root, ".drill/runs"));
  expect(runs).toHaveLength(1);
  expect(processesNaming(join(root, ".drill/runs", runs[0]!))).not.toEqual([]);

  const clean = await runCli(["cleanup"], { cwd: root });
  expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  expect(processesNaming(root)).toEqual([]);
  // The run folder held the copy, its spool and the WAL it fetched: all gone.
  expect(await entries(join(root, ".drill/runs"))).toEqual([]);
  expect(await entries(join(root, ".drill/locks"))).toEqual([]);
  expect(await entries(join(root, ".drill/running"))).toEqual([]);
  const record = await history(killed.runId!, "crash-pitr", root);
  expect(record?.outcome).toBe("error");
  console.log(
    `during WAL replay: killed at ${killed.killedAfterMs} ms after "${killed.lastLine}"; cleanup removed/stopped ${clean.stdout.split("\n").filter((l) => /^(removed|stopped)/.test(l)).length}`,
  );

  const next = await runCli(["run", "crash-pitr", "--json"], { cwd: root });
  expect(next.code, next.stdout + next.stderr).toBe(0);
  expect(processesNaming(root)).toEqual([]);
  await runCli(["sandbox", "reset"], { cwd: root });
  await rm(root, { recursive: true, force: true });
}, 180_000);
