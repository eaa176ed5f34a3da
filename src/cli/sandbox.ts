import { promises as fs } from "node:fs";
import path from "node:path";
import type { LocalEnvironment } from "../definitions/config.js";
import { DrillError } from "../errors.js";
import { formatAge, formatBytes, treeSize } from "../providers/local/files.js";
import { killPostmasters, postmasterPids } from "../providers/local/processes.js";
import { sandboxStandbyPaths } from "../providers/local/failover.js";
import { clusterHome } from "../providers/local/home.js";
import { runsDir } from "../providers/local/run-cluster.js";
import { readRunLabel } from "../providers/local/owner.js";
import { readState, sandboxPaths } from "../providers/local/sandbox.js";
import { Snapshots } from "../providers/local/snapshots.js";
import { writeLine, type Io } from "./io.js";
import { loadOrReport } from "./project.js";

/** `drill sandbox <action> --environment <name>`: the environment must be a local one. */
export async function sandboxAction(
  action: "status" | "reset",
  environment: string,
  io: Io,
): Promise<0 | 2 | 3> {
  const project = await loadOrReport(io);
  if (!project) return 2;
  const env = project.config.environments[environment];
  if (env?.provider !== "local") {
    const known = Object.entries(project.config.environments)
      .filter(([, e]) => e.provider === "local")
      .map(([n]) => n);
    writeLine(
      io.stderr,
      `--environment: unknown local environment "${environment}" (known: ${known.join(", ") || "none"})`,
    );
    return 2;
  }
  return sandboxCommand(action, io, env);
}

/**
 * `drill sandbox status | reset`. Reads files and /proc only: no PostgreSQL binaries are needed
 * to look at or clear the sandbox, so it also works when they are what broke.
 */
export async function sandboxCommand(
  action: "status" | "reset",
  io: Io,
  env: LocalEnvironment,
): Promise<0 | 2 | 3> {
  try {
    return action === "status" ? await status(io, env) : await reset(io);
  } catch (e) {
    if (!(e instanceof DrillError)) throw e;
    writeLine(
      io.stderr,
      `drill sandbox ${action}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`,
    );
    return e.exitCode === 2 ? 2 : 3;
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
      const up = (await postmasterPids(path.join(r, "pgdata"))).length > 0;
      const keepUntil = (await readRunLabel(r))?.keepUntil;
      out(
        `  ${shown(io.cwd, r)}  ${up ? "running" : "stopped"}  ${formatBytes(await treeSize(r))}${keepUntil ? `  kept for the team until ${keepUntil}` : ""}`,
      );
    }
  }
  return 0;
}

async function reset(io: Io): Promise<0> {
  const p = sandboxPaths(io.cwd);
  const runs = await runFolders(io.cwd);
  const standby = sandboxStandbyPaths(io.cwd);
  const runData = runs.flatMap((r) => [path.join(r, "pgdata"), path.join(r, "standby", "pgdata")]);
  for (const dir of [standby.dataDir, p.dataDir, ...runData]) {
    if ((await postmasterPids(dir)).length > 0) {
      writeLine(io.stdout, `stopping PostgreSQL on ${shown(io.cwd, dir)}`);
      await killPostmasters(dir);
    }
  }
  for (const r of runs) await fs.rm(r, { recursive: true, force: true });
  // Password files of kept copies, which are gone now.
  await fs.rm(path.join(io.cwd, ".drill", "kept"), { recursive: true, force: true });
  const existed = await fs.stat(p.base).then(
    () => true,
    () => false,
  );
  await fs.rm(p.base, { recursive: true, force: true });
  await fs.rm(p.primary, { recursive: true, force: true });
  await fs.rm(standby.dir, { recursive: true, force: true });
  const home = clusterHome(io.cwd);
  if (shown(io.cwd, home) === home) await fs.rm(home, { recursive: true, force: true });
  writeLine(
    io.stdout,
    existed || runs.length > 0
      ? `removed ${shown(io.cwd, p.base)}${runs.length ? ` and ${runs.length} run copies` : ""}`
      : "nothing to remove",
  );
  return 0;
}

/** Relative inside the project; absolute where clusters live elsewhere (see clusterHome). */
const shown = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel.startsWith("..") ? p : rel;
};
