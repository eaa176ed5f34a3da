import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { platformError } from "../../errors.js";
import type { ConnectionInfo } from "../../types.js";
import type { ServerBinaries } from "./binaries.js";
import { assertReachable, run, type RunAs } from "./os-user.js";
import { freePort } from "./ports.js";
import { killPostmasters, postmasterPids } from "./processes.js";

export type StopMode = "smart" | "fast" | "immediate";

/**
 * Server settings every restored copy (and its standbys) starts with, on the command line so they
 * outrank the postgresql.conf and postgresql.auto.conf the backup brought: a copy never archives
 * WAL into production's archive, and never starts a subscription's workers, which would connect
 * to the publisher (production) and advance its replication slot under the real subscriber.
 */
export const COPY_SETTINGS: Readonly<Record<string, string>> = {
  archive_mode: "off",
  max_logical_replication_workers: "0",
};

/** One PostgreSQL data folder on this machine and the server that may run on it. */
export class Cluster {
  port: number | undefined;

  constructor(
    readonly bins: ServerBinaries,
    readonly dataDir: string,
    readonly logFile: string,
    readonly as: RunAs | undefined,
    /** Extra server settings for every start (see COPY_SETTINGS); values are plain words. */
    readonly settings: Readonly<Record<string, string>> = {},
  ) {}

  /** initdb with a superuser `postgres` whose password comes from a short-lived 0600 file. */
  async init(password: string, signal?: AbortSignal): Promise<void> {
    const parent = path.dirname(this.dataDir);
    await fs.mkdir(parent, { recursive: true, mode: 0o700 });
    if (this.as) await fs.chown(parent, this.as.uid, this.as.gid);
    await assertReachable(this.dataDir, this.as);
    const pwfile = path.join(parent, `.pwfile-${randomBytes(4).toString("hex")}`);
    await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (this.as) await fs.chown(pwfile, this.as.uid, this.as.gid);
    try {
      await run(
        this.bins.initdb,
        [
          "-D",
          this.dataDir,
          "-U",
          "postgres",
          `--pwfile=${pwfile}`,
          "-E",
          "UTF8",
          "--no-locale",
          "--auth-host=scram-sha-256",
          "--auth-local=trust",
          "--no-sync",
        ],
        { as: this.as, signal },
      );
    } catch (e) {
      signal?.throwIfAborted();
      const tail = lastLines((e as { stderr?: string }).stderr ?? String(e), 8);
      throw platformError(
        "INITDB_FAILED",
        `initdb failed for ${this.dataDir}: ${tail}`,
        "check free disk space and that the folder is empty",
        e,
      );
    } finally {
      await fs.rm(pwfile, { force: true });
    }
    // Keep WAL small so snapshots stay small; the sandbox is a toy "production".
    await fs.appendFile(
      path.join(this.dataDir, "postgresql.conf"),
      "\n# drill\nmax_wal_size = 256MB\nmin_wal_size = 32MB\nwal_level = replica\nmax_wal_senders = 5\n",
    );
  }

  /**
   * Start on `preferred` when given and free, else a free port; a port race (someone binds it
   * between our check and the server's bind) is retried on another port.
   */
  async start(
    opts: { preferredPort?: number; signal?: AbortSignal; onPort?: (port: number) => void } = {},
  ): Promise<number> {
    await assertReachable(this.dataDir, this.as);
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt++) {
      opts.signal?.throwIfAborted();
      const port = attempt === 0 && opts.preferredPort ? opts.preferredPort : await freePort();
      opts.onPort?.(port);
      const logStart = await fileSize(this.logFile);
      try {
        await run(
          this.bins.pg_ctl,
          [
            "-D",
            this.dataDir,
            "-l",
            this.logFile,
            "-w",
            "-t",
            "120",
            "-o",
            [
              `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
              ...Object.entries(this.settings).map(([k, v]) => `-c ${k}=${v}`),
            ].join(" "),
            "start",
          ],
          { as: this.as, signal: opts.signal },
        );
        this.port = port;
        return port;
      } catch (e) {
        opts.signal?.throwIfAborted();
        const log = await readFrom(this.logFile, logStart);
        lastError = platformError(
          /already in use/i.test(log) ? "PORT_TAKEN" : "POSTGRES_START_FAILED",
          `PostgreSQL would not start on port ${port} (${this.dataDir}): ${lastLines(log || ((e as { stderr?: string }).stderr ?? String(e)), 10)}`,
          `see ${this.logFile}`,
          e,
        );
        // Clean up a half-started server before trying again.
        await this.stop("immediate");
        if (!/already in use/i.test(log)) break;
      }
    }
    throw lastError;
  }

  /** Stop the server if running and wait until its processes are gone. */
  async stop(mode: StopMode = "fast"): Promise<void> {
    if (
      (await postmasterPids(this.dataDir)).length > 0 ||
      (await exists(path.join(this.dataDir, "postmaster.pid")))
    ) {
      await run(this.bins.pg_ctl, ["-D", this.dataDir, "-m", mode, "-w", "-t", "60", "stop"], {
        as: this.as,
      }).catch(() => undefined);
    }
    // pg_ctl knows only the pid file; a server killed mid-start may have none yet.
    await killPostmasters(this.dataDir);
    this.port = undefined;
  }

  async isRunning(): Promise<boolean> {
    return (await postmasterPids(this.dataDir)).length > 0;
  }

  connection(password: string | undefined, database = "postgres"): ConnectionInfo {
    if (this.port === undefined) throw new Error(`cluster ${this.dataDir} is not running`);
    return { host: "127.0.0.1", port: this.port, user: "postgres", password, database };
  }

  async logTail(n = 10): Promise<string> {
    return lastLines(await fs.readFile(this.logFile, "utf8").catch(() => ""), n);
  }
}

export const lastLines = (text: string, n: number) => text.trim().split("\n").slice(-n).join("\n");

const exists = (p: string) =>
  fs.access(p).then(
    () => true,
    () => false,
  );

const fileSize = (p: string) =>
  fs.stat(p).then(
    (s) => s.size,
    () => 0,
  );

async function readFrom(file: string, offset: number): Promise<string> {
  const text = await fs.readFile(file).catch(() => Buffer.alloc(0));
  return text.subarray(offset).toString("utf8");
}
