import { formatDuration } from "../duration.js";
import type { Measurement } from "../types.js";

export function measurement(value: number | null, objective: number | null): Measurement {
  return {
    value,
    objective,
    met: value === null || objective === null ? null : value <= objective,
  };
}

/** One line per missed objective, saying by how much: "RTO 6m12s missed its objective 5m by 1m12s". */
export function missedObjectives(measurements: Record<string, Measurement | undefined>): string[] {
  const lines: string[] = [];
  for (const [name, m] of Object.entries(measurements)) {
    if (!m || m.met !== false || m.value === null || m.objective === null) continue;
    const label = labelOf(name);
    const fmt = name.endsWith("Ms") ? formatDuration : String;
    lines.push(
      `${label} ${fmt(m.value)} missed its objective ${fmt(m.objective)} by ${fmt(m.value - m.objective)}`,
    );
  }
  return lines;
}

const labelOf = (name: string) => ({ rtoMs: "RTO", rpoMs: "RPO" })[name] ?? name.replace(/Ms$/, "");
