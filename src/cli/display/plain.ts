import { formatDuration } from "../../duration.js";
import type { RunEvent } from "../../engine/events.js";

/** One line per event, for logs and CI where nothing can be redrawn. */
export function plainDisplay(out: NodeJS.WritableStream, now: () => Date = () => new Date()) {
  const names: string[] = [];
  const line = (text: string) => out.write(`${now().toISOString().slice(11, 19)} ${text}\n`);
  return (e: RunEvent) => {
    switch (e.type) {
      case "prepare:start":
        return line(`preparing environment ${e.environment}`);
      case "prepare:progress":
        return line(`  ${e.message}`);
      case "prepare:end":
        return line(`prepared in ${formatDuration(e.durationMs)}`);
      case "run:start":
        names.push(...e.steps.map((s) => s.name));
        return line(`run ${e.runId} of drill ${e.drill} started`);
      case "step:start":
        return line(`step ${e.name} started (timeout ${formatDuration(e.timeoutMs)})`);
      case "step:progress":
        return line(`step ${names[e.index]}: ${e.message}`);
      case "step:end":
        return line(
          `step ${e.record.name} ${e.record.outcome} in ${formatDuration(e.record.durationMs)}`,
        );
      case "run:end":
        return line(`run ${e.record.outcome} in ${formatDuration(e.record.durationMs)}`);
    }
  };
}
