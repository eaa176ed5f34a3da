import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanupProject, type CleanupItem } from "../../src/cleanup/cleanup.js";
import { closeHistories } from "../../src/history/open.js";
import { makeProject, runCli } from "../helpers/project.js";
import { fakeAccount, type FakeResource } from "./aws-fake.js";
import { deadPid, iso, load, marker } from "./fixtures.js";

/** `drill cleanup` in an aws environment: tagged resources past expiry or of a dead run, nothing else. */
const CONFIG = `environments:
  aws-staging:
    provider: aws
    region: eu-west-1
    production: { dbInstance: prod-orders }
    staging: { instanceClass: db.t4g.medium, subnetGroup: staging-isolated, securityGroups: [sg-0123456789abcdef0], runnerSecurityGroup: sg-0fedcba987654321f, ttl: 6h }
`;
const FAST = { minDelaySec: 0.001, maxDelaySec: 0.002, deletedMs: 2_000 };
const DEAD_RUN = "20261128-100000-orders-dead";

const tags = (run: string, expires: number, environment = "aws-staging") => ({
  "drill:run": run,
  "drill:drill": "orders",
  "drill:environment": environment,
  "drill:expires-at": iso(expires),
});
const past = Date.now() - 60_000;
const future = Date.now() + 3_600_000;

const ACCOUNT = (): Record<string, FakeResource> => ({
  "drill-20261128-100000-orders-aaaa": {
    kind: "instance",
    tags: tags("20261128-100000-orders-aaaa", past),
  },
  "drill-20261128-110000-orders-bbbb": {
    kind: "instance",
    tags: tags("20261128-110000-orders-bbbb", future),
  },
  "team-reporting": { kind: "instance", tags: {} },
  // Production, even tagged as if a run made it, is never touched.
  "prod-orders": { kind: "instance", tags: tags("20261128-100000-orders-ffff", past) },
  "drill-20261128-100000-orders-0e0e": {
    kind: "instance",
    tags: tags("20261128-100000-orders-0e0e", past, "aws-other"),
  },
  [`drill-${DEAD_RUN}`]: { kind: "instance", tags: tags(DEAD_RUN, future) },
  "drill-20261128-090000-orders-cccc": {
    kind: "cluster",
    tags: tags("20261128-090000-orders-cccc", past),
  },
  "drill-20261128-090000-orders-cccc-1": {
    kind: "instance",
    cluster: "drill-20261128-090000-orders-cccc",
    tags: tags("20261128-090000-orders-cccc", past),
  },
  "drill-20261128-080000-orders-dddd": {
    kind: "bucket",
    tags: tags("20261128-080000-orders-dddd", past),
    objects: ["a.csv", "b.csv"],
  },
  "drill-20261128-120000-orders-eeee": {
    kind: "bucket",
    tags: tags("20261128-120000-orders-eeee", future),
  },
  "my-data": { kind: "bucket", tags: {} },
});

let root: string;
let account: ReturnType<typeof fakeAccount>;
beforeEach(async () => {
  root = await makeProject({ "config/drill.yaml": CONFIG });
  account = fakeAccount(ACCOUNT());
  await marker(root, DEAD_RUN, deadPid(), "aws-staging");
});
afterEach(async () => {
  account.restore();
  await closeHistories();
  await rm(root, { recursive: true, force: true });
});

const cleanup = async (o: { dryRun?: boolean } = {}) =>
  cleanupProject(await load(root), { ...o, aws: { clients: () => account.clients, waits: FAST } });
const lines = (items: CleanupItem[]) => items.map((i) => `${i.status} ${i.kind} ${i.what}`).sort();

describe("drill cleanup, aws", () => {
  it("deletes expired tagged instances, clusters (with their instances), buckets and a dead run's instance", async () => {
    const items = await cleanup();
    expect(lines(items)).toEqual([
      "removed aurora cluster drill-20261128-090000-orders-cccc (aws-staging)",
      "removed rds instance drill-20261128-100000-orders-aaaa (aws-staging)",
      `removed rds instance drill-${DEAD_RUN} (aws-staging)`,
      `removed run ${DEAD_RUN} as error ("runner died") in history`,
      "removed staging bucket drill-20261128-080000-orders-dddd (aws-staging)",
    ]);
    expect([...account.state.keys()].sort()).toEqual([
      "drill-20261128-100000-orders-0e0e",
      "drill-20261128-110000-orders-bbbb",
      "drill-20261128-120000-orders-eeee",
      "my-data",
      "prod-orders",
      "team-reporting",
    ]);
    // Deleted without a final snapshot; the bucket emptied first; untagged buckets never read.
    expect(account.calls("DeleteDBInstance").map((c) => c.args[0].input)).toContainEqual({
      DBInstanceIdentifier: "drill-20261128-100000-orders-aaaa",
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(account.calls("DeleteObjects")).toHaveLength(1);
    const tagged = account
      .calls("GetBucketTagging")
      .map((c) => (c.args[0].input as { Bucket: string }).Bucket);
    expect(tagged).not.toContain("my-data");
    // The listing followed the pages.
    expect(
      account
        .calls("DescribeDBInstances")
        .filter((c) => !("DBInstanceIdentifier" in c.args[0].input)).length,
    ).toBe(4);
  });

  it("--dry-run lists the same and deletes nothing", async () => {
    const items = await cleanup({ dryRun: true });
    expect(items.filter((i) => i.kind !== "run").map((i) => i.status)).toEqual(
      Array(4).fill("listed"),
    );
    expect(account.state.size).toBe(Object.keys(ACCOUNT()).length);
    expect(account.calls("DeleteDBInstance")).toEqual([]);
    expect(account.calls("DeleteBucket")).toEqual([]);
  });

  it("reports a delete AWS refuses as failed, and goes on with the rest", async () => {
    const { DeleteDBClusterCommand } = await import("@aws-sdk/client-rds");
    account.rds
      .on(DeleteDBClusterCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));
    const items = await cleanup();
    const failed = items.filter((i) => i.status === "failed");
    expect(failed.map((i) => i.kind)).toEqual(["aurora cluster"]);
    expect(failed[0]!.error).toMatch(/AccessDenied/);
    expect(items.filter((i) => i.status === "removed")).toHaveLength(4);
  });
});

describe("drill cleanup, aws: snapshot copies and kept copies", () => {
  const KEPT = "20261128-090000-orders-kkkk";
  const copies = (): Record<string, FakeResource> => ({
    // A cross-account KMS copy left by a run: expired, deleted.
    "drill-20261128-100000-orders-aaaa": {
      kind: "snapshot",
      tags: tags("20261128-100000-orders-aaaa", past),
    },
    "drill-20261128-090000-orders-cccc": {
      kind: "cluster-snapshot",
      tags: tags("20261128-090000-orders-cccc", past),
    },
    // Not yet expired; and a snapshot nobody tagged: both left alone.
    "drill-20261128-110000-orders-bbbb": {
      kind: "snapshot",
      tags: tags("20261128-110000-orders-bbbb", future),
    },
    "manual-before-upgrade": { kind: "snapshot", tags: {} },
    // Kept for the team (expiry moved to the keep time): left, even though its run died since.
    [`drill-${DEAD_RUN}`]: {
      kind: "instance",
      tags: { ...tags(DEAD_RUN, future), "drill:kept-until": iso(future) },
    },
    // Kept, and the keep time has passed: deleted like any expired copy.
    [`drill-${KEPT}`]: {
      kind: "instance",
      tags: { ...tags(KEPT, past), "drill:kept-until": iso(past) },
    },
  });

  it("deletes expired tagged snapshot copies and kept copies past their time, nothing else", async () => {
    account.restore();
    account = fakeAccount(copies());
    const pgpass = (run: string) => join(root, ".drill/kept/aws", `${run}.pgpass`);
    await mkdir(join(root, ".drill/kept/aws"), { recursive: true });
    for (const run of [KEPT, DEAD_RUN]) await writeFile(pgpass(run), "h:5432:db:u:pw\n");
    const items = await cleanup();
    // The expired kept copy's password file went with it; the one still kept stays.
    expect([existsSync(pgpass(KEPT)), existsSync(pgpass(DEAD_RUN))]).toEqual([false, true]);
    expect(lines(items.filter((i) => i.kind !== "run"))).toEqual([
      "removed aurora snapshot copy drill-20261128-090000-orders-cccc (aws-staging)",
      `removed rds instance drill-${KEPT} (aws-staging)`,
      "removed rds snapshot copy drill-20261128-100000-orders-aaaa (aws-staging)",
    ]);
    expect([...account.state.keys()].sort()).toEqual([
      `drill-${DEAD_RUN}`,
      "drill-20261128-110000-orders-bbbb",
      "manual-before-upgrade",
    ]);
    expect(account.calls("DeleteDBSnapshot").map((c) => c.args[0].input)).toEqual([
      { DBSnapshotIdentifier: "drill-20261128-100000-orders-aaaa" },
    ]);
    expect(account.calls("DeleteDBClusterSnapshot").map((c) => c.args[0].input)).toEqual([
      { DBClusterSnapshotIdentifier: "drill-20261128-090000-orders-cccc" },
    ]);
    // Only manual snapshots are listed: automated ones belong to their database.
    expect(account.calls("DescribeDBSnapshots")[0]!.args[0].input).toEqual({
      SnapshotType: "manual",
    });
    expect(account.calls("DescribeDBClusterSnapshots")[0]!.args[0].input).toEqual({
      SnapshotType: "manual",
    });
  });
});

it("drill cleanup exits 3 when AWS cannot be reached, and says so", async () => {
  const r = await runCli(["cleanup"], {
    cwd: root,
    env: {
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_ENDPOINT_URL: "http://127.0.0.1:9",
      AWS_MAX_ATTEMPTS: "1",
    },
  });
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/^could not remove aws tagged resources/m);
  expect(r.stderr).toMatch(/could not be removed/);
});
