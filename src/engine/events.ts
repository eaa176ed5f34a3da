import type { RunRecord, StepRecord } from "../types.js";

/**
 * What the engine tells the outside while a run goes on. The terminal display, the JSON output
 * and the record all come from these; no step prints by itself.
 */
export type RunEvent =
  | { type: "prepare:start"; environment: string }
  | { type: "prepare:progress"; message: string }
  | { type: "prepare:end"; durationMs: number; details: Record<string, unknown> }
  | {
      type: "run:start";
      runId: string;
      drill: string;
      startedAt: string;
      steps: { name: string; kind: string }[];
    }
  | { type: "step:start"; index: number; name: string; kind: string; timeoutMs: number }
  | { type: "step:progress"; index: number; message: string }
  | { type: "step:end"; index: number; record: StepRecord }
  | { type: "run:end"; record: RunRecord };

export type EventListener = (event: RunEvent) => void;
