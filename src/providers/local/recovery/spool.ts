import { promises as fs } from "node:fs";
import type { RunAs } from "../os-user.js";

/** A file of the run folder the server reads or runs: private, and owned by the server user. */
export async function writeOwned(
  file: string,
  text: string,
  as: RunAs | undefined,
  mode = 0o600,
): Promise<void> {
  await fs.writeFile(file, text, { mode });
  await fs.chmod(file, mode);
  if (as) await fs.chown(file, as.uid, as.gid);
}

/** A private folder of the run, owned by the server user. */
export async function makeOwnedDir(dir: string, as: RunAs | undefined): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (as) await fs.chown(dir, as.uid, as.gid);
}
