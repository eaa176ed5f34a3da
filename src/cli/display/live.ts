import { formatDuration } from "../../duration.js";
import type { RunEvent } from "../../engine/events.js";
import { colourOutcome, OUTCOME_MARK, type Style } from "./style.js";

const SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

interface Row {
  label: string;
  state: "pending" | "running" | string;
  startedAt?: number;
  durationMs?: number;
  note: string;
}

/**
 * A step list redrawn in place on a terminal: a spinner and a running timer on the current
 * step, the outcome and duration on finished ones. Call `stop()` before printing anything else.
 */
export function liveDisplay(
  out: NodeJS.WritableStream & { columns?: number },
  style: Style,
  now: () => number = Date.now,
) {
  const rows: Row[] = [];
  let drawn = 0;
  let frame = 0;
  const width = () => Math.max(40, (out.columns || 100) - 1);

  const render = () => {
    frame++;
    let text = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const r of rows) {
      const t = r.durationMs ?? (r.startedAt !== undefined ? now() - r.startedAt : undefined);
      const mark =
        r.state === "running"
          ? style.yellow(SPINNER[frame % SPINNER.length]!)
          : r.state === "pending"
            ? style.dim("·")
            : colourOutcome(style, r.state, OUTCOME_MARK[r.state] ?? "?");
      const time = t === undefined ? "" : formatDuration(t);
      const head = ` ${r.label.padEnd(18)} ${time.padStart(7)}  `;
      // One line per row: a multi-line message (a YAML block) shows its first line here.
      const note = r.note.split("\n")[0]!.slice(0, Math.max(0, width() - head.length - 3));
      text += `\x1b[2K  ${mark}${head}${style.dim(note)}\n`;
    }
    drawn = rows.length;
    out.write(text);
  };
  const timer = setInterval(render, 100);
  timer.unref();

  const handle = (e: RunEvent) => {
    switch (e.type) {
      case "prepare:start":
        rows.push({
          label: `prepare ${e.environment}`,
          state: "running",
          startedAt: now(),
          note: "",
        });
        break;
      case "prepare:progress":
        rows[0]!.note = e.message;
        break;
      case "prepare:end":
        Object.assign(rows[0]!, {
          state: "error" in e.details ? "error" : "passed",
          durationMs: e.durationMs,
          note: "",
        });
        break;
      case "run:start":
        for (const s of e.steps) rows.push({ label: s.name, state: "pending", note: "" });
        break;
      case "step:start":
        Object.assign(rows[offset() + e.index]!, { state: "running", startedAt: now() });
        break;
      case "step:progress":
        rows[offset() + e.index]!.note = e.message;
        break;
      case "step:end":
        Object.assign(rows[offset() + e.index]!, {
          state: e.record.outcome,
          durationMs: e.record.durationMs,
          note: "",
        });
        break;
      case "run:end":
        break;
    }
    render();
  };
  const offset = () => (rows[0]?.label.startsWith("prepare ") ? 1 : 0);
  const stop = () => {
    clearInterval(timer);
    render();
  };
  return { handle, stop };
}
