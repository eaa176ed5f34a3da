import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { drillSchema } from "../../src/definitions/drill.js";
import { resolveDrill, resolveSteps } from "../../src/definitions/steps.js";
import { runDrill } from "../../src/engine/runner.js";
import { silentLogger } from "../../src/log.js";
import type { Provider } from "../../src/providers/types.js";
import type { StepContext } from "../../src/steps/types.js";
import { verify } from "../../src/steps/verify.js";
import type { Measurement, RunRecord } from "../../src/types.js";
import { startTestCluster } from "../helpers/cluster.js";
import { REPO } from "../helpers/project.js";
import { templateCopyProvider } from "../helpers/template-copy.js";

let pg: Awaited<ReturnType<typeof startTestCluster>>;

const NEWEST = Date.parse("2026-01-01T00:00:00Z"); // newest orders.created_at
const HOUR = 3_600_000;

beforeAll(async () => {
  pg = await startTestCluster();
  await withSession(pg.connection, async (db) => {
    await db.query("create table orders (id int primary key, created_at timestamptz not null)");
    await db.query(
      "insert into orders select g, $1::timestamptz - (g - 1) * interval '1 minute' from generate_series(1, 10) g",
      [new Date(NEWEST)],
    );
  });
});
afterAll(async () => pg?.stop());

const unusedProvider: Provider = {
  name: "none",
  prepare: () => Promise.reject(new Error("not used")),
  planRestore: () => Promise.reject(new Error("not used")),
  restore: () => Promise.reject(new Error("not used")),
  release: async () => {},
};

/** A run whose verify counted `orders` rows: what history holds for this drill. */
const pastRun = (id: string, outcome: RunRecord["outcome"], orders: number): RunRecord => ({
  schemaVersion: 1,
  id,
  drill: "shop",
  environment: "sandbox",
  provider: "local",
  startedAt: "2025-12-01T00:00:00.000Z",
  finishedAt: "2025-12-01T00:00:01.000Z",
  durationMs: 1000,
  outcome,
  steps: [
    {
      name: "verify",
      kind: "verify",
      startedAt: "2025-12-01T00:00:00.000Z",
      durationMs: 1,
      outcome: outcome === "passed" ? "passed" : "failed",
      details: {
        checks: [
          {
            name: "rowCount orders",
            kind: "rowCount",
            outcome: "passed",
            measured: orders,
            expected: ">= 1",
            durationMs: 1,
            details: { table: "orders" },
          },
        ],
      },
    },
  ],
  measurements: {},
  findings: [],
});

async function runVerify(checks: unknown[], history: RunRecord[], readyAt: number) {
  const drill = drillSchema.parse({
    name: "shop",
    environment: "sandbox",
    objectives: { rpo: "3h" },
    steps: [
      { restore: { from: { snapshot: "latest" }, newestData: "orders.created_at" } },
      { verify: { checks } },
    ],
  });
  const steps = resolveSteps(drill);
  const step = steps[1]!;
  if (step.kind !== "verify") throw new Error("the second step is verify");
  // What the restore step recorded: its newestData aged at the moment the copy came up.
  const restoreRpo = {
    ...{ value: readyAt - NEWEST, objective: 3 * HOUR, met: readyAt - NEWEST <= 3 * HOUR },
    ...{ step: "restore", about: "newestData orders.created_at" },
  };
  const measured: Record<string, Measurement & { objectiveGiven: number | null }> = {};
  let historyReads = 0;
  const ctx: StepContext = {
    runId: "20260101-040000-shop-bbbb",
    resources: {
      scrubbers: new Map(),
      history: async () => (historyReads++, history),
    },
    resolvePath: (p) => `${REPO}/${p}`,
    drill,
    steps,
    step,
    provider: unusedProvider,
    signal: new AbortController().signal,
    clock: { now: () => readyAt + 60_000 },
    log: silentLogger,
    target: {
      connection: pg.connection,
      source: { kind: "snapshot", id: "snap-1", takenAt: new Date(NEWEST + HOUR).toISOString() },
      readyAt,
    },
    setTarget: () => {},
    defer: () => {},
    runDeferred: async () => [],
    progress: () => {},
    measure: (name, value, objective = null) => {
      measured[name] = { value, objective, met: null, objectiveGiven: objective };
    },
    measurement: (name) => (name === "rpoMs" ? restoreRpo : undefined),
  };
  const result = await verify.run(step.options, ctx);
  return { result, measured, historyReads };
}

describe("verify step", () => {
  it("compares row counts with the newest passed run in history, skipping failed ones", async () => {
    const history = [
      pastRun("20260101-030000-shop-f", "failed", 5),
      pastRun("20260101-020000-shop-p", "passed", 10),
      pastRun("20260101-010000-shop-o", "passed", 1000),
    ];
    const { result, historyReads } = await runVerify(
      [
        { rowCount: { table: "orders", withinPercentOfPrevious: 10 } },
        { rowCount: { table: "orders", withinPercentOfPrevious: 1, name: "again" } },
      ],
      history,
      NEWEST + 2 * HOUR,
    );
    expect(result.outcome).toBe("passed");
    expect(historyReads).toBe(1);
    const checks = result.details.checks as { expected: string }[];
    expect(checks.map((c) => c.expected)).toEqual([
      "within 10% of 10 (run 20260101-020000-shop-p)",
      "within 1% of 10 (run 20260101-020000-shop-p)",
    ]);
    const dropped = await runVerify(
      [{ rowCount: { table: "orders", withinPercentOfPrevious: 10 } }],
      [pastRun("20260101-020000-shop-p", "passed", 20)],
      NEWEST + 2 * HOUR,
    );
    expect(dropped.result.outcome).toBe("failed");
    expect(dropped.result.findings).toEqual([
      'check "rowCount orders": dropped 50% since run 20260101-020000-shop-p: 10 rows, was 20',
    ]);
  });

  it("reports the worst RPO of the freshness checks and the restore's newestData", async () => {
    // Snapshot 1h after the newest order; copy up 5h after it: restore's view is the worse one.
    const late = await runVerify(
      [{ freshness: { table: "orders", column: "created_at", maxAge: "2h" } }],
      [],
      NEWEST + 5 * HOUR,
    );
    expect(late.result.outcome).toBe("passed");
    expect(late.measured.rpoMs).toMatchObject({ value: 5 * HOUR, objectiveGiven: 3 * HOUR });
    expect(late.result.details.rpo).toEqual({
      valueMs: 5 * HOUR,
      from: "restore newestData orders.created_at",
      candidates: [
        { from: 'check "freshness orders.created_at" (against snapshot)', ageMs: HOUR },
        { from: "restore newestData orders.created_at", ageMs: 5 * HOUR },
      ],
    });
    // Copy up right away, checked against now (readyAt + 1 min + 30 min later): freshness is worse.
    const now = await runVerify(
      [{ freshness: { table: "orders", column: "created_at", against: "now", maxAge: "1h" } }],
      [],
      NEWEST + 30 * 60_000,
    );
    expect(now.result.details.rpo).toMatchObject({
      valueMs: 31 * 60_000,
      from: 'check "freshness orders.created_at" (against now)',
    });
    expect(now.measured.rpoMs!.value).toBe(31 * 60_000);
  });

  it("leaves the RPO to the restore step when no freshness check measured one", async () => {
    const { result, measured } = await runVerify(
      [{ rowCount: { table: "orders", exact: 10 } }],
      [],
      NEWEST,
    );
    expect(result.outcome).toBe("passed");
    expect(result.details.rpo).toBeUndefined();
    expect(measured).toEqual({});
  });
});

describe("verify in a run", () => {
  it("takes the restore step's newestData RPO from the run's measurements, not a query of its own", async () => {
    const admin = { ...pg.connection, database: "postgres" };
    await withSession(admin, (db) => db.query("create database rpo_source"));
    await withSession({ ...pg.connection, database: "rpo_source" }, async (db) => {
      await db.query("create table orders (id int primary key, created_at timestamptz)");
      await db.query("insert into orders values (1, $1)", [new Date(NEWEST)]);
      // Events are newer than orders: their freshness is the better view, restore's the worse.
      await db.query("create table events (id int primary key, at timestamptz)");
      await db.query("insert into events values (1, $1)", [new Date(NEWEST + 4.5 * HOUR)]);
    });
    const drill = drillSchema.parse({
      name: "shop",
      environment: "sandbox",
      objectives: { rpo: "3h" },
      steps: [
        {
          restore: {
            name: "bring-up",
            from: { snapshot: "latest" },
            newestData: "orders.created_at",
          },
        },
        { verify: { checks: [{ freshness: { table: "events", column: "at", against: "now" } }] } },
      ],
    });
    const { record } = await runDrill(
      resolveDrill(drill),
      {
        provider: templateCopyProvider(pg.connection, "rpo_source"),
        clock: { now: () => NEWEST + 5 * HOUR },
        log: silentLogger,
        resolvePath: (p) => p,
        resources: { scrubbers: new Map(), history: async () => [] },
      },
      new AbortController().signal,
      () => {},
    );
    expect(record.steps.map((s) => [s.name, s.outcome])).toEqual([
      ["bring-up", "passed"],
      ["verify", "passed"],
      ["cleanup", "passed"],
    ]);
    expect(record.steps[1]!.details.rpo).toEqual({
      valueMs: 5 * HOUR,
      from: "bring-up newestData orders.created_at",
      candidates: [
        { from: 'check "freshness events.at" (against now)', ageMs: 30 * 60_000 },
        { from: "bring-up newestData orders.created_at", ageMs: 5 * HOUR },
      ],
    });
    expect(record.measurements.rpoMs).toEqual({ value: 5 * HOUR, objective: 3 * HOUR, met: false });
  });
});
