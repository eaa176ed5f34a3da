import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { withSession } from "../../db.js";
import type { ServerBinaries } from "./binaries.js";
import { Cluster } from "./cluster.js";
import { clusterHome, openToServer } from "./home.js";
import { privateDir, writeFileAtomic } from "../../private-files.js";
import { clusterLayout, sandboxFiles } from "../../state/layout.js";
import { ownStamp, stampAlive, type ProcessStamp } from "../../state/liveness.js";
import type { RunAs } from "./os-user.js";
import { isPortFree } from "./ports.js";
import { postmasterPids } from "./processes.js";
import { catchUp, seedShop, type CatchUpResult } from "./seed.js";
import { SHOP_DATABASE, SHOP_TABLES } from "./shop-schema.js";
import { archiveNow, enableArchiving } from "./wal-archive.js";

export interface SandboxState {
  seeded: boolean;
  scale?: number;
  createdAt?: string;
  seedMs?: number;
  port?: number;
  lastUpAt?: string;
  /** The drill process that started the running primary, which stops it (see `drill cleanup`). */
  startedBy?: ProcessStamp & { at: string };
  /** Row counts per table when the primary was last prepared (for `drill sandbox status`). */
  rows?: Record<string, number>;
}

/** Where the sandbox keeps things: its files in `.drill/sandbox`, its cluster under clusterHome. */
export function sandboxPaths(root: string) {
  const files = sandboxFiles(root);
  const { dir, dataDir, logFile, walArchive } = clusterLayout(clusterHome(root)).sandboxPrimary;
  return {
    base: files.base,
    primary: dir,
    dataDir,
    logFile,
    walArchive,
    passwordFile: files.password,
    stateFile: files.state,
    snapshots: files.snapshots,
  };
}

export async function readState(root: string): Promise<SandboxState> {
  const text = await fs.readFile(sandboxPaths(root).stateFile, "utf8").catch(() => undefined);
  return text ? (JSON.parse(text) as SandboxState) : { seeded: false };
}

async function writeState(root: string, patch: Partial<SandboxState>): Promise<void> {
  const next = { ...(await readState(root)), ...patch };
  await writeFileAtomic(sandboxPaths(root).stateFile, `${JSON.stringify(next, null, 2)}\n`);
}

/** The sandbox superuser password: made once, kept only in a 0600 file and in memory. */
export async function sandboxPassword(root: string): Promise<string> {
  const file = sandboxPaths(root).passwordFile;
  const existing = await fs.readFile(file, "utf8").catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  await privateDir(path.dirname(file));
  const password = randomBytes(18).toString("base64url");
  await fs
    .writeFile(file, `${password}\n`, { mode: 0o600, flag: "wx" })
    .catch(async (e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    });
  return (await fs.readFile(file, "utf8")).trim();
}

const startedByMe = async () => ({ ...(await ownStamp()), at: new Date().toISOString() });

/** Whether the process that started the running sandbox primary still runs (elsewhere: assumed). */
export async function starterAlive(root: string): Promise<boolean> {
  const { startedBy } = await readState(root);
  return startedBy !== undefined && stampAlive(startedBy, Date.parse(startedBy.at));
}

/** The sandbox's "production" primary: created and seeded on first use, caught up on each start. */
export class SandboxPrimary {
  readonly paths: ReturnType<typeof sandboxPaths>;
  readonly cluster: Cluster;
  /** True when this process started the server (and so must stop it). */
  private owned = false;

  constructor(
    readonly root: string,
    bins: ServerBinaries,
    private readonly as: RunAs | undefined,
  ) {
    this.paths = sandboxPaths(root);
    this.cluster = new Cluster(bins, this.paths.dataDir, this.paths.logFile, as);
  }

  async connection(database = SHOP_DATABASE) {
    return this.cluster.connection(await sandboxPassword(this.root), database);
  }

  /** Create and seed the primary when it does not exist yet (or a crash left it half made). */
  async ensureCreated(scale: number, progress: (m: string) => void, signal: AbortSignal) {
    // The server user passes through clusterHome to its folder (also after a chmod -R go-rwx).
    if (this.as) openToServer(path.dirname(this.paths.primary));
    const state = await readState(this.root);
    if (
      state.seeded &&
      (await fs.stat(path.join(this.paths.dataDir, "PG_VERSION")).catch(() => false))
    ) {
      return { created: false };
    }
    const started = Date.now();
    await this.cluster.stop("immediate");
    await fs.rm(this.paths.primary, { recursive: true, force: true });
    await privateDir(this.paths.base);
    progress(`creating the sandbox primary (scale ${scale})`);
    await this.cluster.init(await sandboxPassword(this.root), signal);
    await this.start(signal);
    progress("seeding shop data");
    const pw = await sandboxPassword(this.root);
    await withSession(
      this.cluster.connection(pw),
      (db) => db.query(`create database ${SHOP_DATABASE}`),
      { signal },
    );
    const seeded = await withSession(
      await this.connection(),
      (db) => seedShop(db, scale, new Date()),
      { signal },
    );
    await withSession(await this.connection(), (db) => db.query("checkpoint"), { signal });
    const seedMs = Date.now() - started;
    await writeState(this.root, {
      seeded: true,
      scale,
      createdAt: new Date().toISOString(),
      seedMs,
    });
    return { created: true, rows: seeded.rows, seedMs };
  }

  /** Start on the port it used last when that is free, else any free port. */
  async start(signal: AbortSignal): Promise<number> {
    const running = await this.runningPort();
    if (running !== undefined) {
      // Started by another drill process: use it, leave stopping to its owner, unless that
      // process died (killed mid-run): then nobody would ever stop it, so this one takes it over.
      this.cluster.port = running;
      if (!(await starterAlive(this.root))) {
        this.owned = true;
        await writeState(this.root, { startedBy: await startedByMe() });
      }
      return running;
    }
    await enableArchiving(this.paths.dataDir, this.paths.walArchive, this.as);
    const { port: last } = await readState(this.root);
    const preferredPort = last && (await isPortFree(last)) ? last : undefined;
    const port = await this.cluster.start({ signal, ...(preferredPort ? { preferredPort } : {}) });
    this.owned = true;
    await writeState(this.root, {
      port,
      lastUpAt: new Date().toISOString(),
      startedBy: await startedByMe(),
    });
    return port;
  }

  /** The port of a server already running on the data folder, read from its pid file. */
  async runningPort(): Promise<number | undefined> {
    if ((await postmasterPids(this.paths.dataDir)).length === 0) return undefined;
    const pidFile = await fs
      .readFile(path.join(this.paths.dataDir, "postmaster.pid"), "utf8")
      .catch(() => "");
    const port = Number(pidFile.split("\n")[3]);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  }

  async catchUp(signal: AbortSignal): Promise<CatchUpResult> {
    return withSession(
      await this.connection(),
      async (db) => {
        const result = await catchUp(db, new Date());
        const rows: Record<string, number> = {};
        for (const t of SHOP_TABLES) {
          rows[t] = Number(
            (await db.query<{ n: string }>(`select count(*) as n from ${t}`)).rows[0]?.n,
          );
        }
        await writeState(this.root, { rows });
        return result;
      },
      { signal },
    );
  }

  /** Every commit so far in the WAL archive (see archiveNow). */
  async archiveNow(signal: AbortSignal) {
    return archiveNow(await this.connection("postgres"), { signal, logFile: this.paths.logFile });
  }

  async stop(): Promise<void> {
    if (this.owned) {
      await this.cluster.stop("fast");
      // `drill sandbox reset` may have removed the folder under a running drill.
      await writeState(this.root, { lastUpAt: new Date().toISOString() }).catch(() => undefined);
    }
    this.owned = false;
  }
}
