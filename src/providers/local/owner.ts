import { promises as fs } from "node:fs";
import { drillOfRunId } from "../../run-id.js";
import { runFolder } from "../../state/layout.js";
import { ownStamp, type ProcessStamp } from "../../state/liveness.js";
import { writeFileAtomic } from "./files.js";

/**
 * The label of a run folder (`<clusterHome>/runs/<runId>/owner.json`), written before any server
 * starts in it, so that `drill cleanup` can tell a folder a live run uses from one a killed run
 * left behind. Holds no secret.
 */
export interface RunLabel extends ProcessStamp {
  runId: string;
  drill: string;
  startedAt: string;
  /** After this the folder is removed whatever its owner does (a hung runner, another host). */
  expiresAt: string;
  /** A scrubbed copy kept for the team (scrub's `keep`): left running until then. */
  keepUntil?: string;
}

/** How long a run folder may live, like the AWS environments' `staging.ttl`. */
export const RUN_TTL_MS = 6 * 3_600_000;

export async function writeRunLabel(runDir: string, runId: string, now = Date.now()) {
  const label: RunLabel = {
    runId,
    drill: drillOfRunId(runId) ?? "unknown",
    ...(await ownStamp()),
    startedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + RUN_TTL_MS).toISOString(),
  };
  await writeFileAtomic(runFolder(runDir).label, `${JSON.stringify(label, null, 2)}\n`);
  return label;
}

export async function readRunLabel(runDir: string): Promise<RunLabel | undefined> {
  try {
    const label = JSON.parse(await fs.readFile(runFolder(runDir).label, "utf8")) as RunLabel;
    return typeof label.runId === "string" && typeof label.pid === "number" ? label : undefined;
  } catch {
    return undefined;
  }
}

/** Mark the folder kept until `until`; its dispose then leaves it (see run-cluster.ts). */
export async function markKept(runDir: string, until: Date): Promise<RunLabel | undefined> {
  const label = await readRunLabel(runDir);
  if (!label) return undefined;
  const kept = { ...label, keepUntil: until.toISOString() };
  await writeFileAtomic(runFolder(runDir).label, `${JSON.stringify(kept, null, 2)}\n`);
  return kept;
}

export const isKept = (label: RunLabel | undefined, now = Date.now()): boolean =>
  label?.keepUntil !== undefined && Date.parse(label.keepUntil) > now;
