import { createHash } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stateDir } from "../../state/layout.js";
import { assertOwnFolder, ownUid } from "./safe-path.js";

/**
 * Where cluster data folders live: `<root>/.drill`. When we are root, PostgreSQL runs as the
 * `postgres` user, which must be able to walk down to its data folder; a project inside a
 * private folder (root's 0700 home, a mkdtemp dir) would make every drill fail. Then the
 * clusters (only they) live in a folder named after the project under the system temp dir, and
 * `drill sandbox status` shows where. That name is predictable: the folder is used only when it
 * is root's alone (see safe-path.ts), else the run stops with one line.
 */
export function clusterHome(root: string, tmp = tmpdir()): string {
  const home = stateDir(root);
  if (ownUid() !== 0 || othersCanWalkTo(root)) return home;
  const id = createHash("sha256").update(path.resolve(root)).digest("hex").slice(0, 12);
  const outside = path.join(tmp, `drill-clusters-${id}`);
  openToServer(outside, { shared: true });
  return outside;
}

/**
 * A folder between the project and a cluster's data folder (clusterHome, runs/), made before a
 * cluster goes in when the server runs as another user: it may pass through (x), nobody may
 * list or write it (0711). Every folder inside is 0700 and every file 0600, so passing through
 * reaches nothing but the server's own folders. `shared`: under the temp dir, where another
 * user may have made it first.
 */
export function openToServer(dir: string, opts: { shared?: boolean } = {}): void {
  try {
    mkdirSync(dir, { mode: PASS_THROUGH });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  // Checked before anything (chmod included) follows a link or writes into another's folder.
  if (opts.shared) assertOwnFolder(dir);
  const st = lstatSync(dir);
  // umask may have taken the bits the server user needs; an older drill made it 0755.
  if (st.isDirectory() && st.uid === ownUid() && (st.mode & 0o777) !== PASS_THROUGH)
    chmodSync(dir, PASS_THROUGH);
}

const PASS_THROUGH = 0o711;

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
