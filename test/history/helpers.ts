import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { RECORD_SCHEMA_VERSION, type Outcome, type RunRecord } from "../../src/types.js";

/** A run record as the engine makes them; `minute` orders them in time. */
export function record(drill: string, minute: number, outcome: Outcome = "passed"): RunRecord {
  const started = Date.parse("2026-11-28T10:00:00Z") + minute * 60_000;
  const stamp = new Date(started).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: `${stamp}-${drill}-${(minute + 0xa000).toString(16)}`,
    drill,
    environment: "sandbox",
    provider: "local",
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(started + 1500).toISOString(),
    durationMs: 1500,
    outcome,
    steps: [],
    measurements: {
      rtoMs: { value: 1200, objective: 300_000, met: true },
      rpoMs: { value: 4600, objective: 93_600_000, met: true },
    },
    findings: outcome === "passed" ? [] : ["verify: rowCount orders: measured 0, expected >= 1"],
  };
}

/** s3rver on a free port with one bucket; `stop()` closes it and deletes its files. */
export async function startS3(bucket: string) {
  const directory = await mkdtemp(join(tmpdir(), "drill-s3rver-"));
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** s3rver accepts only this key pair. */
    client: {
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    },
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
