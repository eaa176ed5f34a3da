import { formatDuration } from "../duration.js";
import type { CheckResult, Measurement, RunRecord } from "../types.js";
import { esc, num } from "./escape.js";
import type { Forecast } from "./forecast.js";
import { formatBytes, formatGrowth } from "./format.js";

/** The report's tables and lists. Every value from the record passes through `esc`. */

const LABELS: Record<string, string> = {
  rtoMs: "RTO",
  rpoMs: "RPO",
  downtimeMs: "failover downtime",
  lostWrites: "lost writes",
  promoteMs: "promotion",
  rowsPerSecond: "rows per second",
};

export const measurementLabel = (name: string) => LABELS[name] ?? name.replace(/Ms$/, "");

/** Durations for `…Ms`, plain numbers for counts (lost writes, rows). */
export const formatMeasure = (name: string, v: number) =>
  name.endsWith("Ms") ? formatDuration(v) : v.toLocaleString("en-US");

export const badge = (outcome: string) =>
  `<span class="badge ${esc(outcome)}">${esc(outcome)}</span>`;

export const utc = (iso: string) =>
  Number.isFinite(Date.parse(iso))
    ? `${new Date(iso).toISOString().slice(0, 19).replace("T", " ")} UTC`
    : iso;

export function checksOf(record: RunRecord): CheckResult[] {
  return record.steps.flatMap((s) =>
    Array.isArray(s.details?.checks) ? (s.details.checks as CheckResult[]) : [],
  );
}

const shown = (v: unknown) =>
  v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);

export function checksTable(checks: CheckResult[]): string {
  if (checks.length === 0) return `<p class="muted">This run ran no checks.</p>`;
  const rows = checks.map(
    (c) =>
      `<tr class="check ${esc(c.outcome)}"><td>${esc(c.name)}</td><td>${esc(c.kind)}</td><td>${badge(c.outcome)}</td><td class="num">${esc(shown(c.measured))}</td><td class="num">${esc(c.expected)}</td><td class="num">${esc(formatDuration(c.durationMs ?? 0))}</td><td>${esc(c.message ?? "")}</td></tr>`,
  );
  return `<div class="scroll"><table class="checks"><thead><tr><th>check</th><th>kind</th><th>outcome</th><th>measured</th><th>expected</th><th>duration</th><th>message</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/** A bullet bar: how much of its objective a measurement used (past the tick is missed). */
function bullet(measured: Measurement): string {
  if (measured.value === null || measured.objective === null || measured.objective <= 0) return "";
  const ratio = measured.value / measured.objective;
  const full = Math.max(1, ratio) * 1.1;
  const w = (r: number) => num((r / full) * 160);
  const colour = measured.met === false ? "var(--failed)" : "var(--passed)";
  return `<svg class="bullet" viewBox="0 0 160 14" width="160" height="14" role="img" aria-label="${esc(`${Math.round(ratio * 100)}% of the objective`)}"><rect x="0" y="3" width="160" height="8" fill="var(--track)"/><rect class="bullet-value" x="0" y="3" width="${w(Math.max(ratio, 0.005))}" height="8" fill="${colour}"/><line x1="${w(1)}" x2="${w(1)}" y1="0" y2="14" stroke="var(--ink)" stroke-width="2"/></svg>`;
}

export function objectivesTable(record: RunRecord): string {
  const rows = Object.entries(record.measurements)
    .filter((e): e is [string, Measurement] => e[1] !== undefined)
    .map(([name, m]) => {
      const value = m.value === null ? "not measured" : formatMeasure(name, m.value);
      const objective = m.objective === null ? "—" : formatMeasure(name, m.objective);
      const verdict = m.met === null ? "" : m.met ? badge("met") : badge("missed");
      return `<tr><td>${esc(measurementLabel(name))}</td><td class="num">${esc(value)}</td><td class="num">${esc(objective)}</td><td>${verdict}</td><td>${bullet(m)}</td></tr>`;
    });
  if (rows.length === 0) return `<p class="muted">Nothing was measured.</p>`;
  return `<div class="scroll"><table class="objectives"><thead><tr><th>measurement</th><th>measured</th><th>objective</th><th></th><th>share of objective</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

export function notesList(record: RunRecord): string {
  const items = [
    ...record.findings.map((f) => `<li class="finding">${esc(f)}</li>`),
    ...(record.warnings ?? []).map((w) => `<li class="warning">${esc(w)}</li>`),
    ...(record.regressions ?? []).map(
      (r) =>
        `<li class="warning">${esc(`${r.phase} took ${formatDuration(r.durationMs)}, ${r.slowerByPct}% slower than the median ${formatDuration(r.medianMs)} of ${r.runs} passed runs`)}</li>`,
    ),
    ...record.steps
      .filter((s) => s.error)
      .map(
        (s) =>
          `<li class="finding">${esc(`${s.name}: ${s.error!.message}${s.error!.hint ? ` (hint: ${s.error!.hint})` : ""}`)}</li>`,
      ),
  ];
  // A step error usually repeats as a finding; say each line once.
  const unique = [...new Set(items)];
  return unique.length === 0
    ? `<p class="muted">No findings, no warnings.</p>`
    : `<ul class="notes">${unique.join("")}</ul>`;
}

export function forecastSection(forecast: Forecast): string {
  const facts: [string, string][] = [["runs with a known size", String(forecast.runs)]];
  if (forecast.sizeBytes !== undefined)
    facts.push(["restored size now", formatBytes(forecast.sizeBytes)]);
  if (forecast.weeklyGrowth !== undefined)
    facts.push(["growth per week", formatGrowth(forecast.weeklyGrowth)]);
  if (forecast.projectedRtoMs !== undefined)
    facts.push(["RTO projected at today's size", formatDuration(forecast.projectedRtoMs)]);
  if (forecast.objectiveMs !== null)
    facts.push(["RTO objective", formatDuration(forecast.objectiveMs)]);
  if (forecast.crossingSizeBytes !== undefined)
    facts.push(["size at which it is reached", formatBytes(forecast.crossingSizeBytes)]);
  if (forecast.crossingAt) facts.push(["reached around", forecast.crossingAt.slice(0, 10)]);
  const fits = forecast.phases.map(
    (p) =>
      `<tr><td>${esc(p.phase)}</td><td class="num">${esc(formatDuration(p.interceptMs))}</td><td class="num">${esc(formatDuration(p.msPerByte * 1e9))}</td><td class="num">${p.points}</td></tr>`,
  );
  return [
    `<p class="forecast ${esc(forecast.status)}" data-status="${esc(forecast.status)}">${esc(forecast.message)}</p>`,
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`,
    fits.length > 0
      ? `<div class="scroll"><table class="fits"><thead><tr><th>phase</th><th>fixed</th><th>per GB</th><th>runs</th></tr></thead><tbody>${fits.join("")}</tbody></table></div>`
      : "",
  ].join("");
}
