import { readdir, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { privateDir, writeFileAtomic } from "../private-files.js";

/**
 * `.drill/running/<runId>.json`: a run in progress, written when it starts and removed once its
 * record is stored. One left behind by a dead process is a run that never got a record:
 * `drill cleanup` stores one for it (outcome `error`, "runner died") so history has no holes.
 */
export interface RunningMarker {
  runId: string;
  drill: string;
  environment: string;
  pid: number;
  host: string;
  startedAt: string;
}

export const runningDir = (root: string) => join(root, ".drill", "running");

const fileOf = (root: string, runId: string) => join(runningDir(root), `${runId}.json`);

export async function writeRunningMarker(
  root: string,
  o: { runId: string; drill: string; environment: string; now: number },
): Promise<() => Promise<void>> {
  const marker: RunningMarker = {
    runId: o.runId,
    drill: o.drill,
    environment: o.environment,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date(o.now).toISOString(),
  };
  await privateDir(runningDir(root));
  await writeFileAtomic(fileOf(root, o.runId), `${JSON.stringify(marker, null, 2)}\n`);
  return () => removeRunningMarker(root, o.runId);
}

export const removeRunningMarker = (root: string, runId: string) =>
  rm(fileOf(root, runId), { force: true });

/** Every marker, readable or not (an unreadable one has only its run id, from the file name). */
export async function listRunningMarkers(
  root: string,
): Promise<{ runId: string; marker?: RunningMarker }[]> {
  const names = await readdir(runningDir(root)).catch(() => [] as string[]);
  return Promise.all(
    names
      .filter((n) => n.endsWith(".json"))
      .map(async (n) => {
        const runId = n.slice(0, -".json".length);
        try {
          const marker = JSON.parse(await readFile(join(runningDir(root), n), "utf8"));
          return { runId, marker: marker as RunningMarker };
        } catch {
          return { runId };
        }
      }),
  );
}
