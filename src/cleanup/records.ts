import { stat } from "node:fs/promises";
import { hostname } from "node:os";
import { sealAndSave, signerFor } from "../evidence/seal.js";
import { openHistory } from "../history/open.js";
import { drillOfRunId } from "../run-id.js";
import { RUN_TTL_MS } from "../providers/local/owner.js";
import { RECORD_SCHEMA_VERSION, type RunRecord } from "../types.js";
import { runningFile } from "../state/layout.js";
import { stampAlive } from "../state/liveness.js";
import { listRunningMarkers, removeRunningMarker, type RunningMarker } from "../state/running.js";
import type { CleanupItem, CleanupScope } from "./types.js";

export interface DeadRun {
  runId: string;
  marker: RunningMarker | undefined;
  why: string;
}

/**
 * Runs whose marker outlived their process: on this host, a pid that is gone (or reused); from
 * another host, one older than the run TTL; unreadable, one older than a minute.
 */
export async function deadRuns(scope: CleanupScope): Promise<DeadRun[]> {
  const root = scope.project.root;
  const out: DeadRun[] = [];
  for (const { runId, marker } of await listRunningMarkers(root)) {
    if (!marker) {
      const age = await stat(runningFile(root, runId)).then(
        (s) => scope.now - s.mtimeMs,
        () => 0,
      );
      if (age > 60_000) out.push({ runId, marker, why: "its marker is unreadable" });
      continue;
    }
    if (!scope.environments.includes(marker.environment)) continue;
    const startedAt = Date.parse(marker.startedAt);
    if (marker.host === hostname()) {
      if (!(await stampAlive(marker, startedAt)))
        out.push({ runId, marker, why: `its runner (pid ${marker.pid}) died` });
    } else if (scope.now - startedAt > RUN_TTL_MS) {
      out.push({ runId, marker, why: `started on ${marker.host} over 6h ago and never finished` });
    }
  }
  return out;
}

/**
 * Store the record the dead run never wrote: outcome `error`, finding "runner died", and a
 * cleanup step saying what `drill cleanup` removed of it. Then drop the marker.
 */
export async function recordDeadRun(
  scope: CleanupScope,
  dead: DeadRun,
  removed: CleanupItem[],
): Promise<void> {
  const { project, now } = scope;
  const store = openHistory(project);
  if (!(await store.get(dead.runId))) {
    const drill = dead.marker?.drill ?? drillOfRunId(dead.runId) ?? "unknown";
    const environment = dead.marker?.environment ?? "unknown";
    const startedAt = dead.marker?.startedAt ?? new Date(now).toISOString();
    const failed = removed.filter((r) => r.status === "failed");
    const record: RunRecord = {
      schemaVersion: RECORD_SCHEMA_VERSION,
      id: dead.runId,
      drill,
      environment,
      provider: project.config.environments[environment]?.provider ?? "unknown",
      startedAt,
      finishedAt: new Date(now).toISOString(),
      durationMs: Math.max(0, now - Date.parse(startedAt)),
      outcome: "error",
      steps: [
        {
          name: "cleanup",
          kind: "cleanup",
          startedAt: new Date(now).toISOString(),
          durationMs: 0,
          outcome: failed.length > 0 ? "error" : "passed",
          details: {
            by: "drill cleanup",
            removed: removed
              .filter((r) => r.status === "removed")
              .map((r) => `${r.kind} ${r.what}`),
            ...(failed.length > 0
              ? { failed: failed.map((r) => `${r.kind} ${r.what}: ${r.error}`) }
              : {}),
          },
        },
      ],
      measurements: {},
      findings: [
        `runner died: ${dead.why} before the run finished; found and recorded by drill cleanup`,
      ],
    };
    await sealAndSave(store, record, await signerFor(project));
  }
  await removeRunningMarker(project.root, dead.runId);
}
