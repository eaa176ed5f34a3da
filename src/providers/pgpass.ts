import { promises as fs } from "node:fs";
import path from "node:path";
import type { ConnectionInfo } from "../types.js";

/**
 * A kept copy's password goes to a pgpass file only the runner's user can read (0600), never to
 * a screen, a log or a record; the team connects with `PGPASSFILE=<file> psql …`. Returns that
 * command line (it holds no secret).
 */
export async function writeKeptPgpass(file: string, c: ConnectionInfo): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const esc = (v: string) => v.replace(/[\\:]/g, (m) => `\\${m}`);
  const line = [c.host, String(c.port), c.database, c.user, c.password ?? ""].map(esc).join(":");
  await fs.writeFile(file, `${line}\n`, { mode: 0o600 });
  // writeFile keeps the mode of a file that already existed: make sure.
  await fs.chmod(file, 0o600);
  return `PGPASSFILE=${file} psql -h ${c.host} -p ${c.port} -U ${c.user} ${c.database}`;
}
