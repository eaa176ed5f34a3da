import { rootCertificates } from "node:tls";
import { parse } from "pg-connection-string";
import {
  DEFAULT_SSL_MODE,
  pgUrlProblems,
  urlParams,
  type SslMode,
} from "./definitions/postgres-url.js";
import { inputError } from "./errors.js";
import { RDS_CA_NAME, rdsCaBundle } from "./pg-tls.js";
import type { ConnectionInfo, TlsSetting } from "./types.js";

const URL_HINT =
  "postgres://user:password@host:5432/db?sslmode=verify-full&sslrootcert=/path/ca.pem (README: TLS to real databases)";

/**
 * A postgres URL (the history store's, `probe.url`) as a connection, parsed by pg's own parser
 * (pg-connection-string), which also reads the files sslrootcert, sslcert and sslkey name.
 * `field` names the setting in messages; the URL itself never appears in one.
 *
 * Without sslrootcert the server's certificate must chain to Node's public roots or to the RDS
 * CA bundle, so an RDS or Aurora endpoint verifies with no file to manage. The RDS CAs sign only
 * RDS endpoints, and verify-full still checks the name: trusting them opens nothing else.
 */
export async function connectionFromUrl(text: string, field: string): Promise<ConnectionInfo> {
  const problem = pgUrlProblems(text)[0];
  if (problem) throw inputError("PG_URL", `${field}: ${problem}`, URL_HINT);
  const params = urlParams(text);
  let c: ReturnType<typeof parse>;
  try {
    c = parse(text, { useLibpqCompat: true });
  } catch (e) {
    throw unreadable(e, field, params);
  }
  const host = c.host || "localhost";
  const ssl = typeof c.ssl === "object" ? c.ssl : {};
  const mode = (params.get("sslmode") ?? DEFAULT_SSL_MODE) as SslMode;
  // libpq uses no TLS on a Unix socket; it reaches only this machine.
  const plain = mode === "disable" || host.startsWith("/");
  const caFile = params.get("sslrootcert") ?? undefined;
  const certFile = params.get("sslcert");
  const keyFile = params.get("sslkey");
  const tls: TlsSetting | undefined = plain
    ? undefined
    : {
        // libpq: "require" with a root certificate checks the chain, as verify-ca does.
        mode: mode === "require" && caFile ? "verify-ca" : mode,
        ...(caFile && ssl.ca
          ? { ca: ssl.ca, caFile, caName: `sslrootcert ${caFile}` }
          : {
              ca: `${rootCertificates.join("\n")}\n${await rdsCaBundle()}`,
              caName: `Node's public roots and ${RDS_CA_NAME}`,
            }),
        ...(certFile && keyFile && ssl.cert && ssl.key
          ? { client: { certFile, keyFile, cert: ssl.cert, key: ssl.key } }
          : {}),
      };
  return {
    host,
    port: Number(c.port || 5432),
    user: c.user ?? "",
    ...(c.password ? { password: c.password } : {}),
    // libpq's default database is the user's name.
    database: c.database || c.user || "postgres",
    ...(tls ? { tls } : {}),
  };
}

function unreadable(e: unknown, field: string, params: URLSearchParams) {
  const err = e as { code?: string; path?: string };
  const param = ["sslrootcert", "sslcert", "sslkey"].find((k) => params.get(k) === err.path);
  if (param && err.code)
    return inputError(
      "PG_URL_FILE",
      `${field}: ${param} ${err.path} cannot be read (${err.code})`,
      `give ${param} the path of a PEM file drill's user can read`,
    );
  return inputError("PG_URL", `${field}: not a valid postgres:// URL`, URL_HINT);
}
