import type { RDSClient } from "@aws-sdk/client-rds";
import { platformError } from "../../errors.js";
import { formatDuration } from "../../duration.js";
import { sleep } from "../../sleep.js";

/** Per-phase limits and waiter polling (seconds, as the SDK waiters take them). */
export interface WaitSettings {
  availableMs: number;
  passwordMs: number;
  deletedMs: number;
  /** A snapshot copied into this account (cross-account KMS): grows with the snapshot's size. */
  copyMs: number;
  minDelaySec: number;
  maxDelaySec: number;
}

export const DEFAULT_WAITS: WaitSettings = {
  availableMs: 90 * 60_000,
  passwordMs: 20 * 60_000,
  deletedMs: 60 * 60_000,
  copyMs: 120 * 60_000,
  minDelaySec: 15,
  maxDelaySec: 60,
};

export type WaitKind =
  | "instance-available"
  | "instance-deleted"
  | "cluster-available"
  | "cluster-deleted"
  | "snapshot-available"
  | "cluster-snapshot-available";

interface Described {
  DBInstances?: { DBInstanceStatus?: string | undefined }[] | undefined;
  DBClusters?: { Status?: string | undefined }[] | undefined;
  DBSnapshots?: { Status?: string | undefined }[] | undefined;
  DBClusterSnapshots?: { Status?: string | undefined }[] | undefined;
}

/** The status a DescribeDB* answer carries, whichever kind it describes; empty lists mean gone. */
function statusIn(out: Described, before: string): string {
  const lists = [out.DBInstances, out.DBClusters, out.DBSnapshots, out.DBClusterSnapshots];
  const first = lists.find((l) => l !== undefined)?.[0] as
    { DBInstanceStatus?: string; Status?: string } | undefined;
  if (first) return first.DBInstanceStatus ?? first.Status ?? before;
  return lists.some((l) => l !== undefined) ? "gone" : before;
}

/**
 * The SDK waiter, with progress: every poll's status goes to the display. The waiter gets a
 * client whose `send` reports what DescribeDB* returned (the waiters expose no callback).
 */
export async function waitFor(
  rds: RDSClient,
  kind: WaitKind,
  id: string,
  o: {
    waits: WaitSettings;
    timeoutMs: number;
    signal: AbortSignal;
    progress(message: string): void;
    phase: string;
  },
): Promise<number> {
  const sdk = await import("@aws-sdk/client-rds");
  const start = Date.now();
  let status = "unknown";
  const observing = Object.create(rds, {
    send: {
      value: async (command: Parameters<RDSClient["send"]>[0]) => {
        const out = (await rds.send(command)) as Described;
        status = statusIn(out, status);
        o.progress(`${o.phase}: ${id} ${status} (${formatDuration(Date.now() - start)})`);
        return out;
      },
    },
  }) as RDSClient;
  const config = {
    client: observing,
    maxWaitTime: Math.max(o.timeoutMs / 1000, o.waits.minDelaySec + 0.001),
    minDelay: o.waits.minDelaySec,
    maxDelay: Math.max(o.waits.maxDelaySec, o.waits.minDelaySec),
    abortSignal: o.signal,
  };
  const waiters = {
    "instance-available": () =>
      sdk.waitForDBInstanceAvailable(config, { DBInstanceIdentifier: id }),
    "instance-deleted": () => sdk.waitForDBInstanceDeleted(config, { DBInstanceIdentifier: id }),
    "cluster-available": () => sdk.waitForDBClusterAvailable(config, { DBClusterIdentifier: id }),
    "cluster-deleted": () => sdk.waitForDBClusterDeleted(config, { DBClusterIdentifier: id }),
    "snapshot-available": () =>
      sdk.waitForDBSnapshotAvailable(config, { DBSnapshotIdentifier: id }),
    "cluster-snapshot-available": () =>
      sdk.waitForDBClusterSnapshotAvailable(config, { DBClusterSnapshotIdentifier: id }),
  };
  const result = await waiters[kind]();
  o.signal.throwIfAborted();
  const elapsed = Date.now() - start;
  switch (result.state) {
    case "SUCCESS":
      return elapsed;
    case "TIMEOUT":
      throw platformError(
        "AWS_WAIT_TIMEOUT",
        `${o.phase}: ${id} still ${status} after ${formatDuration(elapsed)}`,
        "a larger instance class restores faster; or raise the step's timeout",
      );
    case "FAILURE":
      throw platformError(
        "AWS_RESTORE_FAILED",
        `${o.phase}: ${id} went to status "${status}"`,
        status === "incompatible-restore"
          ? "the snapshot cannot be restored with these settings (instance class, storage, engine version): see the RDS events of the instance"
          : kind.includes("snapshot")
            ? "see the RDS events of the snapshot; a cross-account copy needs the backup account's key policy to allow this account"
            : "see the RDS events of the instance in the console",
      );
    default:
      throw platformError("AWS_WAIT_FAILED", `${o.phase}: ${id}: waiter ended ${result.state}`);
  }
}

/** Poll until `done` says so (for states the SDK has no waiter for: a password reset applied). */
export async function pollUntil(
  check: () => Promise<{ done: boolean; status: string }>,
  o: {
    timeoutMs: number;
    waits: WaitSettings;
    signal: AbortSignal;
    progress(m: string): void;
    phase: string;
  },
): Promise<number> {
  const start = Date.now();
  let delay = o.waits.minDelaySec * 1000;
  for (;;) {
    o.signal.throwIfAborted();
    const { done, status } = await check();
    const elapsed = Date.now() - start;
    o.progress(`${o.phase}: ${status} (${formatDuration(elapsed)})`);
    if (done) return elapsed;
    if (elapsed + delay > o.timeoutMs) {
      throw platformError(
        "AWS_WAIT_TIMEOUT",
        `${o.phase}: still ${status} after ${formatDuration(elapsed)}`,
      );
    }
    await sleep(delay, o.signal);
    delay = Math.min(delay * 2, o.waits.maxDelaySec * 1000);
  }
}
