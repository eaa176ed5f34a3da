import { createReadStream } from "node:fs";
import path from "node:path";
import { Parser, x, type ReadEntry } from "tar";
import { DrillError } from "../../../errors.js";
import type { RunAs } from "../os-user.js";

/**
 * Tar files from a backup are untrusted input. pg_basebackup -Ft writes only plain files and
 * folders into base.tar and pg_wal.tar (tablespaces go to tablespace_map, not symlinks), so
 * anything else — a link, a device, an absolute name, a `..` — is a tampered backup: it is
 * skipped while extracting, and the restore then fails naming it. node-tar already refuses to
 * write through symlinks and strips absolute paths; this is the second fence, and the one that
 * makes the tamper visible instead of silently dropped.
 */
const ALLOWED = new Set(["File", "OldFile", "ContiguousFile", "Directory"]);

export function unsafeReason(name: string, type: string): string | undefined {
  if (!ALLOWED.has(type)) return `${type} entries are not part of a pg_basebackup tar`;
  if (path.posix.isAbsolute(name) || /^[A-Za-z]:/.test(name)) return "absolute name";
  if (name.split(/[\\/]/).includes("..")) return "name climbs out with ..";
  return undefined;
}

export async function extractTar(
  file: string,
  dir: string,
  as: RunAs | undefined,
  signal: AbortSignal,
): Promise<{ entries: number; bytes: number }> {
  const refused: string[] = [];
  let entries = 0;
  let bytes = 0;
  signal.throwIfAborted();
  await x({
    file,
    cwd: dir,
    strict: true,
    preservePaths: false,
    // Owned by the server user from the start; never the tar's own uids.
    ...(as ? { uid: as.uid, gid: as.gid, preserveOwner: false } : { preserveOwner: false }),
    filter: (name, entry) => {
      const type = "type" in entry ? entry.type : "File";
      const why = unsafeReason(name, type);
      if (why) {
        refused.push(`${JSON.stringify(name.slice(0, 200))} (${why})`);
        return false;
      }
      entries++;
      bytes += entry.size ?? 0;
      return true;
    },
  }).catch((e: unknown) => {
    throw new DrillError("failed", "BACKUP_TAR_UNREADABLE", `${file}: ${String(e)}`, {
      hint: "the tar is damaged or not a tar: check the backup (pg_verifybackup with its manifest)",
      cause: e,
    });
  });
  signal.throwIfAborted();
  if (refused.length > 0) {
    throw new DrillError(
      "failed",
      "BACKUP_TAR_UNSAFE",
      `${path.basename(file)} holds entries a pg_basebackup tar never has, refused: ${refused.slice(0, 3).join(", ")}${refused.length > 3 ? ` and ${refused.length - 3} more` : ""}`,
      {
        hint: "the backup may have been tampered with: nothing of it was written outside the run folder",
      },
    );
  }
  return { entries, bytes };
}

/**
 * Read a few small files out of a tar without extracting it (backup_label, PG_VERSION,
 * tablespace_map): stops reading as soon as all are found, so a large base.tar costs little.
 */
export function readTarFiles(file: string, names: string[]): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const found = new Map<string, string>();
    const stream = createReadStream(file);
    const done = () => {
      stream.destroy();
      resolve(found);
    };
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        const name = entry.path.replace(/^\.\//, "");
        if (!names.includes(name) || entry.size > 1 << 20) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => {
          found.set(name, Buffer.concat(chunks).toString("utf8"));
          if (found.size === names.length) done();
        });
      },
    });
    parser.on("end", () => resolve(found));
    parser.on("error", reject);
    stream.on("error", reject);
    stream.pipe(parser);
  });
}
