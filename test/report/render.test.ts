import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtmlReport } from "../../src/report/html.js";
import { boxes, launch, open, type Opened } from "./browser.js";
import { failedRunWithHistory, HOSTILE } from "./records.js";
import { tempDir } from "../helpers/temp.js";

let browser: Browser;
let dir: string;
let file: string;
let opened: Opened;
const { record, history } = failedRunWithHistory();

beforeAll(async () => {
  browser = await launch();
  dir = await tempDir("report");
  file = join(dir, "report.html");
  await writeFile(file, renderHtmlReport(record, history, { generatedAt: new Date(0) }));
  opened = await open(browser, file);
});

afterAll(async () => {
  await browser?.close();
});

describe("the HTML report in Chromium", () => {
  it("draws a bar per step, laid out left to right in run order, and the failover downtime", async () => {
    const { page } = opened;
    const bars = await boxes(page, "[data-chart=timeline] rect.step-bar");
    expect(bars).toHaveLength(record.steps.length);
    for (const b of bars) expect(b.w * b.h).toBeGreaterThan(0);
    const xs = await page.$$eval("[data-chart=timeline] rect.step-bar", (els) =>
      els.map((e) => e.getBoundingClientRect().x),
    );
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    const down = await boxes(page, "[data-chart=timeline] rect.downtime");
    expect(down).toHaveLength(1);
    expect(down[0]!.w).toBeGreaterThan(0);
    expect(await page.textContent("[data-chart=timeline]")).toContain("downtime 9.0s");
  });

  it("draws the RTO trend with a point per run and the objective line, phases stacked per run", async () => {
    const { page } = opened;
    const runs = history.length + 1;
    const points = await boxes(page, "[data-chart=rto] circle.rto-point");
    expect(points).toHaveLength(runs);
    for (const p of points) expect(p.w).toBeGreaterThan(0);
    const [objective] = await boxes(page, "[data-chart=rto] line.objective");
    expect(objective!.w).toBeGreaterThan(300);
    const path = await boxes(page, "[data-chart=rto] path.rto-line");
    expect(path[0]!.w).toBeGreaterThan(300);
    // restore, scrub and verify for every run
    const segs = await boxes(page, "[data-chart=phases] rect.phase-seg");
    expect(segs).toHaveLength(runs * 3);
    for (const s of segs) expect(s.w * s.h).toBeGreaterThan(0);
    // Rising RTO: the newest point sits higher on the page than the oldest.
    const ys = await page.$$eval("[data-chart=rto] circle.rto-point", (els) =>
      els.map((e) => e.getBoundingClientRect().y),
    );
    expect(ys.at(-1)!).toBeLessThan(ys[0]!);
  });

  it("shows hostile names and messages as text, runs no script, requests nothing", async () => {
    const { page, errors, requests, dialogs } = opened;
    expect(await page.$$eval("script", (s) => s.length)).toBe(0);
    expect(await page.$$eval("img", (s) => s.length)).toBe(0);
    expect(await page.$$eval("b", (s) => s.length)).toBe(0);
    const firstCells = await page.$$eval("table.checks tbody tr td:first-child", (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(firstCells).toContain(HOSTILE);
    expect(await page.textContent("#notes")).toContain(`check ${HOSTILE} failed`);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
  });

  it("shows the verdicts, the objectives and the forecast", async () => {
    const { page } = opened;
    expect(await page.textContent("h1")).toContain("orders");
    expect(await page.textContent("h1 .badge")).toBe("failed");
    const forecast = await page.textContent("#forecast .forecast");
    expect(forecast).toMatch(/^RTO objective reached in about \d+ weeks at \+3% size a week/);
    const objectives = await page.$$eval("table.objectives tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].slice(0, 4).map((td) => td.textContent)),
    );
    expect(objectives).toContainEqual(["failover downtime", "9.0s", "1m", "met"]);
    expect(objectives).toContainEqual(["lost writes", "0", "0", "met"]);
    // Nothing to fetch: no element with a src or href, no CSS url() but the page's own #fragments.
    const linking = await page.$$eval(
      "*",
      (els) =>
        els.filter((e) =>
          [...e.attributes].some((a) => /^(src|href|xlink:href|srcset)$/i.test(a.name)),
        ).length,
    );
    expect(linking).toBe(0);
    const css = await page.$$eval("style", (s) => s.map((e) => e.textContent).join(""));
    expect(css).toContain("--passed");
    expect(css).not.toMatch(/url\(|@import/i);
  });
});
