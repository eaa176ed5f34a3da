import { promises as fs } from "node:fs";

/**
 * What drill keeps on disk (run records, run state, passwords, reports) is readable by the user
 * drill runs as and nobody else: folders it makes are 0700, files 0600. The umask can only take
 * bits away, so these modes hold whatever it is.
 */
export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/** mkdir -p, each folder it makes 0700 (one that exists keeps its mode: it may be the user's). */
export async function privateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
}

/**
 * Write a file atomically (temp + rename), so a crash never leaves half a file; the new file is
 * made with `mode`, never inheriting the wider mode of a file it replaces.
 */
export async function writeFileAtomic(
  file: string,
  data: string,
  mode = PRIVATE_FILE,
): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data, { mode });
  await fs.rename(tmp, file);
}
