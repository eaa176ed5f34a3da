import { execFile, spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { platformError } from "../../errors.js";

/** Who PostgreSQL runs as: `postgres` when we are root (it refuses root), else ourselves. */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

let cached: Promise<RunAs | undefined> | undefined;

export function serverUser(): Promise<RunAs | undefined> {
  cached ??= resolveServerUser();
  return cached;
}

async function resolveServerUser(): Promise<RunAs | undefined> {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  let entry = await lookupUser("postgres");
  if (!entry) {
    // A fresh machine may only have Node: make the system user PostgreSQL needs.
    await run("useradd", [
      "--system",
      "--user-group",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      "postgres",
    ]).catch((e: unknown) => {
      throw platformError(
        "POSTGRES_USER_MISSING",
        `PostgreSQL refuses to run as root and the user "postgres" could not be created: ${String(e)}`,
        "create it: useradd --system --user-group --no-create-home postgres",
      );
    });
    entry = await lookupUser("postgres");
  }
  if (!entry) throw platformError("POSTGRES_USER_MISSING", 'no user "postgres"');
  return entry;
}

export async function lookupUser(name: string): Promise<RunAs | undefined> {
  const text = await fs.readFile("/etc/passwd", "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid && gid) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Run a program (as `as` when given), collecting output; abort kills it. */
export function run(
  file: string,
  args: string[],
  opts: { as?: RunAs; signal?: AbortSignal; env?: Record<string, string>; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        maxBuffer: 64 * 1024 * 1024,
        uid: opts.as?.uid,
        gid: opts.as?.gid,
        signal: opts.signal,
        cwd: opts.cwd ?? "/",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", ...opts.env },
      },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** Like run, but streams stderr to a callback (long tools such as pg_restore). */
export function runStreaming(
  file: string,
  args: string[],
  opts: {
    as?: RunAs;
    signal?: AbortSignal;
    env?: Record<string, string>;
    onLine?: (l: string) => void;
  },
): Promise<{ code: number | null; stderrTail: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      uid: opts.as?.uid,
      gid: opts.as?.gid,
      signal: opts.signal,
      cwd: "/",
      stdio: ["ignore", "ignore", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", ...opts.env },
    });
    const tail: string[] = [];
    let partial = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        tail.push(l);
        if (tail.length > 20) tail.shift();
        opts.onLine?.(l);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (partial) tail.push(partial);
      resolve({ code, stderrTail: tail });
    });
  });
}

/** Give a tree to the server user (files copied as root are root's). */
export async function chownTree(dir: string, as: RunAs | undefined): Promise<void> {
  if (!as) return;
  await fs.lchown(dir, as.uid, as.gid);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, as);
    else await fs.lchown(p, as.uid, as.gid);
  }
}

/**
 * The server user must be able to walk down to its data folder; a private parent (a 0700 home or
 * temp dir) otherwise fails deep inside pg_ctl with a confusing message.
 */
export async function assertReachable(dir: string, as: RunAs | undefined): Promise<void> {
  if (!as) return;
  let current = path.dirname(path.resolve(dir));
  for (;;) {
    const st = await fs.stat(current);
    const ok =
      st.uid === as.uid
        ? (st.mode & 0o100) !== 0
        : st.gid === as.gid
          ? (st.mode & 0o010) !== 0
          : (st.mode & 0o001) !== 0;
    if (!ok) {
      throw platformError(
        "DATA_DIR_NOT_REACHABLE",
        `the "${as.name}" user cannot reach ${dir}: ${current} is not searchable by it`,
        `PostgreSQL runs as "${as.name}" because it refuses root; allow it through: chmod o+x ${current}`,
      );
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
