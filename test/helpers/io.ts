import { Writable } from "node:stream";
import type { Io } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

/** An Io for running commands in-process: output collected, env as given, never aborted. */
export function fakeIo(cwd: string, env: Record<string, string | undefined> = {}) {
  const stdout = new Collect();
  const stderr = new Collect();
  const io: Io = { stdout, stderr, env, cwd, signal: new AbortController().signal };
  return { io, out: () => stdout.text, err: () => stderr.text };
}

/** `drill <args>` in-process in `cwd`: its exit code and what it printed. */
export async function runMain(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = { DRILL_LOG_LEVEL: "error" },
) {
  const f = fakeIo(cwd, env);
  const code = await main(args, f.io);
  return { code, stdout: f.out(), stderr: f.err() };
}
