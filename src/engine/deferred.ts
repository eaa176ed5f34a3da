import type { Logger } from "../log.js";
import { errorText } from "../redact.js";

/**
 * The undo list of a run. Steps add to it the moment they create something; cleanup runs it
 * newest first, and one failing undo does not stop the others.
 */
export class Deferred {
  private readonly items: { label: string; fn: () => Promise<void> }[] = [];

  constructor(private readonly log: Logger) {}

  add(label: string, fn: () => Promise<void>): void {
    this.items.push({ label, fn });
  }

  async runAll(): Promise<{ label: string; error?: string }[]> {
    const results: { label: string; error?: string }[] = [];
    while (this.items.length > 0) {
      const { label, fn } = this.items.pop()!;
      try {
        await fn();
        results.push({ label });
      } catch (e) {
        const error = errorText(e);
        this.log.error({ label, error }, "cleanup action failed");
        results.push({ label, error });
      }
    }
    return results;
  }
}
