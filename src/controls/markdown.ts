import { printable } from "../definitions/problems.js";
import { md } from "../report/markdown.js";
import {
  day,
  GAP_RULE,
  gapsText,
  lastSuccessText,
  NO_DRILL,
  RUN_HEADERS,
  runCells,
  SUMMARY_HEADERS,
  summaryCells,
} from "./format.js";
import type { ControlMatrix, DrillEvidence } from "./matrix.js";

/**
 * `drill controls --markdown`: the matrix as GitHub-flavoured Markdown, a summary table then one
 * section per control. Every value passes through `md`, so a `|` or a newline in a description or
 * a finding stays inside its cell.
 */
export function controlsMarkdown(matrix: ControlMatrix): string {
  const out = [
    "# Control matrix",
    "",
    md(
      `Period ${day(matrix.period.since)} → ${day(matrix.period.until)} (UTC). ${GAP_RULE[0]!.toUpperCase()}${GAP_RULE.slice(1)}.`,
    ),
    "",
    ...table(SUMMARY_HEADERS, "lllrrll"),
    ...matrix.controls.map((c) => row(summaryCells(c))),
  ];
  for (const c of matrix.controls) {
    out.push("", `## ${md(`${c.id} · ${c.title} (${c.framework})`)}`, "", md(c.description));
    if (c.drills.length === 0) out.push("", `**${md(NO_DRILL)}**`);
    for (const d of c.drills) out.push("", ...drillSection(d));
  }
  // Markdown goes to terminals too: control characters are written as escapes.
  return `${out.map(printable).join("\n")}\n`;
}

function drillSection(d: DrillEvidence): string[] {
  const out = [`### ${md(d.drill)}`, ""];
  if (d.description) out.push(md(d.description), "");
  out.push(
    md(
      `${d.schedule ? `schedule ${d.schedule}` : "no schedule"} · ${d.runs.length} runs in the period, ${d.passed} passed · last success ${lastSuccessText(d)} · gaps: ${gapsText(d)}`,
    ),
  );
  if (d.runs.length === 0) return out;
  out.push("", ...table(RUN_HEADERS, "llrrll"), ...d.runs.map((r) => row(runCells(r))));
  return out;
}

const row = (cells: string[]) => `| ${cells.map(md).join(" | ")} |`;

function table(headers: string[], align: string): string[] {
  const rule = headers.map((_, i) => (align[i] === "r" ? "---:" : "---"));
  return [row(headers), `| ${rule.join(" | ")} |`];
}
