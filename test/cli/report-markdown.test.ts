import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { markdownReport } from "../../src/report/markdown.js";
import { runMain } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";
import { failedRunWithHistory, runRecord } from "../report/records.js";

/** `drill report … --markdown` in-process, on runs stored as the file history store keeps them. */
let root: string;
const { record: failed, history } = failedRunWithHistory();
const other = runRecord({
  at: "2026-04-02T04:00:00Z",
  drill: "billing",
  restoreMs: 5,
  verifyMs: 5,
});

beforeAll(async () => {
  root = await makeProject({
    "config/drill.yaml": "environments:\n  sandbox: { provider: local }\n",
  });
  for (const r of [failed, ...history, other]) {
    const dir = join(root, ".drill/history", r.drill);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${r.id}.json`), JSON.stringify(r));
  }
});
afterAll(() => rm(root, { recursive: true, force: true }));

const drill = (...args: string[]) => runMain(args, root);

it("prints the newest run of a drill as Markdown, with the forecast from its history", async () => {
  const r = await drill("report", "latest", "--drill", "orders", "--markdown");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout.split("\n")[0]).toBe("## ❌ orders failed");
  expect(r.stdout).toContain(`run ${failed.id} · sandbox`);
  expect(r.stdout).toContain("| failover | failover | 40.0s | passed |  |");
  // Twelve weekly runs growing 3% a week: the history's forecast, not "not enough history".
  expect(r.stdout).toMatch(/### Forecast\n\n.*RTO objective/);
  expect(r.stdout).not.toMatch(/not enough|insufficient/i);
  // The terminal summary's layout is not mixed in.
  expect(r.stdout).not.toContain("  steps");
});

it("prints exactly what markdownReport renders, for latest overall and for a run id", async () => {
  const latest = await drill("report", "latest", "--markdown");
  expect(latest.code).toBe(0);
  expect(latest.stdout.split("\n")[0]).toBe("## ✅ billing passed");
  const byId = await drill("report", other.id, "--markdown");
  expect(byId.stdout).toBe(latest.stdout);
  const forecast = byId.stdout.split("### Forecast\n\n")[1]!.trim();
  expect(byId.stdout).toBe(markdownReport(other, { forecast }));
});

it("refuses --markdown with --html, and an unknown run, with exit 2", async () => {
  const both = await drill("report", "latest", "--markdown", "--html", "r.html");
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/--markdown.*cannot be used with.*--html/);
  const missing = await drill("report", "20990101-000000-x-zzzz", "--markdown");
  expect(missing.code).toBe(2);
  expect(missing.stdout).toBe("");
});
