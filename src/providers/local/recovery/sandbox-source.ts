import { promises as fs } from "node:fs";
import { inputError, platformError } from "../../../errors.js";
import type { PhysicalCopyRoles, RecoveryTarget } from "../../types.js";
import { copyTree, formatAge, formatBytes } from "../files.js";
import { chownTree } from "../os-user.js";
import { SHOP_DATABASE } from "../shop-schema.js";
import type { SnapshotMeta, Snapshots } from "../snapshots.js";
import { archiveCovers, positionOf, readArchive, type ArchiveContents } from "../wal-archive.js";
import type { BackupPlan, LaidDown, LayDownOptions, PhysicalSource, WalRange } from "./types.js";

/**
 * The sandbox's own physical backups: a snapshot (a base backup with the WAL it needs) and the
 * primary's WAL archive after it, replayed to a target like RDS's point-in-time restore.
 */
export interface SandboxSourceOptions {
  snapshots: Snapshots;
  archiveDir: string;
  /** A snapshot id the drill named; undefined or "latest": the newest one the target allows. */
  snapshot?: string;
  target: RecoveryTarget;
  /** The clock a time target is checked against (a target in the future has no WAL yet). */
  now?: () => number;
}

/** A sandbox copy is entered as the primary's superuser and works on the shop database. */
export const SANDBOX_ROLES: PhysicalCopyRoles = { superuser: "postgres", database: SHOP_DATABASE };

export function sandboxSource(o: SandboxSourceOptions): PhysicalSource {
  return {
    kind: "snapshot",
    async plan() {
      const archive = await readArchive(o.archiveDir);
      const snap = await chooseSnapshot(o, archive);
      const wal = walRange(archive, o.archiveDir);
      const age = formatAge((o.now?.() ?? Date.now()) - Date.parse(snap.takenAt));
      return {
        set: {
          id: snap.id,
          stoppedAt: snap.takenAt,
          startSegment: snap.startWal,
          stopSegment: snap.stopWal,
          postgresMajor: Number.parseInt(snap.postgresVersion, 10),
          bytes: snap.size,
        },
        wal,
        description: `sandbox snapshot ${snap.id} (taken ${age} ago, ${formatBytes(snap.size)}) + archived WAL ${wal.first ?? "(none yet)"} to ${wal.last ?? "(none yet)"}`,
        // The set and the range are the plan's own fields; only the archive's size adds to them.
        details: { walArchiveBytes: archive.bytes },
      } satisfies BackupPlan;
    },
    async layDown(plan: BackupPlan, d: LayDownOptions): Promise<LaidDown> {
      d.progress(`copying snapshot ${plan.set.id} (${formatBytes(plan.set.bytes ?? 0)})`);
      const started = Date.now();
      const bytes = await copyTree(o.snapshots.dataDir(plan.set.id), d.dataDir, {
        signal: d.signal,
      });
      await chownTree(d.dataDir, d.as);
      await fs.chmod(d.dataDir, 0o700);
      return {
        fetchWal: fetchWal(o.archiveDir),
        details: { bytesCopied: bytes, copyMs: Date.now() - started },
      };
    },
    async listWal() {
      return (await readArchive(o.archiveDir)).segments;
    },
  };
}

/**
 * Copy one archived file to where PostgreSQL asks for it; `cp` fails (non-zero) when the archive
 * lacks it. Only names PostgreSQL makes reach %f; the folder is quoted for /bin/sh and its `%`
 * doubled for restore_command.
 */
export function fetchWal(archiveDir: string): string {
  const dir = `'${archiveDir.replace(/'/g, `'\\''`)}'`.replace(/%/g, "%%");
  return `cp ${dir}/%f %p`;
}

/** The newest snapshot WAL can be replayed from that ends before the target (or the one named). */
async function chooseSnapshot(
  o: SandboxSourceOptions,
  archive: ArchiveContents,
): Promise<SnapshotMeta> {
  const all = await o.snapshots.list();
  const usable = all.filter((s) => archiveCovers(archive, s));
  const t = o.target;
  if (t.kind === "time" && t.time.getTime() > (o.now?.() ?? Date.now()))
    throw inputError(
      "TARGET_IN_FUTURE",
      `target time ${t.time.toISOString()} is in the future: the archive holds no WAL past now`,
    );
  if (o.snapshot !== undefined && o.snapshot !== "latest") {
    const named = await o.snapshots.pick({ id: o.snapshot });
    if (!named || !usable.some((s) => s.id === named.id))
      throw inputError(
        "SNAPSHOT_NOT_ARCHIVED",
        `snapshot ${o.snapshot} was taken before WAL archiving began: it restores only as taken`,
        `drop target:, or name a later snapshot (${usable.map((s) => s.id).join(", ") || "none yet"})`,
      );
    if (!endsBefore(named, t))
      throw inputError(
        "SNAPSHOT_AFTER_TARGET",
        `snapshot ${named.id} (taken ${named.takenAt}, WAL ${named.stopLsn ?? named.stopWal}) ends after the target ${targetText(t)}`,
        "name an earlier snapshot, or write from: { snapshot: latest } to let drill choose",
      );
    return named;
  }
  if (usable.length === 0)
    throw platformError(
      "NO_ARCHIVED_SNAPSHOT",
      "the sandbox has no snapshot WAL can be replayed from",
      "run a drill on it first (its prepare takes one), then `drill sandbox status`",
    );
  const found = usable.find((s) => endsBefore(s, t));
  if (found) return found;
  const oldest = usable.at(-1)!;
  throw inputError(
    "TARGET_BEFORE_OLDEST_SNAPSHOT",
    t.kind === "time"
      ? `target time ${t.time.toISOString()} is before the oldest snapshot, ${oldest.id} taken at ${oldest.takenAt}: the sandbox restores to a time from then on`
      : `target ${targetText(t)} is before the oldest snapshot, ${oldest.id} (ends at WAL ${oldest.stopLsn ?? oldest.stopWal})`,
    `snapshots kept: ${usable.map((s) => `${s.id} at ${s.takenAt}`).join(", ")}`,
  );
}

/** Whether replay from `s` can stop at the target: it must be consistent before the target. */
function endsBefore(s: SnapshotMeta, t: RecoveryTarget): boolean {
  if (t.kind === "time") return Date.parse(s.takenAt) < t.time.getTime();
  if (t.kind === "lsn")
    return s.stopLsn
      ? lsnValue(s.stopLsn) <= lsnValue(t.lsn)
      : positionOf(s.stopWal) < segmentPosition(t.lsn);
  return true;
}

const lsnValue = (lsn: string) => {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
};

/** The log and segment number (16 MB segments, the sandbox's initdb default) of an LSN. */
const segmentPosition = (lsn: string) => {
  const v = lsnValue(lsn);
  const hex = (n: bigint) => n.toString(16).toUpperCase().padStart(8, "0");
  return hex(v >> 32n) + hex((v & 0xffffffffn) >> 24n);
};

function walRange(archive: ArchiveContents, dir: string): WalRange {
  const segs = archive.segments;
  const newest = segs
    .map((s) => s.slice(0, 8))
    .sort()
    .at(-1);
  const on = segs.filter((s) => s.slice(0, 8) === newest);
  return {
    ...(on.length > 0 ? { first: on[0]!, last: on.at(-1)! } : {}),
    segments: segs.length,
    from: dir,
  };
}

function targetText(t: RecoveryTarget): string {
  if (t.kind === "time") return t.time.toISOString();
  if (t.kind === "lsn") return `LSN ${t.lsn}`;
  if (t.kind === "name") return `restore point "${t.name}"`;
  return "the end of the archive";
}
