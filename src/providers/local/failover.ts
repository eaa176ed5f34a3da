import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { inputError, platformError } from "../../errors.js";
import { privateDir } from "../../private-files.js";
import { clusterLayout, runFolder, sandboxFiles } from "../../state/layout.js";
import type { FailoverPair, FailoverPairRequest } from "../types.js";
import type { ServerBinaries } from "./binaries.js";
import { COPY_SETTINGS, Cluster } from "./cluster.js";
import { clusterHome } from "./home.js";
import type { RunAs } from "./os-user.js";
import { LocalPair } from "./pair.js";
import { runCluster } from "./run-cluster.js";
import { sandboxPassword, type SandboxPrimary } from "./sandbox.js";
import { SHOP_DATABASE } from "./shop-schema.js";

export interface LocalFailoverContext {
  root: string;
  bins: ServerBinaries;
  as: RunAs | undefined;
  /** The sandbox primary, once `prepare` ran. */
  sandbox: SandboxPrimary | undefined;
}

/** Where the sandbox keeps its standby between drills. */
export function sandboxStandbyPaths(root: string) {
  return {
    ...clusterLayout(clusterHome(root)).sandboxStandby,
    passwordFile: sandboxFiles(root).replicationPassword,
  };
}

/** The local side of the `failover` step: a pair around the restored copy or the sandbox. */
export async function localFailoverPair(
  ctx: LocalFailoverContext,
  req: FailoverPairRequest,
): Promise<FailoverPair> {
  if (req.target === "staging") return stagingPair(ctx, req);
  if (req.target === "production") return sandboxPair(ctx, req);
  throw inputError(
    "UNKNOWN_FAILOVER_TARGET",
    `unknown failover target "${req.target}" (the local provider knows: staging, production)`,
  );
}

/** Pairs made for runs' copies: a second failover step of a run finds the roles as they are now. */
const stagingPairs = new Map<string, LocalPair>();

/** The run's restored copy gets a standby inside its run folder; cleanup removes both. */
async function stagingPair(ctx: LocalFailoverContext, req: FailoverPairRequest) {
  if (!req.copy)
    throw inputError("NO_TARGET", "failover of staging needs a restore step before it");
  const { runDir, cluster } = runCluster(ctx.root, req.copy.runId, ctx.bins, ctx.as);
  const known = stagingPairs.get(runDir);
  if (known) {
    await known.reuse(req);
    return known;
  }
  if (!(await cluster.isRunning()))
    throw platformError("TARGET_DOWN", `the restored copy (${cluster.dataDir}) is not running`);
  cluster.port = req.copy.connection.port;
  // The standby is a file copy whose tablespace links would point at the primary's folders: two
  // servers writing one tablespace. Refused until the standby gets folders of its own.
  const spaces = await fs.readdir(path.join(cluster.dataDir, "pg_tblspc")).catch(() => []);
  if (spaces.length > 0)
    throw platformError(
      "FAILOVER_TABLESPACES_UNSUPPORTED",
      `the restored copy has ${spaces.length} tablespace(s): drill cannot build a standby of it yet`,
      "drop the failover step for this drill, or move the tables to pg_default",
    );
  const { dir, dataDir, logFile } = runFolder(runDir).standby;
  const standby = new Cluster(ctx.bins, dataDir, logFile, ctx.as, COPY_SETTINGS);
  req.defer("standby of the restored copy", async () => {
    stagingPairs.delete(runDir);
    await standby.stop("immediate");
    await fs.rm(dir, { recursive: true, force: true });
  });
  const pair = new LocalPair({
    description: `restored copy on port ${cluster.port} with a ${req.synchronous ? "synchronous" : "streaming"} standby`,
    nodes: [cluster, standby],
    // The working role's copy keeps its superuser for building and repairing the standby.
    password: (req.copy.admin ?? req.copy.connection).password ?? "",
    ...(req.copy.admin
      ? { superuser: { user: req.copy.admin.user, database: req.copy.admin.database } }
      : {}),
    ...(req.copy.admin
      ? { client: { user: req.copy.connection.user, password: req.copy.connection.password } }
      : {}),
    replicationPassword: randomBytes(18).toString("base64url"),
    database: req.copy.connection.database,
    synchronous: req.synchronous,
    signal: req.signal,
    progress: req.progress,
  });
  stagingPairs.set(runDir, pair);
  await pair.ensureStandby(false);
  return pair;
}

/**
 * The sandbox primary and its standby, kept between drills (made on first use). Afterwards the
 * roles are switched back, so the sandbox primary stays where snapshots and catch-up expect it.
 */
async function sandboxPair(ctx: LocalFailoverContext, req: FailoverPairRequest) {
  const sandbox = ctx.sandbox;
  if (!sandbox?.cluster.port)
    throw platformError("SANDBOX_DOWN", "the sandbox primary is not running (prepare first)");
  const paths = sandboxStandbyPaths(ctx.root);
  await fs.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const standby = new Cluster(ctx.bins, paths.dataDir, paths.logFile, ctx.as);
  req.defer("stop the sandbox standby", () => standby.stop("fast"));
  const exists = await Promise.all(
    ["PG_VERSION", "standby.signal"].map((f) =>
      fs.stat(path.join(paths.dataDir, f)).then(
        () => true,
        () => false,
      ),
    ),
  );
  const pair = new LocalPair({
    description: `sandbox primary on port ${sandbox.cluster.port} with its ${req.synchronous ? "synchronous" : "streaming"} standby`,
    nodes: [sandbox.cluster, standby],
    password: await sandboxPassword(ctx.root),
    replicationPassword: await replicationPassword(paths.passwordFile),
    database: SHOP_DATABASE,
    synchronous: req.synchronous,
    signal: req.signal,
    progress: req.progress,
    failback: true,
  });
  await pair.ensureStandby(exists.every(Boolean));
  return pair;
}

/** Made once, kept in a 0600 file: the kept standby streams with it on later drills. */
async function replicationPassword(file: string): Promise<string> {
  const existing = await fs.readFile(file, "utf8").catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  await privateDir(path.dirname(file));
  const password = randomBytes(18).toString("base64url");
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}
