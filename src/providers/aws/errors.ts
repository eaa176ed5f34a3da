import { DrillError, inputError, isAbortError, platformError } from "../../errors.js";

const THROTTLED = new Set([
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "SlowDown",
]);
const DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "InvalidClientTokenId",
  "ExpiredToken",
  "ExpiredTokenException",
  "SignatureDoesNotMatch",
]);
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET"]);

/** An AWS SDK failure as a DrillError the CLI can explain (exit 3), aborts passed through. */
export function awsError(e: unknown, what: string): unknown {
  if (e instanceof DrillError || isAbortError(e)) return e;
  const err = e as { name?: string; code?: string; message?: string };
  const name = err.name ?? "Error";
  const message = err.message ?? String(e);
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(message)) {
    return platformError(
      "AWS_CREDENTIALS",
      `${what}: no AWS credentials found`,
      "drill uses the SDK's default chain: AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, or a container/instance role",
      e,
    );
  }
  if (THROTTLED.has(name)) {
    return platformError(
      "AWS_THROTTLED",
      `${what}: AWS throttled the request (${name})`,
      "retry later",
      e,
    );
  }
  if (DENIED.has(name)) {
    return platformError(
      "AWS_ACCESS_DENIED",
      `${what}: ${name}: ${message}`,
      "give the runner's role the policy in deploy/aws/iam-policy.json",
      e,
    );
  }
  if (UNREACHABLE.has(err.code ?? "") || name === "TimeoutError") {
    return platformError(
      "AWS_UNREACHABLE",
      `${what}: cannot reach AWS (${err.code ?? name})`,
      undefined,
      e,
    );
  }
  return platformError("AWS_ERROR", `${what}: ${name}: ${message}`, undefined, e);
}

/** Run one AWS call, translating its failure. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw awsError(e, what);
  }
}

export const isNotFound = (e: unknown): boolean => {
  const name = (e as { name?: string }).name ?? "";
  return /NotFound(Fault)?$/.test(name) || name === "NoSuchBucket" || name === "NoSuchKey";
};

export const snapshotNotFound = (id: string) =>
  inputError(
    "SNAPSHOT_NOT_FOUND",
    `snapshot ${id} does not exist or is not shared with this account`,
    "list them: aws rds describe-db-snapshots --include-shared (or describe-db-cluster-snapshots)",
  );

/** The four ways a staging copy is created; params.ts names the command, this sends it. */
export type RestoreCommand =
  | "RestoreDBInstanceFromDBSnapshot"
  | "RestoreDBInstanceToPointInTime"
  | "RestoreDBClusterFromSnapshot"
  | "RestoreDBClusterToPointInTime";

export async function sendRestore(
  rds: import("@aws-sdk/client-rds").RDSClient,
  command: RestoreCommand,
  input: object,
): Promise<void> {
  const sdk = await import("@aws-sdk/client-rds");
  const Command = {
    RestoreDBInstanceFromDBSnapshot: sdk.RestoreDBInstanceFromDBSnapshotCommand,
    RestoreDBInstanceToPointInTime: sdk.RestoreDBInstanceToPointInTimeCommand,
    RestoreDBClusterFromSnapshot: sdk.RestoreDBClusterFromSnapshotCommand,
    RestoreDBClusterToPointInTime: sdk.RestoreDBClusterToPointInTimeCommand,
  }[command] as new (input: object) => Parameters<typeof rds.send>[0];
  await call(command, () => rds.send(new Command(input)));
}
