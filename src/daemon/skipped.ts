import type { Project } from "../definitions/project.js";
import { sealAndSave, signerFor } from "../evidence/seal.js";
import { newRunId } from "../run-id.js";
import type { HistoryStore } from "../history/store.js";
import type { Logger } from "../log.js";
import { RECORD_SCHEMA_VERSION, type RunRecord } from "../types.js";
import { errorText } from "../redact.js";

/**
 * The record of a scheduled run the daemon did not start because the drill's previous run was
 * still going: kept in the history so a slot that never ran is visible there, not only in logs.
 */
export function skippedRecord(o: {
  drill: string;
  environment: string;
  provider: string;
  slotAt: number;
  detail: string;
}): RunRecord {
  const at = new Date(o.slotAt).toISOString();
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: newRunId(o.drill, o.slotAt),
    drill: o.drill,
    environment: o.environment,
    provider: o.provider,
    startedAt: at,
    finishedAt: at,
    durationMs: 0,
    outcome: "skipped",
    steps: [],
    measurements: {},
    findings: [`skipped: the previous run overlaps this slot (${o.detail})`],
  };
}

/** Store a skipped slot's record; a store that fails loses only this line of history (logged). */
export async function recordSkipped(
  project: Project,
  store: HistoryStore,
  log: Logger,
  o: { drill: string; detail: string; slotAt: number },
): Promise<void> {
  const drill = project.drills.get(o.drill)?.drill;
  const env = drill ? project.config.environments[drill.environment] : undefined;
  if (!drill || !env) return;
  const record = skippedRecord({ ...o, environment: drill.environment, provider: env.provider });
  const saved = signerFor(project).then((signer) => sealAndSave(store, record, signer));
  await saved.catch((e: unknown) => {
    const error = errorText(e);
    log.error({ drill: o.drill, error }, "cannot record the skipped run");
  });
}
