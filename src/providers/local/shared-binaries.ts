import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { othersCanWalkTo } from "./home.js";

/**
 * The embedded binaries live in the project's node_modules. When we are root, PostgreSQL runs
 * as `postgres`, which cannot execute them inside a private folder (root's 0700 home, a mkdtemp
 * dir): initdb then fails with no output at all. There, the package's `native/` folder (bin,
 * lib, share: ~60 MB) is copied under the system temp dir, readable by everyone, and the
 * binaries are taken from the copy. One copy per version of the binaries package, shared by
 * every project on the machine: a cache, never a project's data.
 */
export async function serverReachable(nativeDir: string): Promise<string> {
  if (process.getuid?.() !== 0 || othersCanWalkTo(nativeDir)) return nativeDir;
  const stat = await fs.stat(path.join(nativeDir, "bin", "postgres"));
  const id = createHash("sha256")
    .update(`${await packageVersion(nativeDir)}\0${stat.size}`)
    .digest("hex")
    .slice(0, 12);
  const shared = path.join(tmpdir(), `drill-postgres-${id}`);
  const done = path.join(shared, ".complete");
  if (await exists(done)) return shared;
  // Copied aside, then renamed: a concurrent run never sees half a copy.
  const partial = `${shared}.${process.pid}.tmp`;
  await fs.rm(partial, { recursive: true, force: true });
  await fs.cp(nativeDir, partial, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
  });
  await fs.writeFile(path.join(partial, ".complete"), "");
  await fs.chmod(partial, 0o755);
  await fs.rename(partial, shared).catch(async (e: NodeJS.ErrnoException) => {
    // Another run finished the same copy first: use that one.
    await fs.rm(partial, { recursive: true, force: true });
    if (!(await exists(done))) throw e;
  });
  return shared;
}

const exists = (p: string) =>
  fs.access(p).then(
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
