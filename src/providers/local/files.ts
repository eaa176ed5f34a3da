import { promises as fs } from "node:fs";
import path from "node:path";
import { privateDir } from "../../private-files.js";

/**
 * Copy a tree, keeping file modes. Files that vanish while we copy (a running server removes
 * temp files) are skipped: a base backup is made consistent by WAL replay, not by the copy.
 * Returns the bytes copied.
 */
export async function copyTree(
  src: string,
  dst: string,
  opts: { skip?: (rel: string) => boolean; signal?: AbortSignal } = {},
): Promise<number> {
  let bytes = 0;
  const walk = async (rel: string): Promise<void> => {
    opts.signal?.throwIfAborted();
    const from = path.join(src, rel);
    const st = await fs.lstat(from).catch(vanished);
    if (!st) return;
    const to = path.join(dst, rel);
    if (st.isDirectory()) {
      await fs.mkdir(to, { recursive: true, mode: st.mode & 0o777 });
      const entries = await fs.readdir(from).catch(vanished);
      const children = (entries ?? []).map((e) => path.join(rel, e)).filter((r) => !opts.skip?.(r));
      // A few files at a time: enough to hide latency, not enough to thrash 2 cores.
      for (let i = 0; i < children.length; i += 16) {
        await Promise.all(children.slice(i, i + 16).map(walk));
      }
    } else if (st.isSymbolicLink()) {
      await fs.symlink(await fs.readlink(from), to);
    } else if (st.isFile()) {
      const ok = await fs.copyFile(from, to).then(() => true, vanished);
      if (!ok) return;
      await fs.chmod(to, st.mode & 0o777);
      bytes += st.size;
    }
  };
  // A copy of a data folder: as private as the data folder itself.
  await privateDir(dst);
  await walk("");
  return bytes;
}

function vanished(e: unknown): undefined {
  if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  throw e;
}

/** Bytes under a folder (0 when absent). */
export async function treeSize(dir: string): Promise<number> {
  const st = await fs.lstat(dir).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of await fs.readdir(dir).catch(() => [] as string[])) {
    total += await treeSize(path.join(dir, e));
  }
  return total;
}

export const formatBytes = (n: number) =>
  n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(1)} GB`
    : n >= 1 << 20
      ? `${Math.round(n / (1 << 20))} MB`
      : `${Math.max(1, Math.round(n / 1024))} kB`;

export { writeFileAtomic } from "../../private-files.js";

/** 90_000 → "2m", 7_200_000 → "2h", 3 days → "3d". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
