import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { rm } from "node:fs/promises";
import { Writable } from "node:stream";
import parsePrometheus from "parse-prometheus-text-format";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CoverageWatch } from "../../src/daemon/coverage.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { loadProject } from "../../src/definitions/project.js";
import { closeHistories, openHistory } from "../../src/history/open.js";
import { createLogger } from "../../src/log.js";
import { awsEnvironmentYaml } from "../aws/environment-yaml.js";
import { record } from "../history/helpers.js";
import { makeProject } from "../helpers/project.js";
import { startReceiver } from "../notify/receiver.js";

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => (receiver = await startReceiver()));
afterAll(async () => receiver?.close());

const T0 = Date.parse("2026-11-28T03:00:00Z");
const HOUR = 3_600_000;
const CONFIG = `environments:
${awsEnvironmentYaml("aws-staging", "{ dbInstance: prod-orders }")}channels:
  audit: { webhook: { url: "\${HOOK_URL}" } }
coverage: { maxAge: 3h, every: 1h, notify: [audit] }
`;

it("sets drill_coverage_databases and announces each newly uncovered database once", async () => {
  const root = await makeProject({
    "config/drill.yaml": CONFIG,
    "drills/orders-restore.yaml":
      "name: orders-restore\nenvironment: aws-staging\nsteps:\n  - restore: { from: { snapshot: latest } }\n",
  });
  const env = { HOOK_URL: receiver.url("/hook") };
  const loaded = await loadProject(root, env);
  if (!loaded.ok) throw new Error("project");
  const pass = async (finishedAt: number) => {
    const r = record("orders-restore", finishedAt / 60_000);
    r.finishedAt = new Date(finishedAt).toISOString();
    await openHistory(loaded.project).save(r);
  };
  await pass(T0 - 4 * HOUR);

  const fleet = ["prod-orders", "db-a"];
  let down = false;
  const rds = mockClient(RDSClient);
  rds.on(DescribeDBInstancesCommand).callsFake(() => {
    if (down) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    return { DBInstances: fleet.map((id) => ({ DBInstanceIdentifier: id })) };
  });
  rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });

  let now = T0;
  let logged = "";
  const log = createLogger(
    "warn",
    new Writable({ write: (c: Buffer, _e, done) => ((logged += c.toString()), done()) }),
  );
  let port = 0;
  const daemon = await Daemon.load({
    root,
    env,
    log,
    signal: new AbortController().signal,
    port: 0,
    host: "127.0.0.1",
    watch: false,
    clock: { now: () => now },
    // Time moves only when the test says: rounds are driven by maintain().
    timer: { set: () => 0, clear: () => {} },
    onListening: (p) => (port = p),
    execute: () => Promise.reject(new Error("no drill is scheduled")),
  });
  if (!daemon) throw new Error("daemon");
  const gauges = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const family = parsePrometheus(text).find((f) => f.name === "drill_coverage_databases");
    return Object.fromEntries((family?.metrics ?? []).map((m) => [m.labels?.state, m.value]));
  };
  const notices = () =>
    receiver.received.map((r) => r.body as { type: string; title: string; text: string });
  const at = async (t: number) => {
    now = t;
    await daemon.maintain();
  };
  try {
    await daemon.start();
    await at(T0);
    expect(await gauges()).toEqual({ covered: "0", stale: "1", uncovered: "1" });
    expect(notices()).toEqual([
      {
        type: "notice",
        drill: "coverage",
        title: "🛡 2 databases without a recent passing drill",
        text: "rds-instance db-a (aws-staging): no drill restores it\nrds-instance prod-orders (aws-staging): last passing drill 4h ago (orders-restore)",
      },
    ]);

    // A pass, and a new database: one announcement, of the new one only.
    await pass(T0 + HOUR / 2);
    await at(T0 + HOUR / 2);
    expect(notices()).toHaveLength(1);
    fleet.push("db-b");
    await at(T0 + HOUR);
    expect(await gauges()).toEqual({ covered: "1", stale: "0", uncovered: "2" });
    expect(notices().map((n) => n.text)).toEqual([
      expect.any(String),
      "rds-instance db-b (aws-staging): no drill restores it",
    ]);
    await at(T0 + 2 * HOUR);
    expect(notices()).toHaveLength(2);

    // AWS unreachable: a warning, the last values stay.
    down = true;
    await at(T0 + 3 * HOUR);
    expect(logged).toContain("coverage check failed; keeping the last values");
    expect(logged).toContain("cannot reach AWS (ECONNREFUSED)");
    expect(await gauges()).toEqual({ covered: "1", stale: "0", uncovered: "2" });

    // Covered since, stale again: announced again.
    down = false;
    await at(T0 + 4 * HOUR);
    expect(await gauges()).toEqual({ covered: "0", stale: "1", uncovered: "2" });
    expect(notices().map((n) => n.text)).toEqual([
      expect.any(String),
      expect.any(String),
      "rds-instance prod-orders (aws-staging): last passing drill 3h30m ago (orders-restore)",
    ]);
    const asked = rds.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input);
    expect(asked).toHaveLength(5);
    for (const input of asked) expect(input).toEqual({ MaxRecords: 100 });
  } finally {
    await daemon.stop();
    rds.restore();
    await closeHistories();
    await rm(root, { recursive: true, force: true });
  }
});

it("does not hold the daemon's round on a listing that hangs, and starts no second one meanwhile", async () => {
  let calls = 0;
  let release: (() => void) | undefined;
  let logged = "";
  const log = createLogger(
    "warn",
    new Writable({ write: (c: Buffer, _e, done) => ((logged += c.toString()), done()) }),
  );
  let now = T0;
  const watch = new CoverageWatch({
    clock: { now: () => now },
    log,
    metrics: { coverage: () => {} },
    settings: () => ({ maxAge: 35 * 24 * HOUR, every: HOUR }),
    collect: () => {
      calls++;
      return new Promise((resolve) => {
        release = () =>
          resolve({
            checkedAt: "",
            maxAgeMs: 0,
            entries: [],
            counts: { covered: 0, stale: 0, uncovered: 0, ignored: 0 },
          });
      });
    },
    announce: () => Promise.resolve(),
    waitMs: 20,
  });
  await watch.maybeCheck();
  expect(logged).toContain("coverage check still running after 0.02 s; going on without it");
  now += 2 * HOUR;
  await watch.maybeCheck();
  expect(calls).toBe(1);
  release!();
  await new Promise((r) => setImmediate(r));
  await watch.maybeCheck();
  expect(calls).toBe(2);
});
