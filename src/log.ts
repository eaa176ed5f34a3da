import type { Logger as PinoLogger } from "pino";
import { pino } from "pino";

export type Logger = PinoLogger;

const LEVEL_NAMES: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/**
 * Logs go to stderr (stdout belongs to `--json` and the summary): JSON lines for daemons, CI
 * and log shippers; one readable line each on a terminal. Passwords are redacted wherever a
 * log call puts them.
 */
export function createLogger(
  level: string = "warn",
  destination: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ["password", "*.password", "*.*.password", "connection.password"],
        censor: "[redacted]",
      },
    },
    destination.isTTY ? readableLines(destination) : (destination as pino.DestinationStream),
  );
}

/** `warn sandbox prepared {"port":5433}` instead of a JSON object, for people at a terminal. */
function readableLines(out: NodeJS.WritableStream): pino.DestinationStream {
  return {
    write(line: string) {
      const {
        level,
        time: _time,
        msg,
        ...rest
      } = JSON.parse(line) as { level: number; time: number; msg?: string };
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
      out.write(`${LEVEL_NAMES[level] ?? level} ${msg ?? ""}${extra}\n`);
    },
  };
}

export const silentLogger: Logger = pino({ level: "silent" });
