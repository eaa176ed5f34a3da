import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LocalEnvironment } from "../../src/definitions/config.js";

/** A temp project root the `postgres` user can walk through (mkdtemp makes it 0700). */
export async function tempRoot(prefix: string): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `drill-${prefix}-`));
  await fs.chmod(root, 0o755);
  return root;
}

export const localEnv = (over: Partial<LocalEnvironment> = {}): LocalEnvironment => ({
  provider: "local",
  postgres: "embedded",
  scale: 0.02,
  backupInterval: 24 * 3_600_000,
  ...over,
});

/** Command lines of processes mentioning `text` (postmasters are started with `-D <dir>`). */
export function processesMatching(text: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", text], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.trim() && !l.includes("pgrep"));
  } catch {
    return [];
  }
}

export const noop = () => {};

export const signal = () => new AbortController().signal;
