import { promises as fs } from "node:fs";
import path from "node:path";
import { inputError, platformError } from "../../../errors.js";
import type { PhysicalBackupSource } from "../../types.js";
import { formatAge, formatBytes } from "../files.js";
import { lookupUser, run, type RunAs, type RunResult } from "../os-user.js";
import * as out from "./barman-output.js";
import { chooseBarmanBackup } from "./barman-choose.js";
import { layDownWithBarman } from "./barman-recover.js";
import type { BackupPlan, PhysicalSource } from "./types.js";
import { walRange } from "./wal-folder.js";

export type BarmanSourceOptions = Extract<PhysicalBackupSource, { kind: "barman" }>;

export interface BarmanTools {
  /** The barman executable (a name on PATH or a path); tests point it at a missing one. */
  barman?: string;
  now?: () => number;
}

/**
 * A Barman server's backup (`from: { barman: { server, config, backup } }`). Barman switches to
 * its `barman_user` whoever starts it (root included), so everything it writes is that user's
 * and lands in a folder it may write; laying down hands the files to the server user after.
 */
export function barmanSource(source: BarmanSourceOptions, tools: BarmanTools = {}): PhysicalSource {
  const cli = new BarmanCli(tools.barman ?? "barman", source.config, source.server);
  return {
    kind: "barman",
    plan: (signal) => planBarman(cli, source, signal, tools.now ?? Date.now),
    layDown: (plan, o) =>
      layDownWithBarman(cli, plan, o, { user: () => barmanRunAs(source.config) }),
    listWal: (signal) => listWal(cli, signal),
  };
}

/** One barman command line, its failure turned into one line (exit 2 for the drill's mistakes). */
export class BarmanCli {
  constructor(
    readonly tool: string,
    readonly config: string,
    readonly server: string,
  ) {}

  async run(args: string[], signal: AbortSignal, json = true): Promise<RunResult> {
    const argv = ["-c", this.config, ...(json ? ["-f", "json"] : []), ...args];
    try {
      return await run(this.tool, argv, { signal });
    } catch (e) {
      throw this.failure(e, args[0] ?? "");
    }
  }

  private failure(e: unknown, command: string): Error {
    const err = e as NodeJS.ErrnoException & Partial<RunResult>;
    if (err.name === "AbortError") return err;
    if (err.code === "ENOENT") {
      return platformError(
        "BARMAN_MISSING",
        `barman is not installed (no "${this.tool}" on PATH)`,
        "install it on the machine that runs drill: apt-get install barman (it restores locally from the Barman catalogue)",
      );
    }
    const said = out.barmanErrors(err.stdout ?? "", err.stderr ?? "");
    if (/Configuration file .* does not exist/i.test(said)) {
      return inputError(
        "BARMAN_CONFIG_MISSING",
        `barman.config: ${this.config} does not exist`,
        "give the barman.conf of the Barman server (default /etc/barman.conf)",
      );
    }
    if (/Unknown server/i.test(said)) {
      return inputError(
        "BARMAN_SERVER_UNKNOWN",
        `barman.server: ${this.config} has no server "${this.server}"`,
        "see `barman list-servers` for the names it knows",
      );
    }
    if (/please run barman as/i.test(said)) {
      return platformError(
        "BARMAN_USER",
        `barman ${command} failed: ${said}`,
        "run drill as root (Barman then switches to its barman_user) or as that user",
      );
    }
    return platformError(
      "BARMAN_FAILED",
      `barman ${command} failed: ${said || `exit ${String(err.code)}`}`,
      `see the Barman log, or run barman -c ${this.config} check ${this.server}`,
    );
  }
}

async function planBarman(
  cli: BarmanCli,
  source: BarmanSourceOptions,
  signal: AbortSignal,
  now: () => number,
): Promise<BackupPlan> {
  const info = await chooseBarmanBackup(cli, source, signal);
  const wal = walRange(await listWal(cli, signal), "barman xlog.db");
  const ended = info.endTime ? Date.parse(info.endTime) : undefined;
  const size = info.bytes !== undefined ? `, ${formatBytes(info.bytes)}` : "";
  const walText = wal.first && wal.last ? `WAL ${wal.first} to ${wal.last}` : "no archived WAL";
  return {
    set: {
      id: info.id,
      postgresMajor: majorOf(info.versionNum),
      ...(info.beginTime ? { startedAt: info.beginTime } : {}),
      ...(info.endTime ? { stoppedAt: info.endTime } : {}),
      ...(info.beginWal ? { startSegment: info.beginWal } : {}),
      ...(info.endWal ? { stopSegment: info.endWal } : {}),
      ...(info.bytes !== undefined ? { bytes: info.bytes } : {}),
    },
    wal,
    description: `Barman server ${source.server}, backup ${info.id}${ended !== undefined ? ` (ended ${formatAge(now() - ended)} ago${size})` : ""} + ${walText} → new cluster`,
    details: {
      server: source.server,
      config: source.config,
      backup: info.id,
      postgresVersion: info.versionNum,
      ...(info.timeline !== undefined ? { timeline: info.timeline } : {}),
      tablespaces: info.tablespaces.map((t) => ({ name: t.name, oid: t.oid })),
    },
  };
}

/** server_version_num → major: 150020 → 15, 90624 → 9.6 is too old for drill anyway (9). */
const majorOf = (versionNum: number) => Math.floor(versionNum / 10000);

async function listWal(cli: BarmanCli, signal: AbortSignal): Promise<string[]> {
  const shown = await cli.run(["show-server", cli.server], signal);
  const dir = out.walsDirectory(shown.stdout, cli.server);
  if (!dir) {
    throw platformError(
      "BARMAN_OUTPUT",
      `barman show-server ${cli.server} names no wals_directory`,
      "drill reads Barman 3.x's JSON output (barman -f json)",
    );
  }
  // xlog.db is Barman's catalogue of its wals/ folder (what `barman rebuild-xlogdb` rebuilds).
  const db = await fs.readFile(path.join(dir, "xlog.db"), "utf8").catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw platformError(
      "BARMAN_WALS_UNREADABLE",
      `cannot read ${path.join(dir, "xlog.db")}: ${(e as Error).message}`,
      "run drill as root or as the Barman user",
    );
  });
  return out.parseXlogDb(db);
}

/** Who Barman will run as: its barman_user, which must exist here. */
async function barmanRunAs(config: string): Promise<RunAs> {
  const conf = await fs.readFile(config, "utf8").catch(() => "");
  const name = out.barmanUser(conf);
  const user = await lookupUser(name);
  if (!user) {
    throw platformError(
      "BARMAN_USER_MISSING",
      `barman.conf's barman_user "${name}" is not a user on this machine`,
      "install Barman from its package (apt-get install barman), which creates the user",
    );
  }
  return user;
}
