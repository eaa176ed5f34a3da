import type { AwsEnvironment } from "../../definitions/config.js";
import { inputError } from "../../errors.js";
import { awsFailoverPair, type AwsFailoverTarget } from "../../failover/aws.js";
import type { FailoverPair, FailoverPairRequest } from "../types.js";
import type { AwsClients } from "./clients.js";
import { stagingIdentifier } from "./guard.js";

/**
 * What an AWS failover drill fails over. `staging`: the run's own restored copy (it must be
 * Multi-AZ: `staging.multiAz: true`, or an Aurora cluster with a reader), the probe writing
 * through the copy's endpoint. `production`: the step's or the environment's production
 * database, the probe writing through the endpoint the step's `probe.url` names (DNS flips).
 */
export async function awsFailoverPairFor(
  env: AwsEnvironment,
  clients: AwsClients,
  req: FailoverPairRequest,
): Promise<FailoverPair> {
  const opts = { signal: req.signal, progress: req.progress };
  const rds = await clients.rds();
  if (req.target === "staging") {
    if (!req.copy)
      throw inputError("NO_TARGET", "failover of staging needs a restore step before it");
    const id = stagingIdentifier(req.copy.runId);
    const target: AwsFailoverTarget =
      "dbCluster" in env.production ? { dbCluster: id } : { dbInstance: id };
    return awsFailoverPair(rds, target, req.copy.connection, opts);
  }
  if (req.target !== "production") {
    throw inputError(
      "UNKNOWN_FAILOVER_TARGET",
      `failover target "${req.target}": on AWS use staging or production`,
    );
  }
  if (!req.probeEndpoint) {
    throw inputError(
      "PROBE_ENDPOINT_MISSING",
      "a production failover on AWS needs the probe's connection: probe.url (a postgres URL from an environment variable)",
      'probe: { writesPerSecond: 20, url: "${PROD_PROBE_URL}" }',
    );
  }
  const target: AwsFailoverTarget = req.production ?? env.production;
  return awsFailoverPair(rds, target, req.probeEndpoint, opts);
}
