import type { Logger as PinoLogger } from "pino";
import { pino } from "pino";

export type Logger = PinoLogger;

/**
 * Logs go to stderr (stdout belongs to `--json` and the summary): JSON lines, machine-readable
 * for daemons and CI. Connection passwords are redacted wherever they appear.
 */
export function createLogger(
  level: string = "warn",
  destination: NodeJS.WritableStream = process.stderr,
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
    destination as pino.DestinationStream,
  );
}

export const silentLogger: Logger = pino({ level: "silent" });
