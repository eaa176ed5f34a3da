import type { LocalEnvironment } from "../../definitions/config.js";
import type { PhysicalBackupSource, RecoveryTarget, RestorePlan } from "../types.js";
import { formatAge } from "./files.js";
import type { BackupPlan, PhysicalSource } from "./recovery/index.js";
import { physicalSource } from "./recovery/index.js";

/**
 * The local provider's physical restores: a plan resolved once (which set, what WAL) and
 * remembered for the restore of the same RestorePlan object, so the set a run restores is the
 * one its plan showed.
 */
export interface PhysicalPlan {
  request: PhysicalBackupSource;
  source: PhysicalSource;
  backup: BackupPlan;
}

const plans = new WeakMap<RestorePlan, PhysicalPlan>();

export const physicalPlanOf = (plan: RestorePlan) => plans.get(plan);

export function isPhysical(s: { kind: string }): s is PhysicalBackupSource {
  return s.kind === "pgbackrest" || s.kind === "barman" || s.kind === "basebackup";
}

export function targetText(t: RecoveryTarget, now: number): string {
  switch (t.kind) {
    case "latest":
      return "the end of the archive";
    case "time":
      return `${t.time.toISOString()} (${formatAge(now - t.time.getTime())} ago)`;
    case "lsn":
      return `LSN ${t.lsn}`;
    case "name":
      return `restore point ${t.name}`;
  }
}

export async function planPhysical(
  request: PhysicalBackupSource,
  o: { root: string; now(): number; env: LocalEnvironment; source?: PhysicalSource },
): Promise<RestorePlan> {
  // A provider with more than this machine (S3) may bring its own source for the same kind.
  const source = o.source ?? physicalSource(request, { root: o.root, now: o.now });
  const backup = await source.plan(new AbortController().signal);
  const { set, wal } = backup;
  const plan: RestorePlan = {
    source: {
      kind: request.kind,
      id: set.id,
      ...((set.stoppedAt ?? set.startedAt) ? { takenAt: set.stoppedAt ?? set.startedAt } : {}),
    },
    description: `${backup.description}, replayed to ${targetText(request.target, o.now())}`,
    details: {
      set,
      wal,
      target: request.target,
      superuser: request.superuser,
      database: request.database,
      ...backup.details,
    },
  };
  plans.set(plan, { request, source, backup });
  return plan;
}
