import { lstatSync, readdirSync, readFileSync, realpathSync, type Stats } from "node:fs";
import path from "node:path";
import { platformError } from "../../errors.js";

/**
 * Folders drill uses under the shared temp dir have predictable names, so another local user can
 * make one first: a folder of theirs, a symlink to somewhere of ours, or one anybody can write,
 * with a `bin/postgres` of theirs inside. Before drill (as root) trusts such a folder it must be
 * ours alone, all the way down from `/`.
 */
export function assertOwnFolder(dir: string, uid = ownUid()): void {
  const reason = folderProblem(dir, uid);
  if (reason) throw refusal(dir, reason, uid);
}

/** Like assertOwnFolder, and nothing inside may belong to another user or be writable by one. */
export function assertOwnTree(dir: string, uid = ownUid()): void {
  assertOwnFolder(dir, uid);
  const reason = treeProblem(dir, uid);
  if (reason) throw refusal(dir, reason, uid);
}

const refusal = (dir: string, reason: string, uid: number) =>
  platformError(
    "UNSAFE_TEMP_FOLDER",
    `refusing ${dir}: ${reason}`,
    `another user may have made it to take over what drill puts there; check it, remove it (rm -rf ${dir}), or set TMPDIR to a folder only ${userName(uid)} can write`,
  );

export const ownUid = () => process.getuid?.() ?? 0;

function folderProblem(dir: string, uid: number): string | undefined {
  const abs = path.resolve(dir);
  const up = chainProblem(path.dirname(abs), uid, new Set());
  if (up) return up;
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) return "it is a symbolic link";
  if (!st.isDirectory()) return "it is not a folder";
  return entryProblem(st, uid, "it");
}

/** The folder itself or an entry in it: ours, and writable by nobody else. */
function entryProblem(st: Stats, uid: number, what: string): string | undefined {
  if (st.uid !== uid) return `${what} belongs to ${userName(st.uid)}, not to ${userName(uid)}`;
  if (!st.isSymbolicLink() && (st.mode & 0o022) !== 0)
    return `${what} is writable by ${st.mode & 0o002 ? "every user" : "its group"} (mode ${octal(st.mode)})`;
  return undefined;
}

/**
 * Every folder from `/` down to `dir`: owned by root or us, and writable by nobody else unless
 * sticky (like /tmp, where others cannot rename or remove what is ours). A symlink on the way is
 * followed after checking it too.
 */
function chainProblem(dir: string, uid: number, seen: Set<string>): string | undefined {
  let current = path.parse(dir).root;
  const parts = dir.split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) current = path.join(current, parts[i - 1]!);
    const st = lstatSync(current);
    if (st.uid !== 0 && st.uid !== uid)
      return `${current} on the way to it belongs to ${userName(st.uid)}`;
    if (st.isSymbolicLink()) {
      const target = realpathSync(current);
      if (seen.has(target)) continue;
      seen.add(target);
      const rest = path.join(target, ...parts.slice(i));
      return chainProblem(rest, uid, seen);
    }
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
      return `${current} on the way to it is writable by others and not sticky (mode ${octal(st.mode)})`;
  }
  return undefined;
}

function treeProblem(dir: string, uid: number): string | undefined {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    const problem =
      entryProblem(st, uid, p) ?? (st.isDirectory() ? treeProblem(p, uid) : undefined);
    if (problem) return problem;
  }
  return undefined;
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/** "root", "uid 65534 (nobody)": the number is what matters, the name helps a person. */
function userName(uid: number): string {
  if (uid === 0) return "root";
  let text = "";
  try {
    text = readFileSync("/etc/passwd", "utf8");
  } catch {
    // No passwd file (a minimal container): the number alone.
  }
  const name = text
    .split("\n")
    .map((l) => l.split(":"))
    .find((f) => f[2] === String(uid))?.[0];
  return name ? `uid ${uid} (${name})` : `uid ${uid}`;
}
