import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { othersCanWalkTo } from "./home.js";
import { assertOwnTree, ownUid } from "./safe-path.js";

/**
 * The embedded binaries live in the project's node_modules. When we are root, PostgreSQL runs
 * as `postgres`, which cannot execute them inside a private folder (root's 0700 home, a mkdtemp
 * dir): initdb then fails with no output at all. There, the package's `native/` folder (bin,
 * lib, share: ~60 MB) is copied under the system temp dir, readable by everyone, and the
 * binaries are taken from the copy. One copy per version of the binaries package, shared by
 * every project on the machine: a cache, never a project's data. Its name is predictable, so a
 * copy is used only when all of it is root's and nobody else can write to it: else another user
 * could have put a `bin/postgres` of theirs there for root to run.
 */
export async function serverReachable(nativeDir: string, tmp = tmpdir()): Promise<string> {
  if (ownUid() !== 0 || othersCanWalkTo(nativeDir)) return nativeDir;
  const shared = await sharedCopyPath(nativeDir, tmp);
  if (await usableCopy(shared)) return shared;
  // Made where nobody can guess or reach it (mkdtemp, 0700), then renamed into place whole: a
  // concurrent run never sees half a copy, and nobody can plant anything in it meanwhile.
  const partial = await fs.mkdtemp(`${shared}.`);
  try {
    await fs.cp(nativeDir, partial, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
    });
    await fs.writeFile(path.join(partial, ".complete"), "");
    await onlyOwnerWrites(partial);
    await fs.chmod(partial, 0o755);
    await fs.rename(partial, shared);
  } catch (e) {
    await fs.rm(partial, { recursive: true, force: true });
    // Another run finished the same copy first: used once it checks out like any other.
    if (!(await usableCopy(shared))) throw e;
    return shared;
  }
  // Ours, but the temp dir on the way may let others rename it and put theirs in its place.
  assertOwnTree(shared);
  return shared;
}

/** `<tmp>/drill-postgres-<id>`, the id from the package version and the server binary's size. */
export async function sharedCopyPath(nativeDir: string, tmp = tmpdir()): Promise<string> {
  const stat = await fs.stat(path.join(nativeDir, "bin", "postgres"));
  const id = createHash("sha256")
    .update(`${await packageVersion(nativeDir)}\0${stat.size}`)
    .digest("hex")
    .slice(0, 12);
  return path.join(tmp, `drill-postgres-${id}`);
}

/** True for a finished copy that is ours alone; throws (one line) for one that is not. */
async function usableCopy(shared: string): Promise<boolean> {
  if (!(await exists(shared, fs.lstat))) return false;
  assertOwnTree(shared);
  if (await exists(path.join(shared, ".complete"), fs.access)) return true;
  // Ours but unfinished (a crash inside an older drill's copy): made again.
  await fs.rm(shared, { recursive: true, force: true });
  return false;
}

/** The package's own modes may let its group write (an npm umask): not in a copy root runs. */
async function onlyOwnerWrites(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isSymbolicLink()) continue;
    const p = path.join(entry.parentPath, entry.name);
    const { mode } = await fs.lstat(p);
    if (mode & 0o022) await fs.chmod(p, mode & 0o7755);
  }
}

const exists = (p: string, probe: (p: string) => Promise<unknown>) =>
  probe(p).then(
    () => true,
    () => false,
  );

/** The version of the package holding `native/` (its package.json is beside it). */
const packageVersion = async (nativeDir: string) =>
  (
    JSON.parse(await fs.readFile(path.join(path.dirname(nativeDir), "package.json"), "utf8")) as {
      version?: string;
    }
  ).version ?? "unknown";
