import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupProject } from "../../src/cleanup/cleanup.js";
import { findServerBinaries } from "../../src/providers/local/binaries.js";
import { Cluster } from "../../src/providers/local/cluster.js";
import { serverUser } from "../../src/providers/local/os-user.js";
import {
  killAllUnder,
  postmasterPids,
  processesUnder,
} from "../../src/providers/local/processes.js";
import { makeRunDir, runsDir } from "../../src/providers/local/run-cluster.js";
import { sandboxPaths } from "../../src/providers/local/sandbox.js";
import { cleanupProjectRoot, deadPid, iso, load, lock } from "./fixtures.js";
import { processesNaming } from "../helpers/processes.js";

/** Real servers a killed run left: a run copy (and a tool still busy with it), the sandbox primary. */
let root: string;
let cluster: (dataDir: string) => Promise<Cluster>;

beforeAll(async () => {
  root = await cleanupProjectRoot();
  const bins = await findServerBinaries("embedded");
  const as = await serverUser();
  cluster = async (dataDir) => {
    const c = new Cluster(bins, dataDir, join(dataDir, "..", "postgres.log"), as);
    await c.init(randomBytes(9).toString("hex"));
    await c.start();
    return c;
  };
});

afterAll(async () => {
  // Whatever a failed assertion left running.
  await killAllUnder(root);
  expect(processesNaming(root)).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

describe("drill cleanup, with servers running", () => {
  it("stops a dead run's server and the tools still working in its folder, then deletes it", async () => {
    const runId = "20261128-100000-a-beef";
    const dir = join(runsDir(root), runId);
    await makeRunDir(dir, await serverUser(), runId);
    await cluster(join(dir, "pgdata"));
    // What a killed run's pg_ctl or pg_basebackup looks like: a process naming the folder.
    const helper = spawn(
      process.execPath,
      ["-e", "setTimeout(() => {}, 60000)", join(dir, "pgdata")],
      {
        stdio: "ignore",
      },
    );
    const label = JSON.parse(await readFile(join(dir, "owner.json"), "utf8"));
    await writeFile(join(dir, "owner.json"), JSON.stringify({ ...label, pid: deadPid() }));
    expect((await processesUnder(dir)).sort()).toContain(helper.pid);

    const items = await cleanupProject(await load(root));
    expect(items.map((i) => `${i.status} ${i.kind}`)).toEqual(["removed run folder"]);
    expect(await processesUnder(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it("stops a sandbox primary its dead starter left running, keeps its data, not while a run holds the environment", async () => {
    const p = sandboxPaths(root);
    await mkdir(p.base, { recursive: true });
    await cluster(p.dataDir);
    const startedBy = { pid: deadPid(), host: hostname(), at: iso(Date.now()) };
    await writeFile(p.stateFile, JSON.stringify({ seeded: true, startedBy }));

    await lock(root, "environment-other", process.pid);
    expect(await cleanupProject(await load(root))).toEqual([]);
    expect(await postmasterPids(p.dataDir)).toHaveLength(1);

    await rm(join(root, ".drill/locks/environment-other.lock"));
    const items = await cleanupProject(await load(root));
    expect(items.map((i) => `${i.status} ${i.kind} ${i.action}`)).toEqual([
      "removed sandbox primary stop",
    ]);
    expect(await postmasterPids(p.dataDir)).toEqual([]);
    expect(existsSync(join(p.dataDir, "PG_VERSION"))).toBe(true);
    // It took the environments' locks to do it, and gave them back.
    expect(existsSync(join(root, ".drill/locks/environment-sandbox.lock"))).toBe(false);
  });
});
