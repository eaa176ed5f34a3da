import { randomBytes } from "node:crypto";

/** Run ids sort by time and are safe as folder names and resource tags: 20261128-163012-quickstart-3f9a. */
export function newRunId(drill: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${drill}-${randomBytes(2).toString("hex")}`;
}

/** `20261128-165900-orders-restore-adcf` → `orders-restore`; undefined when `id` is not a run id. */
export function drillOfRunId(id: string): string | undefined {
  const m = /^\d{8}-\d{6}-([a-z0-9][a-z0-9_-]*)-[0-9a-f]+$/.exec(id);
  return m?.[1];
}
