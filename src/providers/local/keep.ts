import { platformError } from "../../errors.js";
import { clusterLayout, keptPgpassFile } from "../../state/layout.js";
import type { ConnectionInfo } from "../../types.js";
import { writeKeptPgpass } from "../pgpass.js";
import type { KeptCopy } from "../types.js";
import { clusterHome } from "./home.js";
import { markKept } from "./owner.js";

/**
 * Keep a run's scrubbed copy after the run: its label gets `keepUntil` (so the restore's dispose
 * leaves it, and `drill cleanup` removes it once the time is up) and its password goes to a pgpass
 * file only the runner's user can read.
 */
export async function keepRunCopy(
  root: string,
  o: { runId: string; until: Date; connection: ConnectionInfo },
): Promise<KeptCopy> {
  const runDir = clusterLayout(clusterHome(root)).run(o.runId).dir;
  if (!(await markKept(runDir, o.until))) {
    throw platformError(
      "KEEP_FAILED",
      `cannot keep the copy of run ${o.runId}: its folder ${runDir} has no owner label`,
    );
  }
  const file = keptPgpassFile(root, o.runId);
  const connect = await writeKeptPgpass(file, o.connection);
  return { until: o.until.toISOString(), pgpassFile: file, connect };
}
