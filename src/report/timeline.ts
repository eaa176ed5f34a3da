import { formatDuration } from "../duration.js";
import type { RunRecord, StepRecord } from "../types.js";
import { esc, num } from "./escape.js";
import { COLOURS, durationGrid, scale, svg, ticks, tip } from "./svg.js";

const W = 800;
const LEFT = 130;
const RIGHT = 90;
const TOP = 26;
const ROW = 30;
const BAR = 16;

export interface Downtime {
  /** From the run's start. */
  startMs: number;
  durationMs: number;
}

/**
 * Where in the run clients could not write, if a failover step says: its probe's last
 * acknowledged write before and first after, or `downtimeMs` with a start offset or time.
 */
export function downtimeOf(step: StepRecord, runStart: number): Downtime | undefined {
  const d = step.details ?? {};
  const probe = (d.probe ?? {}) as Record<string, unknown>;
  const at = (v: unknown) =>
    v && typeof v === "object" && "at" in v ? Date.parse(String((v as { at: unknown }).at)) : NaN;
  const before = at(probe.lastAckBefore);
  const after = at(probe.firstAckAfter);
  if (Number.isFinite(before) && Number.isFinite(after) && after >= before)
    return { startMs: before - runStart, durationMs: after - before };
  const ms = [d.downtimeMs, probe.downtimeMs].find((v) => typeof v === "number") as
    number | undefined;
  if (ms === undefined) return undefined;
  const stepStart = Date.parse(step.startedAt);
  if (typeof d.downtimeStartMs === "number" && Number.isFinite(stepStart))
    return { startMs: stepStart - runStart + d.downtimeStartMs, durationMs: ms };
  const startedAt = Date.parse(String(d.downtimeStartedAt ?? ""));
  if (Number.isFinite(startedAt)) return { startMs: startedAt - runStart, durationMs: ms };
  return undefined;
}

/** A Gantt-like bar per step over the run's clock, the RTO moment and failover downtime marked. */
export function timelineChart(record: RunRecord): string {
  const t0 = Date.parse(record.startedAt);
  let cursor = 0;
  const rows = record.steps.map((s) => {
    const started = Date.parse(s.startedAt);
    const start = Number.isFinite(started) ? started - t0 : cursor;
    cursor = Math.max(cursor, start + s.durationMs);
    return { step: s, start, end: start + s.durationMs };
  });
  const rto = record.measurements.rtoMs;
  const span = Math.max(record.durationMs, cursor, rto?.value ?? 0, 1);
  const axis = ticks(span, 6);
  const x = scale(0, axis.at(-1)!, LEFT, W - RIGHT);
  const height = TOP + rows.length * ROW + 26;
  const bottom = TOP + rows.length * ROW;
  const parts: string[] = [durationGrid(axis, x, TOP - 4, bottom, true)];

  rows.forEach(({ step, start, end }, i) => {
    const y = TOP + i * ROW + (ROW - BAR) / 2;
    const w = Math.max(3, x(end) - x(start));
    const label = `${step.name}: ${step.outcome}, ${formatDuration(step.durationMs)}`;
    parts.push(
      `<text class="label" x="${LEFT - 8}" y="${num(y + BAR - 3)}" text-anchor="end">${esc(step.name)}</text>`,
      `<rect class="step-bar ${esc(step.outcome)}" data-step="${esc(step.name)}" x="${num(x(start))}" y="${num(y)}" width="${num(w)}" height="${BAR}" rx="3" fill="${COLOURS[step.outcome] ?? COLOURS.failed}"${step.outcome === "skipped" ? ' fill-opacity="0.35"' : ""}>${tip(label)}</rect>`,
      `<text class="value" x="${num(x(start) + w + 6)}" y="${num(y + BAR - 3)}">${esc(step.outcome === "skipped" ? "skipped" : formatDuration(step.durationMs))}</text>`,
    );
    const down = step.kind === "failover" ? downtimeOf(step, t0) : undefined;
    if (down) {
      const dx = x(down.startMs);
      const dw = Math.max(3, x(down.startMs + down.durationMs) - dx);
      parts.push(
        `<rect class="downtime" x="${num(dx)}" y="${num(y - 4)}" width="${num(dw)}" height="${BAR + 8}" fill="url(#hatch)">${tip(`downtime ${formatDuration(down.durationMs)}: no write acknowledged`)}</rect>`,
        `<text class="marker-label" x="${num(dx + dw / 2)}" y="${num(y - 6)}" text-anchor="middle">downtime ${esc(formatDuration(down.durationMs))}</text>`,
      );
    }
  });

  if (typeof rto?.value === "number")
    parts.push(marker(x(rto.value), "rto-mark", `RTO ${formatDuration(rto.value)}`, bottom));
  if (typeof rto?.objective === "number" && rto.objective <= axis.at(-1)!)
    parts.push(
      marker(x(rto.objective), "objective", `objective ${formatDuration(rto.objective)}`, bottom),
    );

  const defs = `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="var(--failed)" fill-opacity="0.25"/><line x1="0" y1="0" x2="0" y2="6" stroke="var(--failed)" stroke-width="3"/></pattern></defs>`;
  return svg(
    "timeline",
    W,
    height,
    `timeline of ${record.steps.length} steps`,
    defs + parts.join(""),
  );
}

const marker = (px: number, cls: string, label: string, bottom: number) =>
  `<line class="${cls}" x1="${num(px)}" x2="${num(px)}" y1="${TOP - 10}" y2="${num(bottom)}"/><text class="marker-label ${cls}-label" x="${num(px)}" y="${TOP - 13}" text-anchor="middle">${esc(label)}</text>`;
