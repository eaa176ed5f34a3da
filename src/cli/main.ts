import { CommanderError } from "commander";
import { DrillError, type ExitCode } from "../errors.js";
import { writeLine, type Io } from "./io.js";
import { program } from "./program.js";
import { errorText } from "../redact.js";

/** The CLI entry: the only place that turns errors into exit codes. `bin/drill.js` exits with it. */
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
      process.exit(130);
    }
  };
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
