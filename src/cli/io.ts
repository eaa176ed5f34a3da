/**
 * What a command may touch of the outside world, passed in so commands are tested in-process.
 * Only src/cli/main.ts builds it from `process`; nothing else reads env, argv or the cwd.
 */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** The project root: where drills/, scrubbers/ and config/ live. */
  cwd: string;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export const writeLine = (stream: NodeJS.WritableStream, line = "") => stream.write(`${line}\n`);
