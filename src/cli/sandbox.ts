import { promises as fs } from "node:fs";
import path from "node:path";
import type { LocalEnvironment } from "../definitions/config.js";
import { newRunId } from "../run-id.js";
import { DrillError, type ExitCode } from "../errors.js";
import { formatAge, formatBytes, treeSize } from "../providers/local/files.js";
import { killPostmasters, postmasterPids } from "../providers/local/processes.js";
import { sandboxStandbyPaths } from "../providers/local/failover.js";
import { clusterHome } from "../providers/local/home.js";
import { runsDir } from "../providers/local/run-cluster.js";
import { readRunLabel } from "../providers/local/owner.js";
import { readState, sandboxPaths } from "../providers/local/sandbox.js";
import { Snapshots } from "../providers/local/snapshots.js";
import { readArchive } from "../providers/local/wal-archive.js";
import { localEnvironments, withEnvironment, type ProjectState } from "../state/environment.js";
import { keptPgpassFile, runFolder, statePaths } from "../state/layout.js";
import { runsInProgress } from "../state/running.js";
import { writeLine, type Io } from "./io.js";
import { loadOrReport } from "./project.js";

/** `drill sandbox <action> --environment <name>`: the environment must be a local one. */
export async function sandboxAction(
  action: "status" | "reset",
  environment: string,
  io: Io,
): Promise<ExitCode> {
  // Only the config: a drill file being edited must not stop a look at the sandbox.
  const project = await loadOrReport(io, []);
  if (!project) return 2;
  const env = project.config.environments[environment];
  if (env?.provider !== "local") {
    const known = localEnvironments(project);
    writeLine(
      io.stderr,
      `--environment: unknown local environment "${environment}" (known: ${known.join(", ") || "none"})`,
    );
    return 2;
  }
  return sandboxCommand(action, io, env, project);
}

/**
 * `drill sandbox status | reset`. Reads files and /proc only: no PostgreSQL binaries are needed
 * to look at or clear the sandbox, so it also works when they are what broke.
 */
export async function sandboxCommand(
  action: "status" | "reset",
  io: Io,
  env: LocalEnvironment,
  project: ProjectState = { root: io.cwd, config: { environments: { sandbox: env } } },
): Promise<ExitCode> {
  try {
    return action === "status" ? await status(io, env) : await reset(io, project);
  } catch (e) {
    if (!(e instanceof DrillError)) throw e;
    writeLine(
      io.stderr,
      `drill sandbox ${action}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`,
    );
    return e.exitCode;
  }
}

async function runFolders(root: string): Promise<string[]> {
  const names = await fs.readdir(runsDir(root)).catch(() => [] as string[]);
  return names.map((n) => path.join(runsDir(root), n));
}

async function status(io: Io, env: LocalEnvironment): Promise<0> {
  const p = sandboxPaths(io.cwd);
  const state = await readState(io.cwd);
  const out = (line = "") => writeLine(io.stdout, line);
  const exists =
    state.seeded && (await fs.stat(path.join(p.dataDir, "PG_VERSION")).catch(() => false));
  if (!exists) {
    out(
      `sandbox: not created yet (the first \`drill run\` creates and seeds it at scale ${env.scale})`,
    );
  } else {
    out(
      `sandbox: ${shown(io.cwd, p.primary)} (scale ${state.scale ?? "?"}, ${formatBytes(await treeSize(p.dataDir))}, created ${state.createdAt ?? "?"})`,
    );
    if (state.rows)
      out(
        `  rows: ${Object.entries(state.rows)
          .map(([t, n]) => `${t} ${n}`)
          .join(", ")}`,
      );
    const running = (await postmasterPids(p.dataDir)).length > 0;
    out(
      `  primary: ${running ? `running on port ${state.port ?? "?"}` : "stopped"}${state.lastUpAt ? ` (last up ${formatAge(Date.now() - Date.parse(state.lastUpAt))} ago)` : ""}`,
    );
  }
  const wal = await readArchive(p.walArchive);
  out(
    wal.segments.length === 0
      ? "WAL archive: empty"
      : `WAL archive: ${shown(io.cwd, p.walArchive)}  ${wal.segments.length} segments ${wal.segments[0]} to ${wal.segments.at(-1)}  ${formatBytes(wal.bytes)}`,
  );
  const snaps = await new Snapshots(p.snapshots).list();
  out(`snapshots: ${snaps.length === 0 ? "none" : snaps.length}`);
  for (const s of snaps)
    out(
      `  ${s.id}  ${formatAge(Date.now() - Date.parse(s.takenAt))} old  ${formatBytes(s.size)}  PostgreSQL ${s.postgresVersion}`,
    );
  const runs = await runFolders(io.cwd);
  if (runs.length > 0) {
    out(
      `run copies left behind: ${runs.length} (\`drill sandbox reset\` or \`drill cleanup\` removes them)`,
    );
    for (const r of runs) {
      const up = (await postmasterPids(runFolder(r).dataDir)).length > 0;
      const keepUntil = (await readRunLabel(r))?.keepUntil;
      out(
        `  ${shown(io.cwd, r)}  ${up ? "running" : "stopped"}  ${formatBytes(await treeSize(r))}${keepUntil ? `  kept for the team until ${keepUntil}` : ""}`,
      );
    }
  }
  return 0;
}

/**
 * Stop and remove the sandbox and the run copies, holding every local environment (they share
 * the sandbox folder): while a run holds one, nothing is touched. A run folder of a run still in
 * progress elsewhere (an AWS environment loading an S3 archive) is left. Ctrl-C stops it between
 * two servers or before removing files: exit 130, and a later reset finishes the job.
 */
async function reset(io: Io, project: ProjectState): Promise<0> {
  const holder = {
    runId: newRunId("sandbox-reset", Date.now()),
    drill: "sandbox reset",
    since: new Date().toISOString(),
  };
  return withEnvironment(project, localEnvironments(project), () => clear(io), holder);
}

async function clear(io: Io): Promise<0> {
  const root = io.cwd;
  const p = sandboxPaths(root);
  const standby = sandboxStandbyPaths(root);
  const busy = await runsInProgress(root);
  const all = await runFolders(root);
  const runs = all.filter((r) => !busy.has(path.basename(r)));
  for (const r of all.filter((r) => busy.has(path.basename(r))))
    writeLine(io.stdout, `leaving ${shown(root, r)}: its run is in progress`);
  const servers = runs.flatMap((r) => [runFolder(r).dataDir, runFolder(r).standby.dataDir]);
  for (const dir of [standby.dataDir, p.dataDir, ...servers]) {
    stopIfAborted(io.signal);
    if ((await postmasterPids(dir)).length > 0) {
      writeLine(io.stdout, `stopping PostgreSQL on ${shown(root, dir)}`);
      await untilAborted(killPostmasters(dir), io.signal);
    }
  }
  stopIfAborted(io.signal);
  for (const r of runs) await fs.rm(r, { recursive: true, force: true });
  // Password files of kept local copies, gone now; AWS kept copies (kept/aws/) live on.
  const kept = await fs.readdir(statePaths(root).kept).catch(() => [] as string[]);
  for (const f of kept.filter((n) => n.endsWith(".pgpass"))) {
    const runId = f.slice(0, -".pgpass".length);
    if (!busy.has(runId)) await fs.rm(keptPgpassFile(root, runId), { force: true });
  }
  const existed = await fs.stat(p.base).then(
    () => true,
    () => false,
  );
  await fs.rm(p.base, { recursive: true, force: true });
  // The WAL archive is inside the primary's folder: it belongs to that primary's history.
  await fs.rm(p.walArchive, { recursive: true, force: true });
  await fs.rm(p.primary, { recursive: true, force: true });
  await fs.rm(standby.dir, { recursive: true, force: true });
  const home = clusterHome(root);
  if (shown(root, home) === home && busy.size === 0)
    await fs.rm(home, { recursive: true, force: true });
  writeLine(
    io.stdout,
    existed || runs.length > 0
      ? `removed ${shown(root, p.base)}${runs.length ? ` and ${runs.length} run copies` : ""}`
      : "nothing to remove",
  );
  return 0;
}

const interrupted = () => new DrillError("interrupted", "INTERRUPTED", "interrupted");

function stopIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof DrillError ? signal.reason : interrupted();
}

/** Stop waiting on Ctrl-C; what was asked of the server (an immediate shutdown) goes on. */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof DrillError ? signal.reason : interrupted());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  // Still running after we stop waiting: its failure must not surface as an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Relative inside the project; absolute where clusters live elsewhere (see clusterHome). */
const shown = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel.startsWith("..") ? p : rel;
};
