import { randomBytes } from "node:crypto";

/** Run ids sort by time and are safe as folder names and resource tags: 20261128-163012-quickstart-3f9a. */
export function newRunId(drill: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${drill}-${randomBytes(2).toString("hex")}`;
}
