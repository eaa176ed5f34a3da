import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ConnectionInfo } from "../../src/types.js";

const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";

/** The database's rows as `pg_dump --data-only` writes them: what a team would be handed. */
export async function dumpData(conn: ConnectionInfo): Promise<string> {
  const { stdout } = await promisify(execFile)(PG_DUMP, ["--data-only", conn.database], {
    env: {
      ...process.env,
      PGHOST: conn.host,
      PGPORT: String(conn.port),
      PGUSER: conn.user,
      PGPASSWORD: conn.password ?? "",
    },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/** The values of `sample` found in `dump`. */
export const survivors = (dump: string, sample: string[]): string[] =>
  sample.filter((v) => dump.includes(v));
