import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { RunRecord } from "../../src/types.js";
import { spawnDrill } from "../helpers/project.js";
import { cleanupProjectRoot, deadPid, marker, runFolder } from "./fixtures.js";

let root: string | undefined;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

it("drill daemon cleans up what a killed run left when it starts", async () => {
  root = await cleanupProjectRoot();
  const runId = "20261128-100000-a-d1ed";
  const dead = deadPid();
  await marker(root, runId, dead);
  const folder = await runFolder(root, runId, { pid: dead });
  const child = spawnDrill(["daemon", "--port", "0", "--host", "127.0.0.1"], {
    cwd: root,
    env: { DRILL_LOG_LEVEL: "info" },
  });
  child.stdout.resume(); // unread, but drained so the daemon never blocks on it
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (/"kind":"run".*"msg":"cleanup: removed"/.test(stderr)) child.kill("SIGTERM");
  });
  const timer = setTimeout(() => child.kill("SIGTERM"), 30_000);
  const code = await new Promise<number | null>((r) => child.on("close", r));
  clearTimeout(timer);
  expect(code).toBe(0);
  expect(stderr).toMatch(/"kind":"run folder".*"msg":"cleanup: removed"/);
  expect(existsSync(folder)).toBe(false);
  const record = JSON.parse(
    await readFile(join(root, ".drill/history/a", `${runId}.json`), "utf8"),
  ) as RunRecord;
  expect(record.outcome).toBe("error");
  expect(record.findings.join()).toContain("runner died");
}, 60_000);
