import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

/**
 * A throwaway folder under the system temp dir, removed after the test file (see cleanup.ts).
 * `walkable` makes it 0755 so the `postgres` user can reach clusters made inside it.
 */
export async function tempDir(prefix: string, opts: { walkable?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `drill-${prefix}-`));
  if (opts.walkable) await chmod(dir, 0o755);
  made.push(dir);
  return dir;
}

/** Remove every folder tempDir made in this test file. */
export async function removeTempDirs(): Promise<void> {
  const dirs = made.splice(0);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
