import { formatDuration } from "../duration.js";
import type { RunRecord } from "../types.js";
import { esc, num } from "./escape.js";
import { FORECAST_PHASES } from "./forecast.js";
import { COLOURS, durationGrid, PHASE_COLOURS, scale, svg, ticks, tip } from "./svg.js";

const W = 800;
const H = 240;
const LEFT = 64;
const RIGHT = 20;
const TOP = 24;
const BOTTOM = 36;
/** An objective this far above the slowest run would flatten the chart; it is named instead. */
const OBJECTIVE_IN_VIEW = 4;

interface Frame {
  slot: (i: number) => number;
  y: (v: number) => number;
  body: string[];
}

/** The plot area shared by both trend charts: duration gridlines and a date under each run. */
function frame(runs: RunRecord[], maxMs: number, currentId: string): Frame {
  const axis = ticks(maxMs * 1.05, 4);
  const y = scale(0, axis.at(-1)!, H - BOTTOM, TOP);
  const width = (W - LEFT - RIGHT) / Math.max(1, runs.length);
  const slot = (i: number) => LEFT + width * (i + 0.5);
  const sameDay = new Set(runs.map((r) => r.startedAt.slice(0, 10))).size === 1;
  const every = Math.ceil(runs.length / 8);
  const labels = runs.map((r, i) => {
    const last = i === runs.length - 1;
    if (i % every !== 0 && !last) return "";
    const text = sameDay ? r.startedAt.slice(11, 16) : r.startedAt.slice(5, 10);
    const cls = r.id === currentId ? "tick now" : "tick";
    return `<text class="${cls}" x="${num(slot(i))}" y="${H - BOTTOM + 16}" text-anchor="middle">${esc(text)}</text>`;
  });
  return { slot, y, body: [durationGrid(axis, y, LEFT, W - RIGHT, false), ...labels] };
}

/** RTO per run, the objective as a dashed line; the reported run drawn larger. */
export function rtoChart(runs: RunRecord[], currentId: string): string {
  const values = runs.map((r) => r.measurements.rtoMs?.value ?? null);
  const measured = values.filter((v): v is number => v !== null);
  const objective = runs.at(-1)?.measurements.rtoMs?.objective ?? null;
  const slowest = Math.max(1, ...measured);
  const inView = objective !== null && objective <= slowest * OBJECTIVE_IN_VIEW;
  const f = frame(runs, inView ? Math.max(slowest, objective) : slowest, currentId);
  const pts = values.map((v, i) => (v === null ? null : ([f.slot(i), f.y(v)] as const)));
  const path = pts
    .filter((p) => p !== null)
    .map((p, i) => `${i === 0 ? "M" : "L"}${num(p[0])},${num(p[1])}`)
    .join(" ");
  const body = [...f.body, `<path class="rto-line" d="${path}" fill="none"/>`];
  runs.forEach((r, i) => {
    const p = pts[i];
    if (!p) return;
    const m = r.measurements.rtoMs!;
    const colour = m.met === false ? COLOURS.failed : (COLOURS[r.outcome] ?? COLOURS.failed);
    const current = r.id === currentId;
    body.push(
      `<circle class="rto-point${current ? " current" : ""}" cx="${num(p[0])}" cy="${num(p[1])}" r="${current ? 6 : 4}" fill="${colour}">${tip(`${r.id}\n${r.startedAt}\nRTO ${formatDuration(m.value!)} (${r.outcome})`)}</circle>`,
    );
  });
  if (objective !== null && inView) {
    const oy = num(f.y(objective));
    body.push(
      `<line class="objective" x1="${LEFT}" x2="${W - RIGHT}" y1="${oy}" y2="${oy}"/>`,
      `<text class="marker-label objective-label" x="${W - RIGHT}" y="${num(Number(oy) - 5)}" text-anchor="end">objective ${esc(formatDuration(objective))}</text>`,
    );
  } else if (objective !== null) {
    body.push(
      `<text class="marker-label objective-label" x="${W - RIGHT}" y="${TOP - 8}" text-anchor="end">objective ${esc(formatDuration(objective))} (above the chart: ${esc(Math.round(objective / slowest).toString())}× the slowest run)</text>`,
    );
  }
  return svg("rto", W, H, `RTO of the last ${runs.length} runs`, body.join(""));
}

/** restore, scrub and verify stacked per run: which phase the RTO goes to, and which one grows. */
export function phasesChart(runs: RunRecord[], currentId: string): string {
  const phaseMs = (record: RunRecord, p: string) => record.measurements[`${p}Ms`]?.value ?? 0;
  const total = (record: RunRecord) => FORECAST_PHASES.reduce((t, p) => t + phaseMs(record, p), 0);
  const used = FORECAST_PHASES.filter((p) => runs.some((r) => phaseMs(r, p) > 0));
  const f = frame(runs, Math.max(1, ...runs.map(total)), currentId);
  const width = Math.min(36, ((W - LEFT - RIGHT) / Math.max(1, runs.length)) * 0.6);
  const body = [...f.body];
  runs.forEach((r, i) => {
    let base = 0;
    for (const p of used) {
      const ms = phaseMs(r, p);
      if (ms <= 0) continue;
      const top = f.y(base + ms);
      body.push(
        `<rect class="phase-seg" data-phase="${p}" x="${num(f.slot(i) - width / 2)}" y="${num(top)}" width="${num(width)}" height="${num(Math.max(1, f.y(base) - top))}" fill="${PHASE_COLOURS[p]}"${r.id === currentId ? ' stroke="var(--ink)" stroke-width="1.5"' : ""}>${tip(`${r.id}\n${p} ${formatDuration(ms)}`)}</rect>`,
      );
      base += ms;
    }
  });
  const legend = used.map(
    (p, i) =>
      `<rect class="legend" x="${LEFT + i * 90}" y="6" width="10" height="10" fill="${PHASE_COLOURS[p]}"/><text class="tick" x="${LEFT + i * 90 + 14}" y="15">${p}</text>`,
  );
  return svg(
    "phases",
    W,
    H,
    `phase durations of the last ${runs.length} runs`,
    [...body, ...legend].join(""),
  );
}
