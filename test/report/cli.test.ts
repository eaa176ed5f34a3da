import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/types.js";
import { makeProject, runCli } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { boxes, launch, open } from "./browser.js";
import { runRecord } from "./records.js";
import { processesNaming } from "../helpers/processes.js";

let root: string;
let real: RunRecord;
let browser: Browser | undefined;
/** Older runs of the same drill and one of another, stored as the file store keeps them. */
const earlier = [1, 2, 3].map((week) =>
  runRecord({
    at: `2026-0${week}-05T04:00:00.000Z`,
    drill: "small",
    sizeBytes: 1e6 * week,
    restoreMs: 500 + 100 * week,
    verifyMs: 200,
  }),
);
const other = runRecord({
  at: "2026-04-01T04:00:00.000Z",
  drill: "other",
  restoreMs: 5,
  verifyMs: 5,
});

beforeAll(async () => {
  root = await makeProject({
    "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
    "drills/small.yaml": `
name: small
environment: sandbox
objectives: { rto: 5m, rpo: 26h }
steps:
  - restore: { from: { snapshot: latest }, newestData: orders.created_at }
  - verify:
      checks:
        - rowCount: { table: customers, min: 100 }
        - sql: { name: no negative payments, query: "select count(*) from payments where amount < 0", expect: 0 }
`,
  });
  await seedSandbox(root);
  const run = await runCli(["run", "small", "--json"], { cwd: root });
  expect(run.code, run.stderr).toBe(0);
  real = JSON.parse(run.stdout) as RunRecord;
  for (const r of [...earlier, other]) {
    const dir = join(root, ".drill/history", r.drill);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${r.id}.json`), JSON.stringify(r));
  }
});

afterAll(async () => {
  await browser?.close();
  expect(processesNaming(root)).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

describe("drill report", () => {
  it("shows the newest run in the terminal, with its forecast", async () => {
    const r = await runCli(["report", "latest"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`small passed in`);
    expect(r.stdout).toContain(`run ${real.id}`);
    expect(r.stdout).toMatch(/✔ no negative payments\s+measured 0, expected = 0/);
    expect(r.stdout).toMatch(/RTO\s+\S+\s+objective 5m\s+met/);
    expect(r.stdout).toMatch(/forecast: /);
    const byId = await runCli(["report", earlier[0]!.id], { cwd: root });
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain(`run ${earlier[0]!.id}`);
    const ofOther = await runCli(["report", "latest", "--drill", "other"], { cwd: root });
    expect(ofOther.stdout).toContain(`run ${other.id}`);
  });

  it("exits 2 for a run that does not exist, naming recent ones", async () => {
    const r = await runCli(["report", "20990101-000000-small-zzzz"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`no run "20990101-000000-small-zzzz"`);
    expect(r.stderr).toContain(real.id);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    const none = await runCli(["report", "latest", "--drill", "nosuch"], { cwd: root });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no runs of drill "nosuch"/);
    const empty = await makeProject({
      "config/drill.yaml": "environments:\n  sandbox: { provider: local }\n",
    });
    const fresh = await runCli(["report", "latest"], { cwd: empty });
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toMatch(/no runs in the history yet/);
    await rm(empty, { recursive: true, force: true });
    expect((await runCli(["report"], { cwd: root })).code).toBe(2);
  });

  it("writes an HTML report of a real run that Chromium renders with its history", async () => {
    const r = await runCli(["report", real.id, "--html", "out/report.html"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote out/report.html (run ${real.id})\n`);
    const file = join(root, "out/report.html");
    expect(existsSync(file)).toBe(true);
    browser = await launch();
    const { page, errors, requests } = await open(browser, file);
    expect(await page.textContent("h1")).toContain("small");
    const bars = await boxes(page, "[data-chart=timeline] rect.step-bar");
    expect(bars).toHaveLength(real.steps.length);
    for (const b of bars) expect(b.w * b.h).toBeGreaterThan(0);
    const checks = await page.$$eval("table.checks tbody tr td:first-child", (t) =>
      t.map((td) => td.textContent),
    );
    expect(checks).toEqual(["rowCount customers", "no negative payments"]);
    // the three earlier runs of `small` and this one; never the other drill's
    const points = await boxes(page, "[data-chart=rto] circle.rto-point");
    expect(points).toHaveLength(4);
    for (const p of points) expect(p.w).toBeGreaterThan(0);
    expect(await boxes(page, "[data-chart=phases] rect.phase-seg")).toHaveLength(8);
    expect(errors).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
  });
});
