import type { RDSClient } from "@aws-sdk/client-rds";
import type { S3Client } from "@aws-sdk/client-s3";

/** Made on first use, so `drill validate` and local drills never load the AWS SDK. */
export interface AwsClients {
  rds(): Promise<RDSClient>;
  s3(): Promise<S3Client>;
}

/** Credentials come only from the SDK's default chain (env, profile, SSO, container/instance role). */
export function defaultClients(region: string | undefined): AwsClients {
  let rds: Promise<RDSClient> | undefined;
  let s3: Promise<S3Client> | undefined;
  return {
    rds: () =>
      (rds ??= import("@aws-sdk/client-rds").then(
        ({ RDSClient }) => new RDSClient(region ? { region } : {}),
      )),
    s3: () =>
      (s3 ??= import("@aws-sdk/client-s3").then(
        ({ S3Client }) => new S3Client(region ? { region } : {}),
      )),
  };
}
