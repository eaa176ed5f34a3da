/** Numbers as the report and the forecast say them. */

export function formatWeeks(weeks: number): string {
  if (weeks < 2) return `about ${Math.max(1, Math.round(weeks * 7))} days`;
  if (weeks < 104) return `about ${Math.round(weeks)} weeks`;
  return `about ${(weeks / 52).toFixed(1)} years`;
}

export function formatGrowth(g: number): string {
  const pct = g * 100;
  const digits = Math.abs(pct) < 1 ? 1 : 0;
  return `${pct >= 0 ? "+" : ""}${pct.toFixed(digits)}%`;
}

export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}
