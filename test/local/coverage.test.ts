import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadProject } from "../../src/definitions/project.js";
import { closeHistories, openHistory } from "../../src/history/open.js";
import { record } from "../history/helpers.js";
import { runMain } from "../helpers/io.js";
import { makeProject, runCli } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { SEED_SCALE } from "../helpers/seed-setup.js";

/** `drill coverage` on the quickstart: the sandbox and an archive a drill names. */
let root: string;
beforeAll(async () => {
  root = await makeProject({
    "drills/orders-archive.yaml":
      "name: orders-archive\nenvironment: sandbox\nsteps:\n  - restore: { from: { archive: dumps/orders.dump } }\n",
  });
  expect((await runMain(["init"], root)).code).toBe(0);
  const config = join(root, "config/drill.yaml");
  const text = await readFile(config, "utf8");
  await writeFile(
    config,
    text.replace("provider: local", `provider: local\n    scale: ${SEED_SCALE}`),
  );
  await seedSandbox(root);
});
afterAll(async () => {
  await closeHistories();
  await rm(root, { recursive: true, force: true });
});

const passed = async (drill: string, ageMs: number) => {
  const loaded = await loadProject(root, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const r = record(drill, 0);
  r.finishedAt = new Date(Date.now() - ageMs).toISOString();
  r.startedAt = new Date(Date.now() - ageMs - 1500).toISOString();
  await openHistory(loaded.project).save(r);
};

it("lists the sandbox and the archive as stale until their drills pass", async () => {
  const before = await runCli(["coverage"], { cwd: root });
  expect(before.stderr).toBe("");
  expect(before.stdout.split("\n")).toEqual([
    "stale (2)",
    "  sandbox  archive  dumps/orders.dump  orders-archive  never passed",
    "  sandbox  sandbox  production         example         never passed",
    "coverage: 0 covered, 2 stale, 0 uncovered, 0 ignored (maxAge 35d)",
    "",
  ]);
  expect(before.code).toBe(1);

  await passed("example", 3 * 3_600_000);
  const half = await runCli(["coverage", "--json"], { cwd: root });
  expect(half.code).toBe(1);
  const report = JSON.parse(half.stdout) as {
    entries: { id: string; state: string; lastPass: { drill: string; ageMs: number } | null }[];
  };
  expect(report.entries.map((e) => [e.id, e.state, e.lastPass?.drill ?? null])).toEqual([
    ["dumps/orders.dump", "stale", null],
    ["production", "covered", "example"],
  ]);

  // A pass older than coverage.maxAge does not cover; a recent one does.
  await passed("orders-archive", 36 * 86_400_000);
  expect((await runCli(["coverage"], { cwd: root })).code).toBe(1);
  await passed("orders-archive", 60_000);
  const after = await runCli(["coverage", "--environment", "sandbox"], { cwd: root });
  expect(after.stdout).toMatch(
    /^covered \(2\)\n {2}sandbox {2}archive {2}dumps\/orders\.dump {2}orders-archive {2}last pass .* \(1m ago, orders-archive\)\n {2}sandbox {2}sandbox {2}production {9}example {9}last pass .* \(3h ago, example\)\ncoverage: 2 covered, 0 stale, 0 uncovered, 0 ignored \(maxAge 35d\)\n$/,
  );
  expect(after.code).toBe(0);
});

it("refuses coverage settings naming an unknown channel or a bad duration, one line each", async () => {
  const bad = await makeProject({
    "config/drill.yaml":
      "environments:\n  sandbox: { provider: local }\nchannels:\n  team: { webhook: { url: https://example.com/hook } }\n",
    "config/coverage.yaml": "coverage:\n  maxAge: 5 weeks\n  notify: [team, ops]\n",
  });
  const result = await runMain(["validate"], bad);
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split("\n")).toEqual([
    expect.stringMatching(
      /^config\/coverage\.yaml:2:11 coverage\.maxAge: expected a duration such as "90s"/,
    ),
  ]);
  await writeFile(join(bad, "config/coverage.yaml"), "coverage:\n  notify: [team, ops]\n");
  const unknown = await runMain(["validate"], bad);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toBe(
    'config/coverage.yaml:2:18 coverage.notify[1]: unknown channel "ops" (known: team)\n',
  );
  await rm(bad, { recursive: true, force: true });
});
