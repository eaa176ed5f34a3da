import { execFileSync } from "node:child_process";
import type { LocalEnvironment } from "../../src/definitions/config.js";
import { tempDir } from "../helpers/temp.js";

/** A temp project root the `postgres` user can walk through (mkdtemp makes it 0700). */
export async function tempRoot(prefix: string): Promise<string> {
  return tempDir(prefix, { walkable: true });
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
