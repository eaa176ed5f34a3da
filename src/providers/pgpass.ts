import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { ConnectionInfo } from "../types.js";

/**
 * A kept copy's password goes to a pgpass file only the runner's user can read (0600), never to
 * a screen, a log or a record; the team connects with `PGPASSFILE=<file> psql …`. Returns that
 * command line (it holds no secret).
 */
export async function writeKeptPgpass(file: string, conn: ConnectionInfo): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const esc = (v: string) => v.replace(/[\\:]/g, (m) => `\\${m}`);
  const line = [conn.host, String(conn.port), conn.database, conn.user, conn.password ?? ""]
    .map(esc)
    .join(":");
  await fs.writeFile(file, `${line}\n`, { mode: 0o600 });
  // writeFile keeps the mode of a file that already existed: make sure.
  await fs.chmod(file, 0o600);
  return `PGPASSFILE=${file}${await tlsVariables(file, conn)} psql -h ${conn.host} -p ${conn.port} -U ${conn.user} ${conn.database}`;
}

/**
 * The copy's TLS for the team's psql: libpq's default (prefer) would not check whom it talks
 * to. A CA held as text (the RDS bundle) is written beside the password file, named by its
 * content, so every kept copy shares one and no cleanup is owed.
 */
async function tlsVariables(file: string, conn: ConnectionInfo): Promise<string> {
  const tls = conn.tls;
  if (!tls) return "";
  let ca = tls.caFile;
  if (!ca && tls.ca !== undefined && tls.mode !== "require") {
    ca = path.join(
      path.dirname(file),
      `ca-${createHash("sha256").update(tls.ca).digest("hex").slice(0, 16)}.pem`,
    );
    await fs.writeFile(ca, tls.ca, { mode: 0o600 });
  }
  return ` PGSSLMODE=${tls.mode}${ca ? ` PGSSLROOTCERT=${ca}` : ""}`;
}
