import { rm } from "node:fs/promises";
import { S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { tempDir } from "./temp.js";

/**
 * A real S3-protocol server on a free port in a temp folder, with `buckets` made, and a client
 * set up for it. `client` is what drill's own S3 settings take; `stop()` deletes the files.
 */
export async function startS3rver(buckets: string[] = []) {
  const directory = await tempDir("s3rver");
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  /** s3rver accepts only this key pair. */
  const client = {
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  };
  const s3 = new S3Client({
    ...client,
    endpoint,
    forcePathStyle: true,
    // Without these, streamed uploads are stored corrupted (see DESIGN.md).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return {
    endpoint,
    client,
    s3,
    async stop() {
      s3.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Environment for a `drill` process that may reach only s3rver: RDS and EC2 endpoints point at a
 * closed port, so any call to them fails the run (nothing of them may be used).
 */
export const s3OnlyAwsEnv = (endpoint: string): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: "S3RVER",
  AWS_SECRET_ACCESS_KEY: "S3RVER",
  AWS_ENDPOINT_URL_S3: endpoint,
  AWS_ENDPOINT_URL_RDS: "http://127.0.0.1:9",
  AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:9",
  AWS_MAX_ATTEMPTS: "1",
  // The SDK warns on stderr under Node 20 (it will need 22 from 2027): not these tests'.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
});
