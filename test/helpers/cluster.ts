import { afterAll, beforeAll } from "vitest";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { findServerBinaries } from "../../src/providers/local/binaries.js";
import { Cluster } from "../../src/providers/local/cluster.js";
import { serverUser, type RunAs } from "../../src/providers/local/os-user.js";
import type { ConnectionInfo } from "../../src/types.js";
import { tempDir } from "./temp.js";

/**
 * A throwaway PostgreSQL cluster (embedded binaries, free port, temp folder) for tests. Call
 * `stop()` in afterAll: it stops the server and deletes the folder unless `dir` was given.
 */
export async function startTestCluster(
  opts: {
    dir?: string;
    /** A PostgreSQL bin directory instead of the embedded binaries (e.g. a build lacking a module). */
    bin?: string;
    /** Lines added to postgresql.conf before the first start (e.g. `ssl = on`). */
    conf?: string[];
    /** pg_hba.conf's lines instead of initdb's (e.g. `hostssl` only). */
    hba?: string[];
    /** Files written into the data folder, 0600 and owned by the server's user (keys, certs). */
    files?: Record<string, string>;
  } = {},
): Promise<{ connection: ConnectionInfo; dir: string; stop(): Promise<void> }> {
  const owned = opts.dir === undefined;
  const dir = opts.dir ?? (await tempDir("test-pg"));
  // A temp folder is 0700; the server runs as `postgres` when we are root.
  await fs.mkdir(dir, { recursive: true });
  await fs.chmod(dir, 0o755);
  const as = await serverUser();
  const cluster = new Cluster(
    await findServerBinaries(opts.bin === undefined ? "embedded" : { bin: opts.bin }),
    path.join(dir, "cluster", "data"),
    path.join(dir, "cluster", "postgres.log"),
    as,
  );
  const password = randomBytes(12).toString("hex");
  await cluster.init(password);
  await configure(cluster.dataDir, as, opts);
  await cluster.start();
  return {
    connection: cluster.connection(password),
    dir,
    async stop() {
      await cluster.stop("fast");
      if (owned) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

async function configure(
  dataDir: string,
  as: RunAs | undefined,
  o: { conf?: string[]; hba?: string[]; files?: Record<string, string> },
) {
  for (const [name, text] of Object.entries(o.files ?? {})) {
    const file = path.join(dataDir, name);
    await fs.writeFile(file, text, { mode: 0o600 });
    if (as) await fs.chown(file, as.uid, as.gid);
  }
  if (o.conf)
    await fs.appendFile(path.join(dataDir, "postgresql.conf"), `\n${o.conf.join("\n")}\n`);
  if (o.hba) await fs.writeFile(path.join(dataDir, "pg_hba.conf"), `${o.hba.join("\n")}\n`);
}

export type TestCluster = Awaited<ReturnType<typeof startTestCluster>>;

/**
 * One throwaway cluster for a test file: started before its first test, stopped after its last.
 * Its `connection` and `dir` are readable once the file's tests run.
 */
export function useTestCluster(): Pick<TestCluster, "connection" | "dir"> {
  let pg: TestCluster | undefined;
  beforeAll(async () => {
    pg = await startTestCluster();
  });
  afterAll(async () => {
    await pg?.stop();
  });
  const started = () => {
    if (!pg) throw new Error("the test cluster is not started yet (use it inside a test or hook)");
    return pg;
  };
  return {
    get connection() {
      return started().connection;
    },
    get dir() {
      return started().dir;
    },
  };
}
