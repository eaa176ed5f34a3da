import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./temp.js";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DRILL_BIN = join(REPO, "bin", "drill.js");

/** A throwaway project folder with the given files (path → content), removed after the file. */
export async function makeProject(files: Record<string, string | Uint8Array>): Promise<string> {
  // 0755 lets the `postgres` user reach clusters under <root>/.drill.
  const root = await tempDir("project", { walkable: true });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a user's shell gives the CLI: only PATH and HOME from this process's. */
export const cliEnv = (env: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "/root",
  DRILL_LOG_LEVEL: "warn",
  ...env,
});

/**
 * This environment without npm's `npm_config_*` variables: npm hands its config, this
 * repository's .npmrc included, to every script it runs (`npm test`), so an npm started from a
 * test would otherwise follow the repository's settings wherever it runs.
 */
export const withoutNpmConfig = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));

/** Start the built CLI as a user would. */
export function spawnDrill(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  return spawn(process.execPath, [DRILL_BIN, ...args], {
    cwd: opts.cwd,
    env: cliEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Run the built CLI (`npm test` builds first) as a user would, in `cwd`. `onStdout` sees the
 * output as it comes, e.g. to send SIGINT at a chosen moment.
 */
export function runCli(
  args: string[],
  opts: {
    cwd: string;
    env?: Record<string, string>;
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void;
  },
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawnDrill(args, opts);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(stdout, child);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}
