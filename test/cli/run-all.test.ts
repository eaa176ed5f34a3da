import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lanesOf } from "../../src/cli/run.js";
import type { Project } from "../../src/definitions/project.js";
import type { RunRecord } from "../../src/types.js";
import { makeProject, runCli } from "../helpers/project.js";
import { processesNaming } from "../helpers/processes.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { SEED_SCALE } from "../helpers/seed-setup.js";

const drill = (name: string, environment: string, check: string) => `
name: ${name}
environment: ${environment}
objectives: { rto: 5m, rpo: 26h }
steps:
  - restore: { from: { snapshot: latest }, newestData: orders.created_at }
  - verify:
      checks:
        - ${check}
`;

let root: string;

beforeAll(async () => {
  root = await makeProject({
    // Two local environments: both are the project's one sandbox, so their drills take turns.
    "config/drill.yaml": `environments:\n  sandbox: { provider: local, scale: ${SEED_SCALE} }\n  second: { provider: local, scale: ${SEED_SCALE} }\n`,
    "drills/good.yaml": drill("good", "sandbox", "rowCount: { table: customers, min: 10 }"),
    "drills/bad.yaml": drill("bad", "second", "rowCount: { table: customers, min: 100000000 }"),
  });
  await seedSandbox(root);
});

afterAll(() => {
  expect(processesNaming(root)).toEqual([]);
});

describe("drill run --all", () => {
  it("ends with one scorecard of every drill and exits with the worst outcome", async () => {
    const r = await runCli(["run", "--all"], { cwd: root });
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect(r.code).toBe(1);
    const card = r.stdout.slice(r.stdout.lastIndexOf("scorecard"));
    expect(card).toMatch(/drill\s+outcome\s+restore\s+RTO\s+RPO\s+downtime\s+leak scan\s+evidence/);
    expect(card).toMatch(/\nbad\s+failed\s+\S+\s+-\s+\S+ met\s+-\s+-\s+\S*\.drill\/history\/bad\//);
    expect(card).toMatch(
      /\ngood\s+passed\s+\S+\s+\S+ met\s+\S+ met\s+-\s+-\s+\S*\.drill\/history\/good\//,
    );
  });

  it("prints an array of records with --json; drills of local environments never overlap", async () => {
    const r = await runCli(["run", "--all", "--json"], { cwd: root });
    expect(r.code).toBe(1);
    const records = JSON.parse(r.stdout) as RunRecord[];
    expect(records.map((x) => [x.drill, x.outcome]).sort()).toEqual([
      ["bad", "failed"],
      ["good", "passed"],
    ]);
    const [a, b] = records.sort((x, y) => x.startedAt.localeCompare(y.startedAt));
    expect(Date.parse(b!.startedAt)).toBeGreaterThanOrEqual(Date.parse(a!.finishedAt));
  });

  it("refuses names beside --all, and no names at all, with one line and exit 2", async () => {
    const both = await runCli(["run", "good", "--all"], { cwd: root });
    expect([both.code, both.stderr.trim()]).toEqual([
      2,
      "drill run: give drill names or --all, not both",
    ]);
    const none = await runCli(["run"], { cwd: root });
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe(
      "drill run: name at least one drill (drills/<name>.yaml), or --all",
    );
  });
});

describe("lanesOf", () => {
  // Only the fields lanesOf reads: which environment each drill names, and its provider.
  const project = {
    config: {
      environments: {
        sandbox: { provider: "local" },
        second: { provider: "local" },
        east: { provider: "aws" },
        west: { provider: "aws" },
      },
    },
    drills: new Map(
      Object.entries({ a: "sandbox", b: "east", c: "second", d: "west", e: "east" }).map(
        ([name, environment]) => [name, { drill: { name, environment } }],
      ),
    ),
  } as unknown as Project;

  it("puts every local environment in one lane and each other environment in its own", () => {
    expect(lanesOf(project, ["a", "b", "c", "d", "e"])).toEqual([[0, 2], [1, 4], [3]]);
  });
});
