import { formatDuration } from "../../duration.js";
import type { CheckResult, Measurement, RunRecord } from "../../types.js";
import { colourOutcome, OUTCOME_MARK, type Style } from "./style.js";

const LABELS: Record<string, string> = { rtoMs: "RTO", rpoMs: "RPO" };

/** The end-of-run summary: steps, checks with measured and expected values, objectives, findings. */
export function summaryLines(record: RunRecord, style: Style): string[] {
  const lines: string[] = [];
  lines.push("");
  lines.push(
    `${style.bold(record.drill)} ${colourOutcome(style, record.outcome)} in ${formatDuration(record.durationMs)}  ${style.dim(`run ${record.id}`)}`,
  );
  lines.push("");
  lines.push(style.dim("  steps"));
  for (const s of record.steps) {
    const mark = colourOutcome(style, s.outcome, OUTCOME_MARK[s.outcome] ?? "?");
    const note = s.error ? `  ${s.error.message}${s.error.hint ? ` (${s.error.hint})` : ""}` : "";
    lines.push(
      `  ${mark} ${s.name.padEnd(18)} ${formatDuration(s.durationMs).padStart(7)}  ${colourOutcome(style, s.outcome)}${note}`,
    );
  }
  const checks = record.steps.flatMap((s) =>
    Array.isArray(s.details.checks) ? (s.details.checks as CheckResult[]) : [],
  );
  if (checks.length > 0) {
    lines.push("", style.dim("  checks"));
    const width = Math.min(40, Math.max(...checks.map((c) => c.name.length)));
    for (const c of checks) {
      const mark = colourOutcome(style, c.outcome, OUTCOME_MARK[c.outcome] ?? "?");
      const body =
        c.outcome === "error"
          ? style.red(`error: ${c.message}`)
          : `measured ${fmt(c.measured)}, expected ${c.expected}`;
      lines.push(`  ${mark} ${c.name.padEnd(width)}  ${body}`);
    }
  }
  const measured = Object.entries(record.measurements).filter(
    (e): e is [string, Measurement] => e[1] !== undefined,
  );
  if (measured.length > 0) {
    lines.push("", style.dim("  objectives"));
    const labelOf = (name: string) => LABELS[name] ?? name.replace(/Ms$/, "");
    const labelWidth = Math.max(8, ...measured.map(([name]) => labelOf(name).length));
    for (const [name, m] of measured) {
      // Durations end in Ms (rtoMs, downtimeMs); the rest are counts (lostWrites).
      const fmtValue = name.endsWith("Ms") ? formatDuration : String;
      const value = m.value === null ? "not measured" : fmtValue(m.value);
      const objective =
        m.objective === null ? "no objective" : `objective ${fmtValue(m.objective)}`;
      const verdict = m.met === null ? "" : m.met ? style.green("met") : style.red("missed");
      lines.push(
        `  ${labelOf(name).padEnd(labelWidth)} ${value.padStart(12)}   ${objective.padEnd(18)} ${verdict}`.trimEnd(),
      );
    }
  }
  if (record.warnings?.length) {
    lines.push("", style.dim("  warnings"));
    for (const w of record.warnings) lines.push(`  ${style.yellow("!")} ${w}`);
  }
  if (record.findings.length > 0) {
    lines.push("", style.dim("  findings"));
    for (const f of record.findings) lines.push(`  ${style.red("•")} ${f}`);
  }
  // The scrub's unclassified columns, ready to paste (a live display showed only a line of it).
  for (const s of record.steps) {
    const yaml = s.details.unclassifiedYaml;
    if (typeof yaml === "string")
      lines.push(
        "",
        ...yaml
          .trimEnd()
          .split("\n")
          .map((l) => `  ${l}`),
      );
  }
  // A kept copy is the one thing a run leaves running: say where, and until when.
  for (const s of record.steps) {
    const kept = s.details.kept as { until?: string; connect?: string } | undefined;
    if (kept?.connect) lines.push("", `  copy kept until ${kept.until}: ${kept.connect}`);
  }
  lines.push("", `  record: ${record.storedAt ?? "not stored"}`);
  return lines;
}

const fmt = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
