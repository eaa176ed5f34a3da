import { formatDuration } from "../duration.js";
import { runFacts } from "../notify/facts.js";
import type { Measurement, RunRecord } from "../types.js";
import { checksOf, formatMeasure, measurementLabel, utc } from "./sections.js";

/**
 * `drill report --markdown`: one run as GitHub-flavoured Markdown, for a CI job summary
 * (`$GITHUB_STEP_SUMMARY`), a pull request or an issue. It says what the channel messages say
 * (src/notify/facts.ts derives those facts; nothing is judged again here) plus the step table of
 * the terminal summary. Pure: the record in, the text out.
 */
export interface MarkdownOptions {
  /** The forecast from the drill's whole history, as `drill report` prints it; default: the record's. */
  forecast?: string;
}

export function markdownReport(record: RunRecord, opts: MarkdownOptions = {}): string {
  // The forecast gets a section of its own; without this the facts would list it among the extras.
  const facts = runFacts({ ...record, forecast: undefined });
  const out: string[] = [
    `## ${md(facts.title)}`,
    "",
    md(`${facts.footer} · started ${utc(record.startedAt)}`),
  ];

  out.push("", "### Steps", "", ...table(["step", "kind", "duration", "outcome", "note"], "llrll"));
  for (const s of record.steps) {
    const note = s.error
      ? `${s.error.message}${s.error.hint ? ` (hint: ${s.error.hint})` : ""}`
      : "";
    out.push(row([s.name, s.kind, formatDuration(s.durationMs), s.outcome, note]));
  }

  // RTO and RPO lead; the rest as recorded (a PostgreSQL store's jsonb reorders keys by length).
  const lead = (name: string) => ["rtoMs", "rpoMs"].indexOf(name) + 1 || 3;
  const measured = Object.entries(record.measurements)
    .filter((e): e is [string, Measurement] => e[1] !== undefined)
    .sort(([a], [b]) => lead(a) - lead(b));
  if (measured.length > 0) {
    out.push(
      "",
      "### Objectives",
      "",
      ...table(["measurement", "measured", "objective", "result"]),
    );
    for (const [name, m] of measured) {
      out.push(
        row([
          measurementLabel(name),
          m.value === null ? "not measured" : formatMeasure(name, m.value),
          m.objective === null ? "—" : formatMeasure(name, m.objective),
          m.met === null ? "" : m.met ? "✅ met" : "❌ missed",
        ]),
      );
    }
  }

  const checks = checksOf(record);
  if (checks.length > 0) {
    const passed = checks.filter((c) => c.outcome === "passed").length;
    out.push("", "### Checks", "", `${passed} of ${checks.length} passed.`);
    if (facts.failedChecks.length > 0)
      out.push("", ...facts.failedChecks.map((c) => `- ❌ ${md(c)}`));
  }

  if (facts.extras.length > 0) {
    out.push("", "### Failover and scrub", "");
    for (const e of facts.extras) out.push(`- **${md(e.label)}**: ${md(e.text)}`);
  }

  // All of them: a channel message keeps ten, a report has the room.
  const notes = [
    ...record.findings.map((f) => `- ❌ ${md(f)}`),
    ...(record.warnings ?? []).map((w) => `- ⚠️ ${md(w)}`),
  ];
  if (notes.length > 0) out.push("", "### Findings", "", ...notes);

  const forecast = opts.forecast ?? record.forecast?.headline;
  if (forecast) out.push("", "### Forecast", "", md(forecast));
  return `${out.join("\n")}\n`;
}

/**
 * Record text (drill, step and check names, messages, measured values) is somebody else's:
 * backslash-escaped so it can neither start markup nor a link nor end a table cell, and on one
 * line so it cannot end a list item or a row.
 */
export function md(text: string): string {
  return text.replace(/\r\n?|\n/g, " ").replace(/[\\`*_[\]<>&|]/g, (c) => `\\${c}`);
}

/** A table row; every cell goes through `md`, so a `|` in a value stays in its cell. */
const row = (cells: string[]) => `| ${cells.map(md).join(" | ")} |`;

/** Header and delimiter rows; `l`/`r` per column for left or right alignment. */
function table(headers: string[], align = "lrrl"): string[] {
  const rule = headers.map((_, i) => (align[i] === "r" ? "---:" : "---"));
  return [row(headers), `| ${rule.join(" | ")} |`];
}
