import { printable } from "../definitions/problems.js";
import { controlGaps, gapsText, lastSuccessText, NO_DRILL } from "./format.js";
import type { ControlMatrix } from "./matrix.js";

/** `drill controls` in a terminal: a line per control, then one per drill that evidences it. */
export function controlsText(matrix: ControlMatrix): string[] {
  const lines = [
    `controls evidenced from ${matrix.period.since.slice(0, 10)} to ${matrix.period.until.slice(0, 10)} (UTC)`,
  ];
  for (const c of matrix.controls) {
    lines.push("", `${c.id}  ${c.title} (${c.framework}) · gaps: ${controlGaps(c)}`);
    if (c.drills.length === 0) lines.push(`  ${NO_DRILL}`);
    for (const d of c.drills) {
      lines.push(
        `  ${d.drill}: ${d.runs.length} runs, ${d.passed} passed · last success ${lastSuccessText(d)} · gaps: ${gapsText(d)}`,
      );
    }
  }
  lines.push("", "every run: --markdown, --json or --html FILE");
  // Record text must not repaint the terminal.
  return lines.map(printable);
}
