import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import type { RunRecord } from "../../src/types.js";
import { startTestCluster } from "../helpers/cluster.js";
import { makeProject, runCli } from "../helpers/project.js";
import { processesNaming } from "../helpers/processes.js";
import { s3OnlyAwsEnv, startS3rver } from "../helpers/s3rver.js";
import { SEED_SCALE } from "../helpers/seed-setup.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { tempDir } from "../helpers/temp.js";

const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";
// Each drill holds its copy a moment (a check on the server), so two runs in turn cannot overlap.
const hold = `- sql: { name: a while, query: "select count(*) from (select pg_sleep(2)) s", expect: 1 }`;

let root: string;
let endpoint: string;
let stop: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const s3 = await startS3rver();
  endpoint = s3.endpoint;
  const pg = await startTestCluster();
  stop = [s3.stop, pg.stop];
  const c = pg.connection;
  await withSession(c, (db) =>
    db.query("create table t as select g as id from generate_series(1, 100) g"),
  );
  const dir = await tempDir("run-all-dump");
  const file = join(dir, "t.dump");
  await promisify(execFile)(
    PG_DUMP,
    ["-h", c.host, "-p", String(c.port), "-U", c.user, "-d", c.database, "-Fc", "-f", file],
    { env: { ...process.env, PGPASSWORD: c.password ?? "" } },
  );
  await s3.s3.send(new CreateBucketCommand({ Bucket: "backups" }));
  await s3.s3.send(
    new PutObjectCommand({ Bucket: "backups", Key: "t.dump", Body: await readFile(file) }),
  );
  root = await makeProject({
    "config/drill.yaml": `environments:
  sandbox: { provider: local, scale: ${SEED_SCALE} }
  aws-staging:
    provider: aws
    region: us-east-1
    production: { dbInstance: prod-orders }
    staging: { instanceClass: db.t4g.medium, subnetGroup: staging-isolated, securityGroups: [sg-0123456789abcdef0], runnerSecurityGroup: sg-0fedcba987654321f, ttl: 6h }
`,
    "drills/local.yaml": `name: local
environment: sandbox
steps:
  - restore: { from: { snapshot: latest } }
  - verify: { checks: [ { rowCount: { table: customers, min: 10 } } ] }
  - verify: { name: hold, checks: [ ${hold.slice(2)} ] }
`,
    "drills/remote.yaml": `name: remote
environment: aws-staging
steps:
  - restore: { from: { archive: "s3://backups/t.dump" } }
  - verify: { checks: [ { rowCount: { table: t, min: 100, max: 100 } } ] }
  - verify: { name: hold, checks: [ ${hold.slice(2)} ] }
`,
  });
  await seedSandbox(root);
});

afterAll(async () => {
  for (const s of stop) await s();
  expect(processesNaming(root)).toEqual([]);
});

it("runs a drill of an aws environment side by side with one of the local sandbox", async () => {
  const r = await runCli(["run", "--all", "--json"], {
    cwd: root,
    env: s3OnlyAwsEnv(endpoint),
  });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const [a, b] = (JSON.parse(r.stdout) as RunRecord[]).map((x) => ({
    drill: x.drill,
    outcome: x.outcome,
    from: Date.parse(x.startedAt),
    to: Date.parse(x.finishedAt),
  }));
  expect([a!.drill, a!.outcome, b!.drill, b!.outcome]).toEqual([
    "local",
    "passed",
    "remote",
    "passed",
  ]);
  // Overlap: each started before the other finished.
  expect(a!.from).toBeLessThan(b!.to);
  expect(b!.from).toBeLessThan(a!.to);
}, 60_000);
