import { readdir, readFile, rm } from "node:fs/promises";
import { privateDir, writeFileAtomic } from "../private-files.js";
import { runningFile, statePaths } from "./layout.js";
import { ownStamp, stampAlive, type ProcessStamp } from "./liveness.js";

/**
 * `.drill/running/<runId>.json`: a run in progress, written when it starts and removed once its
 * record is stored. One left behind by a dead process is a run that never got a record:
 * `drill cleanup` stores one for it (outcome `error`, "runner died") so history has no holes.
 */
export interface RunningMarker extends ProcessStamp {
  runId: string;
  drill: string;
  environment: string;
  startedAt: string;
}

export async function writeRunningMarker(
  root: string,
  o: { runId: string; drill: string; environment: string; now: number },
): Promise<() => Promise<void>> {
  const marker: RunningMarker = {
    runId: o.runId,
    drill: o.drill,
    environment: o.environment,
    ...(await ownStamp()),
    startedAt: new Date(o.now).toISOString(),
  };
  await privateDir(statePaths(root).running);
  await writeFileAtomic(runningFile(root, o.runId), `${JSON.stringify(marker, null, 2)}\n`);
  return () => removeRunningMarker(root, o.runId);
}

export const removeRunningMarker = (root: string, runId: string) =>
  rm(runningFile(root, runId), { force: true });

/** Every marker, readable or not (an unreadable one has only its run id, from the file name). */
export async function listRunningMarkers(
  root: string,
): Promise<{ runId: string; marker?: RunningMarker }[]> {
  const names = await readdir(statePaths(root).running).catch(() => [] as string[]);
  return Promise.all(
    names
      .filter((n) => n.endsWith(".json"))
      .map(async (n) => {
        const runId = n.slice(0, -".json".length);
        try {
          const marker = JSON.parse(await readFile(runningFile(root, runId), "utf8"));
          return { runId, marker: marker as RunningMarker };
        } catch {
          return { runId };
        }
      }),
  );
}

/** Run ids of the runs in progress: a marker whose writer still runs (see stampAlive). */
export async function runsInProgress(root: string): Promise<Set<string>> {
  const live = await Promise.all(
    (await listRunningMarkers(root)).map(async ({ runId, marker }) =>
      marker && (await stampAlive(marker, Date.parse(marker.startedAt))) ? runId : undefined,
    ),
  );
  return new Set(live.filter((id) => id !== undefined));
}
