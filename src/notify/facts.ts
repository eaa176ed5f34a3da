import { formatDuration } from "../duration.js";
import type { CheckResult, Measurement, RunRecord } from "../types.js";

/**
 * What a channel message says about a run, channel-neutral: Slack and Teams lay the same facts
 * out in their own formats.
 */
export interface RunFacts {
  title: string;
  passed: boolean;
  /** `RTO 4m 12s (objective 45m) met`, one per measured objective. */
  objectives: { label: string; text: string; met: boolean | null }[];
  /** Failover downtime and lost writes, scrub rows and leak scan, when the run measured them. */
  extras: { label: string; text: string }[];
  failedChecks: string[];
  findings: string[];
  footer: string;
  /** The run's HTML report, where the history store can link one (S3: a pre-signed URL). */
  reportUrl?: string;
}

const MARK = {
  passed: "✅",
  failed: "❌",
  error: "⚠️",
  interrupted: "⏹️",
  skipped: "⏭️",
} as const;

export function runFacts(record: RunRecord, reportUrl?: string): RunFacts {
  const m = record.measurements;
  const objectives: RunFacts["objectives"] = [];
  for (const [key, label] of [
    ["rtoMs", "RTO"],
    ["rpoMs", "RPO"],
  ] as const) {
    const x = m[key];
    if (x && (x.value !== null || x.objective !== null)) objectives.push(judged(label, x));
  }
  const extras: RunFacts["extras"] = [];
  const downtime = m.downtimeMs;
  if (downtime && downtime.value !== null) extras.push(judgedExtra("Failover downtime", downtime));
  const lost = m.lostWrites;
  if (lost && lost.value !== null) {
    const objective = lost.objective === null ? "" : ` (allowed ${lost.objective})`;
    extras.push({ label: "Lost writes", text: `${lost.value}${objective}${verdict(lost.met)}` });
  }
  const scrub = scrubSummary(record);
  if (scrub) extras.push(...scrub);
  if (record.forecast && record.forecast.status !== "insufficient-history")
    extras.push({ label: "RTO forecast", text: record.forecast.headline });
  const failedChecks = record.steps
    .flatMap((s) => (Array.isArray(s.details.checks) ? (s.details.checks as CheckResult[]) : []))
    .filter((c) => c.outcome !== "passed")
    .map((c) =>
      c.outcome === "error"
        ? `${c.name}: error: ${c.message ?? "unknown"}`
        : `${c.name}: measured ${show(c.measured)}, expected ${c.expected}`,
    );
  return {
    title: `${MARK[record.outcome]} ${record.drill} ${record.outcome}`,
    passed: record.outcome === "passed",
    objectives,
    extras,
    failedChecks,
    findings: record.findings.slice(0, 10),
    footer: `run ${record.id} · ${record.environment} · ${formatDuration(record.durationMs)}`,
    ...(reportUrl ? { reportUrl } : {}),
  };
}

/** The scrub step's rows and leak scan, read defensively: the scrub step owns its details. */
function scrubSummary(record: RunRecord): RunFacts["extras"] | undefined {
  const step = record.steps.find((s) => s.kind === "scrub" && s.outcome !== "skipped");
  if (!step) return undefined;
  const out: RunFacts["extras"] = [];
  const totals = step.details.totals as { rows?: number; durationMs?: number } | undefined;
  out.push({
    label: "Scrub",
    text: `${step.outcome}${typeof totals?.rows === "number" ? `, ${totals.rows} rows` : ""}`,
  });
  const leak = step.details.leakScan as { findings?: unknown[] } | undefined;
  if (leak) {
    const n = Array.isArray(leak.findings) ? leak.findings.length : 0;
    out.push({ label: "Leak scan", text: n === 0 ? "clean" : `${n} finding(s)` });
  }
  return out;
}

function judged(label: string, measured: Measurement) {
  const value = measured.value === null ? "not measured" : formatDuration(measured.value);
  const objective =
    measured.objective === null ? "" : ` (objective ${formatDuration(measured.objective)})`;
  return { label, text: `${value}${objective}${verdict(measured.met)}`, met: measured.met };
}

function judgedExtra(label: string, measured: Measurement) {
  const { text } = judged(label, measured);
  return { label, text };
}

const verdict = (met: boolean | null) => (met === null ? "" : met ? " met" : " missed");

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
