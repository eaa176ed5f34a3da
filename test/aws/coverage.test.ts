import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  type DBCluster,
  type DBInstance,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { rm } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { coverageLines } from "../../src/cli/coverage.js";
import { loadProject } from "../../src/definitions/project.js";
import { closeHistories, openHistory } from "../../src/history/open.js";
import type { Outcome } from "../../src/types.js";
import { record } from "../history/helpers.js";
import { awsEnvironmentYaml } from "./environment-yaml.js";
import { runMain } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";

/** `drill coverage` against a mocked account: 250 instances over 3 pages, Aurora, copies, tags. */
const CONFIG = `environments:\n${awsEnvironmentYaml("aws-staging", "{ dbInstance: prod-orders }")}${awsEnvironmentYaml("aws-billing", "{ dbInstance: PROD-BILLING }")}${awsEnvironmentYaml("aws-analytics", "{ dbCluster: prod-analytics }")}`;
const drill = (name: string, environment: string, from: string) =>
  `name: ${name}\nenvironment: ${environment}\nsteps:\n  - restore: { from: ${from} }\n`;
const DRILLS = {
  "drills/orders-restore.yaml": drill("orders-restore", "aws-staging", "{ snapshot: latest }"),
  "drills/orders-archive.yaml": drill(
    "orders-archive",
    "aws-staging",
    '{ archive: "s3://backups/orders/" }',
  ),
  "drills/billing-restore.yaml": drill("billing-restore", "aws-billing", "{ snapshot: latest }"),
  "drills/analytics-restore.yaml": drill(
    "analytics-restore",
    "aws-analytics",
    "{ pointInTime: latest }",
  ),
};
const DAY = 86_400_000;
const tag = (Key: string, Value: string) => ({ Key, Value });

/** 250 instances: production ones, 2 ignored, 6 Aurora members, 3 drill copies, 237 others. */
function instances(): DBInstance[] {
  const list: DBInstance[] = [
    { DBInstanceIdentifier: "prod-orders", TagList: [tag("team", "shop")] },
    { DBInstanceIdentifier: "prod-billing" },
    {
      DBInstanceIdentifier: "legacy-reports",
      TagList: [tag("drill:ignore", "read-only, rebuilt nightly from S3")],
    },
    { DBInstanceIdentifier: "scratch", TagList: [tag("drill:ignore", "")] },
    { DBInstanceIdentifier: "drill-20261128-100000-orders-aaaa", TagList: [] },
    {
      DBInstanceIdentifier: "drill-20261128-110000-orders-bbbb",
      TagList: [tag("drill:run", "20261128-110000-orders-bbbb")],
    },
    // Renamed by hand, still a copy a run made: its tag says so.
    { DBInstanceIdentifier: "orders-copy", TagList: [tag("drill:run", "20261128-1-orders-c")] },
  ];
  for (const cluster of ["prod-analytics", "aurora-events", "aurora-search"])
    for (const n of [1, 2])
      list.push({ DBInstanceIdentifier: `${cluster}-${n}`, DBClusterIdentifier: cluster });
  for (let i = 1; list.length < 250; i++)
    list.push({ DBInstanceIdentifier: `db-${String(i).padStart(3, "0")}` });
  return list;
}
const CLUSTERS: DBCluster[] = [
  { DBClusterIdentifier: "prod-analytics" },
  { DBClusterIdentifier: "aurora-events" },
  { DBClusterIdentifier: "aurora-search", TagList: [tag("owner", "search")] },
  {
    DBClusterIdentifier: "drill-20261128-090000-analytics-cccc",
    TagList: [tag("drill:run", "20261128-090000-analytics-cccc")],
  },
];

/** RDS answering in pages of at most MaxRecords, the Marker being the next index. */
function account(all: DBInstance[], clusters: DBCluster[]) {
  const mock = mockClient(RDSClient);
  const page = <T>(items: T[], input: { Marker?: string; MaxRecords?: number }) => {
    const from = Number(input.Marker ?? 0);
    const to = from + (input.MaxRecords ?? 100);
    return { items: items.slice(from, to), Marker: to < items.length ? String(to) : undefined };
  };
  mock
    .on(DescribeDBInstancesCommand)
    .callsFake((input: { Marker?: string; MaxRecords?: number }) => {
      const p = page(all, input);
      return { DBInstances: p.items, Marker: p.Marker };
    });
  mock
    .on(DescribeDBClustersCommand)
    .callsFake((input: { Marker?: string; MaxRecords?: number }) => {
      const p = page(clusters, { ...input, MaxRecords: 2 });
      return { DBClusters: p.items, Marker: p.Marker };
    });
  return mock;
}

async function project(files: Record<string, string>, runs: [string, number, Outcome][]) {
  const root = await makeProject({ "config/drill.yaml": CONFIG, ...files });
  const loaded = await loadProject(root, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const store = openHistory(loaded.project);
  for (const [i, [name, ageMs, outcome]] of runs.entries()) {
    const r = record(name, i, outcome);
    r.finishedAt = new Date(Date.now() - ageMs).toISOString();
    r.startedAt = new Date(Date.now() - ageMs - 1500).toISOString();
    await store.save(r);
  }
  return root;
}

let mock: ReturnType<typeof mockClient> | undefined;
const roots: string[] = [];
afterEach(async () => {
  mock?.restore();
  await closeHistories();
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

describe("drill coverage (aws)", () => {
  it("lists covered, stale, uncovered and ignored databases of a 250-instance fleet; exit 1", async () => {
    mock = account(instances(), CLUSTERS);
    const root = await project(DRILLS, [
      ["orders-restore", 1 * DAY, "passed"],
      ["orders-archive", 2 * DAY, "passed"],
      ["billing-restore", 1 * DAY, "failed"],
      ["billing-restore", 40 * DAY, "passed"],
      ["analytics-restore", 3 * DAY, "failed"],
    ]);
    roots.push(root);
    const text = await runMain(["coverage"], root);
    expect(text.stderr).toBe("");
    expect(text.code).toBe(1);

    // Instances: three pages of at most 100, each asking from where the last one ended.
    const asked = mock.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input);
    expect(asked).toEqual([
      { MaxRecords: 100 },
      { MaxRecords: 100, Marker: "100" },
      { MaxRecords: 100, Marker: "200" },
    ]);
    const clusterAsks = mock.commandCalls(DescribeDBClustersCommand).map((c) => c.args[0].input);
    expect(clusterAsks).toEqual([{ MaxRecords: 100 }, { MaxRecords: 100, Marker: "2" }]);

    const lines = text.stdout.split("\n");
    const section = (name: string) => {
      const start = lines.findIndex((l) => l.startsWith(`${name} (`));
      const rest = lines.slice(start + 1);
      return {
        heading: lines[start],
        rows: rest.slice(
          0,
          rest.findIndex((l) => !l.startsWith("  ")),
        ),
      };
    };
    const covered = section("covered");
    expect(covered.heading).toBe("covered (2)");
    // The fleet is seen by the three environments of its region; the bucket by its drill's.
    expect(covered.rows[0]).toMatch(
      /^ {2}aws-analytics,aws-billing,aws-staging +rds-instance +prod-orders +orders-restore +last pass .* \(1d ago, orders-restore\)$/,
    );
    expect(covered.rows[1]).toMatch(
      /^ {2}aws-staging +s3-prefix +s3:\/\/backups\/orders\/ +orders-archive +last pass \S+ \S+ \(2d ago, orders-archive\)$/,
    );
    const stale = section("stale");
    expect(stale.heading).toBe("stale (2)");
    expect(stale.rows[0]).toMatch(
      /aurora-cluster +prod-analytics +analytics-restore +never passed$/,
    );
    expect(stale.rows[1]).toMatch(
      /rds-instance +prod-billing +billing-restore +last pass .* \(40d ago/,
    );
    const uncovered = section("uncovered");
    // 237 stand-alone instances and two clusters nobody restores.
    expect(uncovered.heading).toBe("uncovered (239)");
    expect(
      uncovered.rows.filter((r) => /aurora-cluster +aurora-(events|search) +no drill$/.test(r)),
    ).toHaveLength(2);
    expect(uncovered.rows.filter((r) => /rds-instance +db-\d{3} +no drill$/.test(r))).toHaveLength(
      237,
    );
    const ignored = section("ignored");
    expect(ignored.rows).toEqual([
      expect.stringMatching(
        /legacy-reports +no drill +ignored: read-only, rebuilt nightly from S3$/,
      ),
      expect.stringMatching(/scratch +no drill +ignored: no reason given$/),
    ]);
    // Cluster members and drill's own copies are nowhere.
    expect(text.stdout).not.toMatch(/prod-analytics-1|aurora-events-2|drill-2026|orders-copy/);
    expect(lines.at(-2)).toBe(
      "coverage: 2 covered, 2 stale, 239 uncovered, 2 ignored (maxAge 35d)",
    );

    const json = await runMain(["coverage", "--json"], root);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as {
      counts: Record<string, number>;
      entries: { id: string; kind: string; state: string; drills: string[]; environment: string }[];
    };
    expect(report.counts).toEqual({ covered: 2, stale: 2, uncovered: 239, ignored: 2 });
    expect(report.entries).toHaveLength(245);
    expect(report.entries.find((e) => e.id === "prod-billing")).toMatchObject({
      kind: "rds-instance",
      state: "stale",
      drills: ["billing-restore"],
      environment: "aws-analytics,aws-billing,aws-staging",
    });
  });

  it("exits 0 when every database has a recent pass, 2 for an unknown environment", async () => {
    mock = account(
      [
        { DBInstanceIdentifier: "prod-orders" },
        { DBInstanceIdentifier: "drill-20261128-100000-orders-aaaa" },
      ],
      [],
    );
    const root = await project(
      { "drills/orders-restore.yaml": DRILLS["drills/orders-restore.yaml"] },
      [["orders-restore", 3 * DAY, "passed"]],
    );
    roots.push(root);
    const only = await runMain(["coverage", "--environment", "aws-staging"], root);
    expect(only.stdout.split("\n")[0]).toBe("covered (1)");
    expect(only.stdout).toContain("coverage: 1 covered, 0 stale, 0 uncovered, 0 ignored");
    expect(only.code).toBe(0);
    const unknown = await runMain(["coverage", "--environment", "aws-prod"], root);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'drill: --environment: unknown environment "aws-prod" (known: aws-analytics, aws-billing, aws-staging)\n',
    );
  });

  it("says in one line that AWS refused the listing; exit 3", async () => {
    mock = mockClient(RDSClient);
    mock.on(DescribeDBInstancesCommand).rejects(
      Object.assign(new Error("User is not authorized to perform rds:DescribeDBInstances"), {
        name: "AccessDenied",
      }),
    );
    const root = await project({}, []);
    roots.push(root);
    const denied = await runMain(["coverage"], root);
    expect(denied.code).toBe(3);
    expect(denied.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^drill: listing RDS instances: AccessDenied: User is not authorized/),
    ]);
  });
});

describe("a tag value from the account", () => {
  it("prints on its line, terminal escapes and line breaks shown, not obeyed", () => {
    const lines = coverageLines({
      checkedAt: "2026-12-02T00:00:00.000Z",
      maxAgeMs: 35 * 86_400_000,
      counts: { covered: 0, stale: 0, uncovered: 0, ignored: 1 },
      entries: [
        {
          environment: "aws-prod",
          kind: "rds-instance",
          id: "legacy",
          ignored: "\u001b[2J\ncovered (1)\n  aws-prod rds-instance legacy",
          state: "ignored",
          drills: [],
          lastPass: null,
        },
      ],
    });
    expect(lines).toEqual([
      "ignored (1)",
      "  aws-prod  rds-instance  legacy  no drill  ignored: \\u001b[2J\\ncovered (1)\\n  aws-prod rds-instance legacy",
      "coverage: 0 covered, 0 stale, 0 uncovered, 1 ignored (maxAge 35d)",
    ]);
  });
});
