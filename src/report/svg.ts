import { formatDuration } from "../duration.js";
import { esc, num } from "./escape.js";

/** The shared drawing kit of the report's charts: scales, ticks, axes. Output is SVG markup. */

export const COLOURS = {
  passed: "var(--passed)",
  failed: "var(--failed)",
  error: "var(--failed)",
  interrupted: "var(--warn)",
  skipped: "var(--muted)",
} as Record<string, string>;

export const PHASE_COLOURS: Record<string, string> = {
  restore: "var(--restore)",
  scrub: "var(--scrub)",
  verify: "var(--verify)",
};

export const scale =
  (d0: number, d1: number, r0: number, r1: number) =>
  (v: number): number =>
    d1 === d0 ? r0 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
/** Steps a person reads as round durations: 15s, 5m, 2h, not 8m20s. */
const STEPS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  250,
  500,
  S,
  2 * S,
  5 * S,
  10 * S,
  15 * S,
  30 * S,
  MIN,
  2 * MIN,
  5 * MIN,
  10 * MIN,
  15 * MIN,
  30 * MIN,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  24 * HOUR,
  48 * HOUR,
  168 * HOUR,
];

/** Round duration ticks from 0 to at least `maxMs`, about `count` of them. */
export function ticks(maxMs: number, count = 5): number[] {
  if (!(maxMs > 0)) return [0, 1];
  const step =
    STEPS.find((s) => s >= maxMs / count) ??
    Math.ceil(maxMs / count / STEPS.at(-1)!) * STEPS.at(-1)!;
  const out: number[] = [];
  for (let v = 0; v < maxMs + step * 0.999; v += step) out.push(v);
  return out;
}

/** A duration axis: gridlines across the plot and labels on one side. */
export function durationGrid(
  values: number[],
  at: (v: number) => number,
  from: number,
  to: number,
  vertical: boolean,
): string {
  return values
    .map((v) => {
      const p = num(at(v));
      const label = esc(v === 0 ? "0" : formatDuration(v));
      return vertical
        ? `<line class="grid" x1="${p}" x2="${p}" y1="${num(from)}" y2="${num(to)}"/><text class="tick" x="${p}" y="${num(to + 14)}" text-anchor="middle">${label}</text>`
        : `<line class="grid" x1="${num(from)}" x2="${num(to)}" y1="${p}" y2="${p}"/><text class="tick" x="${num(from - 6)}" y="${num(Number(p) + 4)}" text-anchor="end">${label}</text>`;
    })
    .join("");
}

/** An SVG that scales to its container; `label` is read out by screen readers. */
export const svg = (kind: string, width: number, height: number, label: string, body: string) =>
  `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${num(width)} ${num(height)}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;

/** A hover tooltip for the element it is placed in. */
export const tip = (text: string) => `<title>${esc(text)}</title>`;
