import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export interface TestCa {
  cert: string;
  key: string;
  pem: string;
}

/** A CA made for the test with the openssl CLI (EC keys: fast), valid for two days. */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  await run("openssl", [
    ...["req", "-x509", ...EC, "-keyout", key, "-out", cert, "-days", "2"],
    ...["-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE"],
    ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
  return { cert, key, pem: await fs.readFile(cert, "utf8") };
}

/**
 * A certificate signed by `ca`: for a server (`names` become its DNS subject alternative
 * names) or, with `client`, for logging in as the user named by its common name.
 */
export async function issue(
  dir: string,
  ca: TestCa,
  name: string,
  o: { names?: string[]; client?: boolean },
): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  await fs.writeFile(
    ext,
    [
      "basicConstraints=CA:FALSE",
      `extendedKeyUsage=${o.client ? "clientAuth" : "serverAuth"}`,
      ...(o.names ? [`subjectAltName=${o.names.map((n) => `DNS:${n}`).join(",")}`] : []),
    ].join("\n"),
  );
  await run("openssl", ["req", "-new", ...EC, "-keyout", key, "-out", csr, "-subj", `/CN=${name}`]);
  await run("openssl", [
    ...["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial"],
    ...["-out", cert, "-days", "2", "-extfile", ext],
  ]);
  await fs.chmod(key, 0o600);
  return { cert, key };
}
