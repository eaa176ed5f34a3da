/** The report's stylesheet: inline, light and dark, readable when printed. */
export const CSS = `
:root { --bg:#fff; --ink:#1f2328; --muted:#6e7781; --line:#d0d7de; --track:#eaeef2; --card:#f6f8fa;
  --passed:#1a7f37; --failed:#cf222e; --warn:#9a6700; --restore:#0969da; --scrub:#8250df; --verify:#1b7c83; }
@media (prefers-color-scheme: dark) { :root { --bg:#0d1117; --ink:#e6edf3; --muted:#8d96a0; --line:#30363d;
  --track:#21262d; --card:#161b22; --passed:#3fb950; --failed:#f85149; --warn:#d29922; --restore:#4493f8;
  --scrub:#a371f7; --verify:#39c5cf; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 980px; padding: 24px; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
h2 { font-size: 16px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 6px; color: var(--muted); font-weight: 600; }
.meta, .muted { color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  color: #fff; background: var(--failed); white-space: nowrap; }
h1 .badge { font-size: 14px; padding: 2px 10px; }
.badge.passed, .badge.met { background: var(--passed); }
.badge.interrupted { background: var(--warn); }
.badge.skipped { background: var(--muted); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 10px; margin-top: 16px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.tile strong { display: block; font-size: 20px; }
.tile.missed strong { color: var(--failed); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
td { overflow-wrap: break-word; }
.scroll { overflow-x: auto; }
tr.check.failed td:first-child, tr.check.error td:first-child { color: var(--failed); font-weight: 600; }
.chart { width: 100%; height: auto; display: block; overflow: visible; }
.chart text { font-size: 11px; fill: var(--muted); }
.chart .label { font-size: 12px; fill: var(--ink); }
.chart .value { fill: var(--ink); }
.chart .now { fill: var(--ink); font-weight: 600; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .rto-line { stroke: var(--muted); stroke-width: 1.5; }
.chart .rto-point.current { stroke: var(--bg); stroke-width: 2; }
.chart .objective { stroke: var(--failed); stroke-width: 1.5; stroke-dasharray: 6 4; }
.chart .rto-mark { stroke: var(--ink); stroke-width: 1.5; stroke-dasharray: 2 3; }
.chart .marker-label { fill: var(--ink); font-weight: 600; }
.chart .objective-label { fill: var(--failed); }
.notes { padding-left: 20px; margin: 0; }
.notes li.finding::marker { content: "✘  "; color: var(--failed); }
.notes li.warning::marker { content: "!  "; color: var(--warn); font-weight: 700; }
.forecast { font-size: 16px; font-weight: 600; margin: 0 0 10px; }
.forecast.already-over, .forecast.crossing { color: var(--failed); }
.forecast.crossing { color: var(--warn); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.fits { max-width: 480px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print { body { max-width: none; } section { break-inside: avoid; } }
`;
