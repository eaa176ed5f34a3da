import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { loadProject, type Project } from "../../src/definitions/project.js";
import { runsDir } from "../../src/providers/local/run-cluster.js";
import { makeProject } from "../helpers/project.js";

/** A pid that belonged to a process that has exited (a runner that died). */
export const deadPid = (): number => spawnSync(process.execPath, ["-e", ""]).pid;

export const iso = (ms: number) => new Date(ms).toISOString();

const DRILL = (name: string, env: string) => `
name: ${name}
environment: ${env}
steps:
  - restore: { from: { snapshot: latest } }
  - verify: { checks: [{ rowCount: { table: customers, min: 1 } }] }
`;

/** Two local environments, a drill in each; nothing made yet. */
export async function cleanupProjectRoot(): Promise<string> {
  return makeProject({
    "config/drill.yaml":
      "environments:\n  sandbox: { provider: local, scale: 0.02 }\n  other: { provider: local, scale: 0.02 }\n",
    "drills/a.yaml": DRILL("a", "sandbox"),
    "drills/b.yaml": DRILL("b", "other"),
  });
}

export async function load(root: string): Promise<Project> {
  const r = await loadProject(root, {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.project;
}

/** A run folder with an owner label as a run writes it (fields overridable). */
export async function runFolder(
  root: string,
  runId: string,
  label: Record<string, unknown> | undefined,
): Promise<string> {
  const dir = join(runsDir(root), runId);
  await mkdir(join(dir, "pgdata"), { recursive: true });
  if (label) {
    const now = Date.now();
    const full = {
      runId,
      drill: "a",
      pid: process.pid,
      host: hostname(),
      startedAt: iso(now),
      expiresAt: iso(now + 6 * 3_600_000),
      ...label,
    };
    await writeFile(join(dir, "owner.json"), JSON.stringify(full));
  }
  return dir;
}

export async function lock(root: string, key: string, pid: number, runId = "r1", drill = "a") {
  await mkdir(join(root, ".drill/locks"), { recursive: true });
  const owner = { pid, host: hostname(), runId, drill, since: iso(Date.now()) };
  await writeFile(join(root, ".drill/locks", `${key}.lock`), JSON.stringify(owner));
}

export async function marker(root: string, runId: string, pid: number, environment = "sandbox") {
  await mkdir(join(root, ".drill/running"), { recursive: true });
  const m = { runId, drill: "a", environment, pid, host: hostname(), startedAt: iso(Date.now()) };
  await writeFile(join(root, ".drill/running", `${runId}.json`), JSON.stringify(m));
}
