import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Where cluster data folders live: `<root>/.drill`. When we are root, PostgreSQL runs as the
 * `postgres` user, which must be able to walk down to its data folder; a project inside a
 * private folder (root's 0700 home, a mkdtemp dir) would make every drill fail. Then the
 * clusters (only they) live in a folder named after the project under the system temp dir, and
 * `drill sandbox status` shows where.
 */
export function clusterHome(root: string): string {
  const home = path.join(root, ".drill");
  if (process.getuid?.() !== 0 || othersCanWalkTo(root)) return home;
  const id = createHash("sha256").update(path.resolve(root)).digest("hex").slice(0, 12);
  const outside = path.join(tmpdir(), `drill-clusters-${id}`);
  // Made here, walkable by the server user (its data folders inside stay 0700).
  mkdirSync(outside, { recursive: true, mode: 0o755 });
  chmodSync(outside, 0o755);
  return outside;
}

export function othersCanWalkTo(dir: string): boolean {
  let current = path.resolve(dir);
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      // Not made yet: what matters is the part that exists.
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}
