import { call } from "./errors.js";
import { assertOwned } from "./guard.js";
import { describeDb, newMasterPassword, type DbKind, type DbState, type RdsRun } from "./db.js";
import { pollUntil } from "./wait.js";

interface Watch {
  signal: AbortSignal;
  progress(m: string): void;
}

/**
 * Modify a copy this run made (refused without this run's tag) with ApplyImmediately, then poll
 * until RDS has applied it: right after the call the copy may still look untouched, so the change
 * must be seen starting (or two polls pass) before "available and applied" counts.
 */
async function modifyAndWait(
  run: RdsRun,
  kind: DbKind,
  id: string,
  change: {
    what: string;
    input: { MasterUserPassword?: string; VpcSecurityGroupIds?: string[] };
    timeoutMs: number;
    phase: string;
    started(s: DbState): boolean;
    applied(s: DbState): boolean;
  },
  o: Watch,
): Promise<{ ms: number; ready: DbState | undefined }> {
  const sdk = await import("@aws-sdk/client-rds");
  const before = await describeDb(run.rds, kind, id);
  assertOwned(run.env, id, before?.tags, run.runId, "modify");
  const start = Date.now();
  await call(change.what, async () => {
    if (kind === "cluster") {
      const input = { DBClusterIdentifier: id, ...change.input, ApplyImmediately: true };
      await run.rds.send(new sdk.ModifyDBClusterCommand(input));
    } else {
      const input = { DBInstanceIdentifier: id, ...change.input, ApplyImmediately: true };
      await run.rds.send(new sdk.ModifyDBInstanceCommand(input));
    }
  });
  let seen = false;
  let polls = 0;
  let ready: DbState | undefined;
  await pollUntil(
    async () => {
      ready = await describeDb(run.rds, kind, id);
      const status = ready?.status ?? "gone";
      seen ||= ready !== undefined && change.started(ready);
      polls++;
      const applied = ready !== undefined && status === "available" && change.applied(ready);
      return { done: applied && (seen || polls > 2), status };
    },
    { ...o, waits: run.waits, timeoutMs: change.timeoutMs, phase: change.phase },
  );
  return { ms: Date.now() - start, ready };
}

/** Reset the copy's master password (it came with production's) and wait until it is in effect. */
export async function resetPassword(
  run: RdsRun,
  kind: DbKind,
  id: string,
  o: Watch,
): Promise<{ password: string; ms: number; ready: DbState | undefined }> {
  const password = newMasterPassword();
  const r = await modifyAndWait(
    run,
    kind,
    id,
    {
      what: `resetting the master password of ${id}`,
      input: { MasterUserPassword: password },
      timeoutMs: run.waits.passwordMs,
      phase: `password reset of ${id}`,
      started: (s) => s.passwordPending || s.status === "resetting-master-credentials",
      applied: (s) => !s.passwordPending,
    },
    o,
  );
  return { password, ...r };
}

/**
 * Replace the copy's security groups and wait until exactly these are attached and active (the
 * new groups are what let the team in: "adding" is not yet access).
 */
export async function setSecurityGroups(
  run: RdsRun,
  kind: DbKind,
  id: string,
  groups: string[],
  o: Watch,
): Promise<{ ms: number; ready: DbState | undefined }> {
  const wanted = [...new Set(groups)];
  const sorted = [...wanted].sort().join();
  const active = (state: DbState) =>
    state.securityGroups.every((g) => g.status === "active") &&
    state.securityGroups
      .map((g) => g.id)
      .sort()
      .join() === sorted;
  return modifyAndWait(
    run,
    kind,
    id,
    {
      what: `attaching the team's security groups to ${id}`,
      input: { VpcSecurityGroupIds: wanted },
      timeoutMs: run.waits.passwordMs,
      phase: `security groups of ${id}`,
      // The group list itself says when the change is done: no need to see it start.
      started: () => true,
      applied: active,
    },
    o,
  );
}
