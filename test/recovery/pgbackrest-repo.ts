import { promises as fs } from "node:fs";
import path from "node:path";
import pg from "pg";
import { run, serverUser } from "../../src/providers/local/os-user.js";
import { startTestCluster, type TestCluster } from "../helpers/cluster.js";
import { tempDir } from "../helpers/temp.js";

/**
 * A "production" cluster whose WAL pgBackRest archives (archive_command = archive-push) into a
 * posix repository (or the repo lines given), with the stanza made. `backup()` takes one and
 * returns its label; `sql()` runs a statement on production.
 */
export async function startPgBackRestRepo(
  opts: {
    stanza?: string;
    repoLines?: string[];
    env?: Record<string, string>;
    conf?: string[];
  } = {},
) {
  const stanza = opts.stanza ?? "main";
  const dir = await tempDir("pgbr", { walkable: true });
  const as = await serverUser();
  const repo = path.join(dir, "repo");
  const work = path.join(dir, "work");
  for (const d of [repo, work]) {
    await fs.mkdir(d, { mode: 0o700 });
    if (as) await fs.chown(d, as.uid, as.gid);
  }
  const config = path.join(dir, "pgbackrest.conf");
  const dataDir = path.join(dir, "cluster", "data");
  const lines = [
    "[global]",
    ...(opts.repoLines ?? [`repo1-path=${repo}`]),
    "repo1-retention-full=99",
    `lock-path=${work}`,
    `spool-path=${work}`,
    "log-level-file=off",
    "log-level-console=warn",
    "start-fast=y",
    // As many productions do: a restored copy reading this file must still fetch synchronously.
    "archive-async=y",
    // Faster than the default gz for the test's small backups, and still a compressed repository.
    "compress-type=lz4",
    "archive-timeout=30",
    `[${stanza}]`,
    `pg1-path=${dataDir}`,
  ];
  await fs.writeFile(config, `${lines.join("\n")}\n`, { mode: 0o644 });
  const env = opts.env ?? {};
  const envLine = Object.entries(env)
    .map(([k, v]) => `${k}=${v} `)
    .join("");
  const pgbr = `${envLine}pgbackrest --config=${config} --stanza=${stanza}`;
  const cluster: TestCluster = await startTestCluster({
    dir,
    conf: [
      "archive_mode = on",
      `archive_command = '${pgbr} archive-push %p'`,
      // The test segments stay small and few; a switch is what hands one to the archive.
      "archive_timeout = 0",
      ...(opts.conf ?? []),
    ],
  });
  const { connection } = cluster;
  // The port is known once it runs; the stanza's section is the file's last.
  await fs.appendFile(config, `pg1-port=${connection.port}\n`);
  // The cluster listens on TCP only: pgBackRest's libpq finds it through PGHOST/PGPASSWORD.
  const tool = async (...args: string[]) =>
    run("pgbackrest", [`--config=${config}`, `--stanza=${stanza}`, ...args], {
      as,
      env: { PGHOST: "127.0.0.1", PGPASSWORD: connection.password ?? "", ...env },
    });
  const client = new pg.Client({ ...connection });
  await client.connect();
  await tool("stanza-create");
  await tool("check");
  return {
    stanza,
    dir,
    repo,
    config,
    connection,
    tool,
    async sql<T extends Record<string, unknown>>(text: string, values: unknown[] = []) {
      return (await client.query<T>(text, values)).rows;
    },
    /** Take a backup; its label. */
    async backup(type: "full" | "diff" | "incr" = "full"): Promise<string> {
      await tool(`--type=${type}`, "backup");
      const { stdout } = await tool("info", "--output=json");
      const info = JSON.parse(stdout) as { backup: { label: string }[] }[];
      return info[0]!.backup.at(-1)!.label;
    },
    /** Close the current segment and wait until pgBackRest has it. */
    async switchWal(): Promise<void> {
      await client.query("select pg_switch_wal()");
      await tool("check");
    },
    async stop() {
      await client.end();
      await cluster.stop();
    },
  };
}

export type PgBackRestRepo = Awaited<ReturnType<typeof startPgBackRestRepo>>;
