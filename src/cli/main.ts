import { CommanderError } from "commander";
import { DrillError, type ExitCode } from "../errors.js";
import { writeLine, type Io } from "./io.js";
import { program } from "./program.js";
import { errorText } from "../redact.js";
import { sleep } from "../sleep.js";

/**
 * The CLI entry: the only place that turns errors into exit codes. `bin/drill.js` hands the code
 * to `exitWhenFlushed`.
 */
export async function main(argv: string[], io: Io = processIo()): Promise<ExitCode> {
  let code: ExitCode = 0;
  try {
    await program(io, (c) => (code = c)).parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage mistakes with 1, which we call 2.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof DrillError) {
      writeLine(io.stderr, `drill: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`);
      return e.exitCode;
    }
    const message = errorText(e);
    writeLine(
      io.stderr,
      `drill: internal error: ${message}${io.env.DRILL_DEBUG ? `\n${(e as Error).stack}` : " (set DRILL_DEBUG=1 for details)"}`,
    );
    return 3;
  }
}

function processIo(): Io {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(
        `\n${name}: stopping the drill; cleaning up (press Ctrl-C twice more to abandon cleanup)\n`,
      );
      controller.abort(new DrillError("interrupted", "INTERRUPTED", `interrupted by ${name}`));
    } else if (signals >= 3) {
      process.stderr.write("abandoning cleanup: run `drill sandbox status` to see what is left\n");
      // Leaving is what was asked for: a reader that stopped reading may delay it only briefly.
      void exitWhenFlushed(130, ABANDON_FLUSH_MS);
    }
  };
  for (const stream of [process.stdout, process.stderr]) stream.on("error", ignoreGoneReader);
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
}

/** How long the third Ctrl-C waits for output still on its way into a pipe. */
const ABANDON_FLUSH_MS = 2000;

/**
 * Exit once stdout and stderr have handed everything written to the OS. `process.exit` drops
 * what a pipe has not taken yet (a pipe holds 64 KiB), which cut `drill schema | head -c 70000`
 * at 65536 bytes. Exiting on purpose, rather than letting the event loop end, keeps a forgotten
 * timer or pool from holding the process open. `limitMs` bounds the wait when leaving matters
 * more than the output.
 */
export async function exitWhenFlushed(code: number, limitMs?: number): Promise<never> {
  const both = Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  await (limitMs === undefined ? both : Promise.race([both, sleep(limitMs)]));
  process.exit(code);
}

/**
 * Resolves when everything written to `stream` so far is out: writes complete in order, so an
 * empty write's callback runs after theirs. A reader that went away (EPIPE) resolves it too.
 */
const flushed = (stream: NodeJS.WriteStream) =>
  new Promise<void>((resolve) => {
    if (stream.destroyed) resolve();
    else stream.write("", () => resolve());
  });

/**
 * `drill history --json | head -1`: the reader leaving is not drill's failure, and the run (its
 * cleanup above all) goes on; later writes go nowhere. Any other stream error still throws.
 */
function ignoreGoneReader(e: NodeJS.ErrnoException) {
  if (e.code !== "EPIPE") throw e;
}
