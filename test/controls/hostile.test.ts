import { describe, expect, it } from "vitest";
import { controlsHtml } from "../../src/controls/html.js";
import { controlsMarkdown } from "../../src/controls/markdown.js";
import { buildMatrix } from "../../src/controls/matrix.js";
import { controlsText } from "../../src/controls/text.js";
import { runAt } from "./fixture.js";

const NOW = Date.parse("2026-12-02T14:00:00Z");
const EVIL = "</td><script>alert(1)</script> | a\nb | `code` [link](http://x) \u001b[2J";

const failed = runAt("orders", Date.parse("2026-11-02T04:00:00Z"), "failed", { finding: EVIL });
const matrix = buildMatrix({
  drills: [{ name: "orders", description: EVIL, schedule: "0 4 * * 1", controls: ["DORA-12"] }],
  runs: new Map([["orders", [failed]]]),
  signatures: new Map([[failed.id, "signed"]]),
  since: Date.parse("2026-10-01T00:00:00Z"),
  now: NOW,
});

/** Cells of a Markdown table row: split on `|` not escaped with a backslash. */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1);

describe("record text in the controls views", () => {
  it("stays inside its Markdown cell and line", () => {
    const out = controlsMarkdown(matrix);
    const lines = out.split("\n");
    const header = lines.find((l) => l.startsWith("| date (UTC) |"))!;
    const run = lines.find((l) => l.startsWith("| 2026-11-02 04:00 |"))!;
    expect(cells(header)).toHaveLength(6);
    expect(cells(run)).toHaveLength(6);
    expect(cells(run)[5]).toContain("\\</td\\>\\<script\\>alert(1)\\</script\\> \\| a b");
    // The description is one paragraph line, every markup character escaped.
    const description = lines.find((l) => l.includes("alert(1)") && !l.startsWith("|"))!;
    expect(description).toBe(
      "\\</td\\>\\<script\\>alert(1)\\</script\\> \\| a b \\| \\`code\\` \\[link\\](http://x) \\u001b\\[2J",
    );
    expect(out).not.toMatch(/(?<!\\)<script/);
    expect(out).not.toContain("\u001b");
  });

  it("is text, never markup, in the HTML page", () => {
    const html = controlsHtml(matrix);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("</td><script");
    expect(html).toContain("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt; | a\nb");
    // Rows keep their six cells: nothing closed a cell early.
    const rows = html.match(/<table class="runs">.*?<\/table>/s)![0].match(/<tr>.*?<\/tr>/gs)!;
    for (const row of rows.slice(1)) expect(row.match(/<td[ >]/g)).toHaveLength(6);
  });

  it("cannot repaint the terminal", () => {
    const text = controlsText(
      buildMatrix({
        drills: [{ name: "orders", schedule: "0 4 * * 1", controls: ["DORA-12"] }],
        runs: new Map(),
        signatures: new Map(),
        since: Date.parse("2026-10-01T00:00:00Z"),
        now: NOW,
      }),
    );
    expect(text.join("\n")).toContain(
      "orders: 0 runs, 0 passed · last success never · gaps: 2026-10, 2026-11",
    );
    // eslint-disable-next-line no-control-regex
    for (const line of text) expect(line).not.toMatch(/[\u0000-\u001f]/);
  });
});
