import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanupProject } from "../../src/cleanup/cleanup.js";
import { closeHistories } from "../../src/history/open.js";
import { runsDir } from "../../src/providers/local/run-cluster.js";
import { sandboxPaths } from "../../src/providers/local/sandbox.js";
import { TEMP_PREFIX } from "../../src/providers/local/wal-archive.js";
import { shown } from "../../src/cleanup/types.js";
import { lockFile } from "../../src/state/layout.js";
import { processStart } from "../../src/state/liveness.js";
import type { RunRecord } from "../../src/types.js";
import { cleanupProjectRoot, deadPid, iso, load, lock, marker, runFolder } from "./fixtures.js";

/** Which run folders, locks and markers `drill cleanup` takes, and which it must leave alone. */
let root: string;
beforeEach(async () => {
  root = await cleanupProjectRoot();
});
afterEach(async () => {
  await closeHistories();
  await rm(root, { recursive: true, force: true });
});

const DEAD_RUN = "20261128-100000-a-dead";
const runs = async () => (await readdir(runsDir(root)).catch(() => [])).sort();
const summary = (items: { kind: string; what: string; status: string }[]) =>
  items.map((i) => `${i.status} ${i.kind} ${i.what}`).sort();

describe("drill cleanup, local", () => {
  it("removes folders of dead, expired and pid-reused runs and kept copies whose time is up, only those", async () => {
    const dead = deadPid();
    await runFolder(root, "dead", { pid: dead });
    await runFolder(root, "live", {});
    await runFolder(root, "expired", { expiresAt: iso(Date.now() - 1000) });
    // Our pid, but the label is older than this process: the dead runner's pid was reused.
    await runFolder(root, "reused", { startedAt: iso(Date.now() - 86_400_000) });
    await runFolder(root, "kept-later", { pid: dead, keepUntil: iso(Date.now() + 60_000) });
    await runFolder(root, "kept-over", { pid: dead, keepUntil: iso(Date.now() - 1000) });
    await mkdir(join(root, ".drill/kept"), { recursive: true });
    await writeFile(join(root, ".drill/kept/kept-over.pgpass"), "x", { mode: 0o600 });
    await writeFile(join(root, ".drill/kept/gone.pgpass"), "x", { mode: 0o600 });

    const items = await cleanupProject(await load(root));
    expect(summary(items)).toEqual([
      "removed kept copy .drill/runs/kept-over",
      "removed password file .drill/kept/gone.pgpass",
      "removed run folder .drill/runs/dead",
      "removed run folder .drill/runs/expired",
      "removed run folder .drill/runs/reused",
    ]);
    expect(await runs()).toEqual(["kept-later", "live"]);
    expect(await readdir(join(root, ".drill/kept"))).toEqual([]);
  });

  it("leaves an unlabelled folder while a run holds a lock, and takes it once none does", async () => {
    await runFolder(root, "half-made", undefined);
    await lock(root, "drill-a", process.pid);
    expect(await cleanupProject(await load(root))).toEqual([]);
    expect(await runs()).toEqual(["half-made"]);
    await rm(join(root, ".drill/locks/drill-a.lock"));
    const items = await cleanupProject(await load(root));
    expect(summary(items)).toEqual(["removed run folder .drill/runs/half-made"]);
    expect(await runs()).toEqual([]);
  });

  it("removes stale locks, not held ones", async () => {
    await lock(root, "drill-a", deadPid());
    await lock(root, "environment-sandbox", process.pid);
    await lock(root, "drill-b", deadPid());
    const items = await cleanupProject(await load(root));
    expect(summary(items)).toEqual([
      "removed lock .drill/locks/drill-a.lock",
      "removed lock .drill/locks/drill-b.lock",
    ]);
    expect(await readdir(join(root, ".drill/locks"))).toEqual(["environment-sandbox.lock"]);
  });

  it("takes a lock whose pid now belongs to another process, and another host's, as the run does", async () => {
    const other = spawn("sleep", ["30"]);
    try {
      const start = await processStart(other.pid!);
      const write = (key: string, owner: object) =>
        writeFile(lockFile(root, key), JSON.stringify({ runId: "r1", drill: "a", ...owner }));
      await mkdir(join(root, ".drill/locks"), { recursive: true });
      // The same live pid: with its real start held, with another start (the pid reused) stale.
      await write("drill-a", { pid: other.pid, host: hostname(), processStart: start });
      await write("drill-b", { pid: other.pid, host: hostname(), processStart: `${start}0` });
      await write("environment-other", { pid: process.pid, host: `not-${hostname()}` });
      const items = await cleanupProject(await load(root));
      expect(summary(items)).toEqual([
        "removed lock .drill/locks/drill-b.lock",
        "removed lock .drill/locks/environment-other.lock",
      ]);
      expect(items.find((i) => i.what.endsWith("environment-other.lock"))?.why).toBe(
        `held by run r1 on host not-${hostname()}; a lock orders the runs of one host only`,
      );
      expect(await readdir(join(root, ".drill/locks"))).toEqual(["drill-a.lock"]);
    } finally {
      other.kill();
    }
  });

  it("records a dead run as error (runner died) with what was removed of it; leaves live runs alone", async () => {
    const dead = deadPid();
    await marker(root, DEAD_RUN, dead);
    await runFolder(root, DEAD_RUN, { pid: dead });
    await marker(root, "20261128-100000-a-11fe", process.pid);
    const items = await cleanupProject(await load(root));
    expect(summary(items)).toEqual([
      `removed run ${DEAD_RUN} as error ("runner died") in history`,
      `removed run folder .drill/runs/${DEAD_RUN}`,
    ]);
    const record = JSON.parse(
      await readFile(join(root, ".drill/history/a", `${DEAD_RUN}.json`), "utf8"),
    ) as RunRecord;
    expect(record).toMatchObject({
      id: DEAD_RUN,
      drill: "a",
      environment: "sandbox",
      outcome: "error",
    });
    expect(record.findings[0]).toMatch(/^runner died: its runner \(pid \d+\) died/);
    expect(record.steps[0]!.details.removed).toEqual([`run folder .drill/runs/${DEAD_RUN}`]);
    expect(await readdir(join(root, ".drill/running"))).toEqual(["20261128-100000-a-11fe.json"]);
  });

  it("does not overwrite a record the run stored before it died", async () => {
    await mkdir(join(root, ".drill/history/a"), { recursive: true });
    const file = join(root, ".drill/history/a", `${DEAD_RUN}.json`);
    await writeFile(
      file,
      JSON.stringify({ id: DEAD_RUN, drill: "a", outcome: "passed", findings: [] }),
    );
    await marker(root, DEAD_RUN, deadPid());
    await cleanupProject(await load(root));
    expect(JSON.parse(await readFile(file, "utf8")).outcome).toBe("passed");
    expect(existsSync(join(root, ".drill/running", `${DEAD_RUN}.json`))).toBe(false);
  });

  it("--dry-run lists and changes nothing; --environment narrows; an unknown one is bad input", async () => {
    const dead = deadPid();
    await runFolder(root, "dead", { pid: dead });
    await lock(root, "drill-a", dead);
    await lock(root, "drill-b", dead);
    await marker(root, DEAD_RUN, dead);
    const project = await load(root);
    const listed = await cleanupProject(project, { dryRun: true });
    expect(listed.map((i) => i.status)).toEqual(["listed", "listed", "listed", "listed"]);
    expect(await runs()).toEqual(["dead"]);
    expect((await readdir(join(root, ".drill/locks"))).sort()).toEqual([
      "drill-a.lock",
      "drill-b.lock",
    ]);
    expect(existsSync(join(root, ".drill/history"))).toBe(false);

    const other = await cleanupProject(project, { environment: "other" });
    expect(summary(other)).toEqual([
      "removed lock .drill/locks/drill-b.lock",
      "removed run folder .drill/runs/dead",
    ]);
    expect(await readdir(join(root, ".drill/running"))).toEqual([`${DEAD_RUN}.json`]);
    await expect(cleanupProject(project, { environment: "nope" })).rejects.toMatchObject({
      code: "UNKNOWN_ENVIRONMENT",
      exitCode: 2,
    });
  });
  it("removes what a killed archive_command left in the WAL archive, not the segments", async () => {
    const archive = sandboxPaths(root).walArchive;
    await mkdir(archive, { recursive: true });
    const segment = "000000010000000000000007";
    await writeFile(join(archive, segment), "x");
    await writeFile(join(archive, `${TEMP_PREFIX}000000010000000000000008`), "half");
    const items = await cleanupProject(await load(root));
    expect(summary(items)).toEqual([
      `removed WAL archive temp file ${shown(root, archive)}/${TEMP_PREFIX}000000010000000000000008`,
    ]);
    expect(await readdir(archive)).toEqual([segment]);
  });
});
