/**
 * "Show it": `drill controls` on a project with three drills and a year of history written through
 * the real file store with real signatures, as a user runs it (the built CLI): the matrix in
 * Markdown and JSON, and its HTML page opened in Chromium.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlMatrix } from "../../src/controls/matrix.js";
import { runCli } from "../helpers/project.js";
import { launch, open } from "../report/browser.js";
import { HOSTILE, showProject, type ShowProject } from "./fixture.js";

let p: ShowProject;
const drill = (...args: string[]) => runCli(["controls", ...args], { cwd: p.root, env: p.env });

beforeAll(async () => {
  p = await showProject(Date.now());
}, 60_000);

describe("drill controls on a year of signed history", () => {
  it("prints the matrix as Markdown: every control, its drills, runs, last success and gaps", async () => {
    const r = await drill("--markdown");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^# Control matrix\n/);
    // The summary: a row per known control, "no drill" for the ones nothing evidences.
    expect(out).toMatch(
      /^\| ISO27001-A\.8\.13 \| ISO 27001:2022 \| billing-restore, orders-restore \| \d+ \| \d+ \| /m,
    );
    expect(out).toMatch(
      /^\| NIST-CP-10 \| NIST SP 800-53 \| no drill \| 0 \| 0 \| never \| no drill \|$/m,
    );
    expect(out).toContain(`orders-restore: ${p.failedMonth}`);
    // A section per control, each drill with its runs.
    for (const id of ["ISO27001-A.8.13", "SOC2-A1.3", "DORA-12", "HIPAA-164.308a7iiD", "NIST-CP-4"])
      expect(out).toContain(`## ${id} · `);
    expect(out).toContain("no schedule · 3 runs in the period, 3 passed");
    expect(out).toContain("gaps: no schedule: months not judged");
    expect(out).toContain(`gaps: ${p.failedMonth}`);
    // RTO against its objective, and the missed one.
    expect(out).toMatch(/\| 20m \/ 45m ✓ \| 3h \/ 1d2h ✓ \| signed \|/);
    expect(out).toMatch(/\| 50m \/ 45m ✗ missed \|/);
    // The edited record, and the one after it whose chain link no longer matches.
    const day = p.tampered.startedAt.slice(0, 16).replace("T", " ");
    expect(out).toContain(`| ${day} | passed | 10m / 45m ✓ | 3h / 1d2h ✓ | edited |`);
    expect(out).toMatch(/\| chain broken \|/);
  });

  it("prints a stable JSON object", async () => {
    const r = await drill("--json", "--since", "52w");
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as ControlMatrix;
    expect(m.schemaVersion).toBe(1);
    expect(m.controls).toHaveLength(12);
    expect(m.period.months).toHaveLength(11);
    const a813 = m.controls.find((c) => c.id === "ISO27001-A.8.13")!;
    expect(a813.drills.map((d) => d.drill)).toEqual(["billing-restore", "orders-restore"]);
    const orders = a813.drills[1]!;
    expect(orders.gaps).toEqual([p.failedMonth]);
    expect(orders.schedule).toBe("0 4 * * 1");
    expect(orders.runs.length).toBeGreaterThanOrEqual(50);
    expect(orders.runs.every((r) => r.signature === "signed")).toBe(true);
    expect(orders.lastSuccess?.startedAt).toBe(
      p.records.filter((r) => r.drill === "orders-restore").at(-1)!.startedAt,
    );
    const billing = a813.drills[0]!;
    expect(billing.gaps).toEqual([]);
    expect(billing.runs.find((r) => r.id === p.tampered.id)!.signature).toBe("edited");
    const failover = m.controls.find((c) => c.id === "ISO27001-A.8.14")!.drills[0]!;
    expect(failover).toMatchObject({
      drill: "failover-check",
      schedule: null,
      gaps: null,
      passed: 3,
    });
    expect(m.controls.find((c) => c.id === "NIST-CP-10")!.drills).toEqual([]);
  });

  it("prints a terminal summary by default; a bad --since or drill is exit 2 in one line", async () => {
    const r = await drill();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  orders-restore: `);
    expect(r.stdout).toContain(`gaps: ${p.failedMonth}`);
    expect(r.stdout).toContain("NIST-CP-10");
    const since = await drill("--since", "lastyear");
    expect(since.code).toBe(2);
    expect(since.stderr).toBe(
      'drill: --since "lastyear": expected a span such as 12mo, 90d, 52w, 1y or a date such as 2026-01-01\n',
    );
    const key = await drill("--public-key", "nope.pem");
    expect(key.code).toBe(2);
    expect(key.stderr).toBe("drill: --public-key nope.pem: no such file\n");
    const unknown = await drill("orderz");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'drill: unknown drill "orderz" (known: billing-restore, failover-check, orders-restore)\n',
    );
  });
});

describe("the controls page in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => browser?.close());

  it("renders each control and the gap, runs nothing, requests nothing but itself", async () => {
    const file = join(p.root, "out", "controls.html");
    const r = await drill("--html", "out/controls.html");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("wrote out/controls.html\n");
    expect(await readFile(file, "utf8")).not.toMatch(/<script|https?:/);
    const { page, errors, requests, dialogs } = await open(browser, file);
    const headings = await page.$$eval("section.control h2", (hs) => hs.map((h) => h.textContent));
    expect(headings).toHaveLength(12);
    expect(headings[0]).toContain("ISO27001-A.8.13 · A.8.13 Information backup");
    const text = (await page.textContent("body"))!;
    expect(text).toContain(`orders-restore: ${p.failedMonth}`);
    expect(await page.$$eval("dd.gaps", (d) => d.map((e) => e.textContent))).toContain(
      p.failedMonth,
    );
    expect(await page.textContent("#control-NIST-CP-10")).toContain(
      "no drill evidences this control",
    );
    // The hostile description and finding are text in their cells, not markup.
    expect(text).toContain(`restores orders ${HOSTILE}`);
    expect(await page.$$eval("script", (s) => s.length)).toBe(0);
    expect(await page.$$eval("b", (s) => s.length)).toBe(0);
    const findings = await page.$$eval("#control-DORA-12 table.runs tbody tr", (rows) =>
      rows.map((row) => row.querySelectorAll("td").length),
    );
    expect(new Set(findings)).toEqual(new Set([6]));
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
  }, 60_000);
});
