import type { EC2Client } from "@aws-sdk/client-ec2";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { S3Client } from "@aws-sdk/client-s3";

/** Made on first use, so `drill validate` and local drills never load the AWS SDK. */
export interface AwsClients {
  rds(): Promise<RDSClient>;
  s3(): Promise<S3Client>;
  /** Only to read the staging security groups (the quarantine check before a restore). */
  ec2(): Promise<EC2Client>;
}

/** Credentials come only from the SDK's default chain (env, profile, SSO, container/instance role). */
export function defaultClients(region: string | undefined): AwsClients {
  let rds: Promise<RDSClient> | undefined;
  let s3: Promise<S3Client> | undefined;
  let ec2: Promise<EC2Client> | undefined;
  const where = region ? { region } : {};
  return {
    rds: () =>
      (rds ??= import("@aws-sdk/client-rds").then(({ RDSClient }) => new RDSClient(where))),
    s3: () => (s3 ??= import("@aws-sdk/client-s3").then(({ S3Client }) => new S3Client(where))),
    ec2: () =>
      (ec2 ??= import("@aws-sdk/client-ec2").then(({ EC2Client }) => new EC2Client(where))),
  };
}
