import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { escapeLiteral } from "pg";
import { quoteIdent, withSession } from "../../db.js";
import { platformError } from "../../errors.js";
import { scramVerifier } from "../../roles.js";
import type { ConnectionInfo } from "../../types.js";
import type { ServerBinaries } from "./binaries.js";
import { COPY_SETTINGS, Cluster } from "./cluster.js";
import { privateDir } from "../../private-files.js";
import { clusterLayout } from "../../state/layout.js";
import { clusterHome, openToServer } from "./home.js";
import { chownTree, type RunAs } from "./os-user.js";
import { isKept, readRunLabel, writeRunLabel } from "./owner.js";
import { sleep } from "../../sleep.js";

export const runsDir = (root: string) => clusterLayout(clusterHome(root)).runs;

/** A run's staging cluster in `<clusterHome>/runs/<runId>/`, and its removal. */
export function runCluster(
  root: string,
  runId: string,
  bins: ServerBinaries,
  as: RunAs | undefined,
) {
  const folder = clusterLayout(clusterHome(root)).run(runId);
  const runDir = folder.dir;
  const cluster = new Cluster(bins, folder.dataDir, folder.logFile, as, COPY_SETTINGS);
  let disposed: Promise<void> | undefined;
  const dispose = () => {
    // Idempotent: the engine's cleanup and a failing restore may both call it.
    disposed ??= (async () => {
      // A copy kept for the team (scrub's `keep`) outlives the run: `drill cleanup` removes it.
      if (isKept(await readRunLabel(runDir))) return;
      await cluster.stop("immediate");
      await fs.rm(runDir, { recursive: true, force: true });
    })();
    return disposed;
  };
  return { runDir, cluster, dispose };
}

/** The run folder, labelled with its owner before any server starts in it (see owner.ts). */
export async function makeRunDir(
  runDir: string,
  as: RunAs | undefined,
  runId = path.basename(runDir),
): Promise<void> {
  const runs = path.dirname(runDir);
  if (as) {
    // The server user passes through clusterHome and runs/ to its own run folder.
    openToServer(path.dirname(runs));
    openToServer(runs);
  } else await privateDir(runs);
  await fs.mkdir(runDir, { mode: 0o700 });
  await writeRunLabel(runDir, runId);
  await chownTree(runDir, as);
}

/** Wait until the server takes connections and has finished recovery. */
export async function waitUntilPrimary(
  conn: ConnectionInfo,
  signal: AbortSignal,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    try {
      const inRecovery = await withSession(
        conn,
        async (db) =>
          (await db.query<{ r: boolean }>("select pg_catalog.pg_is_in_recovery() as r")).rows[0]?.r,
        { signal },
      );
      if (inRecovery === false) return;
    } catch (e) {
      signal.throwIfAborted();
      last = e;
    }
    await sleep(200, signal);
  }
  throw platformError(
    "RECOVERY_TIMEOUT",
    `the restored copy did not finish recovery in ${timeoutMs / 1000}s: ${String(last ?? "still in recovery")}`,
  );
}

/**
 * Give the copy its own password. Sent as a SCRAM verifier, so the plain text never reaches the
 * server (and so never a server log, even if the statement failed and was logged).
 */
export async function setRunPassword(
  conn: ConnectionInfo,
  signal: AbortSignal,
  role = "postgres",
): Promise<string> {
  const password = randomBytes(18).toString("base64url");
  await withSession(
    conn,
    (db) =>
      db.query(`alter role ${quoteIdent(role)} password ${escapeLiteral(scramVerifier(password))}`),
    { signal },
  );
  return password;
}
