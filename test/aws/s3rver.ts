import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

/** A real S3-protocol server on a free port in a temp folder, and a client set up for it. */
export async function startS3rver(): Promise<{ s3: S3Client; stop(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "drill-s3rver-"));
  const server = new S3rver({ port: 0, address: "127.0.0.1", directory: dir, silent: true }) as {
    run(): Promise<{ port: number }>;
    close(): Promise<void>;
  };
  const { port } = await server.run();
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    // Without these, streamed uploads are stored corrupted (see DESIGN.md).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return {
    s3,
    async stop() {
      s3.destroy();
      await server.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
