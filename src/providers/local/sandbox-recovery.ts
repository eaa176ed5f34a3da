import type { RecoveryTarget, RestorePlan, RestoreSource } from "../types.js";
import { sandboxSource, SANDBOX_ROLES } from "./recovery/sandbox-source.js";
import { planWith, targetText } from "./restore-physical.js";
import type { Snapshots } from "./snapshots.js";

type SandboxRecovery =
  | Extract<RestoreSource, { kind: "pointInTime" }>
  | (Extract<RestoreSource, { kind: "snapshot" }> & { target: RecoveryTarget });

/** Whether a `from` replays the sandbox's WAL archive: a point in time, or a snapshot + target. */
export const isSandboxRecovery = (s: RestoreSource): s is SandboxRecovery =>
  s.kind === "pointInTime" || (s.kind === "snapshot" && s.target !== undefined);

/**
 * `from: { pointInTime: T }` is the newest snapshot before T replayed to T (`latest`: the newest
 * snapshot and every archived segment), as RDS does; `from: { snapshot }` with a `target:`
 * replays that snapshot (latest: the newest the target allows) to the target.
 */
export async function planSandboxRecovery(
  source: SandboxRecovery,
  o: { snapshots: Snapshots; archiveDir: string; now(): number },
): Promise<RestorePlan> {
  const target: RecoveryTarget =
    source.kind === "snapshot"
      ? source.target
      : source.time === "latest"
        ? { kind: "latest" }
        : { kind: "time", time: source.time };
  if ((await o.snapshots.list()).length === 0) {
    // `drill plan` on a fresh machine: the run's prepare takes the first snapshot.
    return {
      source: { kind: "snapshot", id: "latest" },
      description: `a new snapshot, taken when the drill starts, + archived WAL, replayed to ${targetText(target, o.now())} → new cluster on a free port`,
      details: { pending: true, target },
    };
  }
  const snapshot = source.kind === "snapshot" ? source.snapshot : undefined;
  return planWith(
    { kind: "snapshot", ...SANDBOX_ROLES, target },
    sandboxSource({
      snapshots: o.snapshots,
      archiveDir: o.archiveDir,
      target,
      now: o.now,
      snapshot,
    }),
    o,
  );
}
