/**
 * Exit codes, which commander cannot describe: the shared meanings (README "Commands") and what
 * each command returns. Keyed by the command's path under `drill`; the reference test fails for
 * a command missing here, so a new command gets its codes written down.
 */
export const EXIT_CODES: readonly [code: number, meaning: string][] = [
  [0, "the drill passed (or the command did what it was asked)"],
  [1, "it ran and failed: a check, an objective, a timeout, lost writes, a leak"],
  [
    2,
    "bad input: usage, an invalid file, the drill already running, an unconfirmed production failover",
  ],
  [3, "the platform failed: PostgreSQL would not start, a tool is missing, AWS unreachable"],
  [130, "interrupted (Ctrl-C or SIGTERM); cleanup still runs"],
];

export const COMMAND_EXIT_CODES: Readonly<Record<string, readonly [number, string][]>> = {
  init: [
    [0, "the example files were written"],
    [2, "one of them exists (without `--force`), or it cannot be written; nothing was written"],
  ],
  run: [
    [0, "every drill passed"],
    [1, "a drill ran and failed"],
    [
      2,
      "bad input: an invalid file, an unknown drill, the drill already running, an unconfirmed production failover",
    ],
    [3, "the platform failed"],
    [130, "interrupted; cleanup ran"],
  ],
  plan: [
    [0, "planned; nothing was created"],
    [2, "an invalid file or an unknown drill"],
    [3, "the platform failed (e.g. AWS unreachable; `--offline` needs no credentials)"],
  ],
  validate: [
    [0, "every file is valid"],
    [2, "problems, one line each on stderr"],
  ],
  list: [
    [0, "listed"],
    [2, "an invalid file"],
  ],
  report: [
    [0, "shown or written"],
    [2, "an invalid file, or an unknown run id (recent ones are listed)"],
  ],
  history: [
    [0, "listed"],
    [2, "an invalid file"],
  ],
  daemon: [
    [0, "stopped by SIGTERM after running drills cleaned up"],
    [2, "an invalid config at start (an invalid drill is skipped, not fatal)"],
    [3, "the platform failed (e.g. the port is taken)"],
  ],
  coverage: [
    [
      0,
      "every database the environments see has a passing drill within coverage.maxAge (or is tagged drill:ignore)",
    ],
    [1, "a database has no drill (uncovered) or no passing run within coverage.maxAge (stale)"],
    [2, "an invalid file or an unknown --environment (the known ones are listed)"],
    [3, "the platform failed (AWS unreachable, no credentials, access denied)"],
  ],
  cleanup: [
    [0, "everything left behind was removed (or listed, with `--dry-run`)"],
    [2, "an invalid file"],
    [3, "something could not be removed"],
  ],
  schema: [[0, "printed or written"]],
  keygen: [
    [0, "the key pair was written"],
    [2, "a key exists (without `--force`), or neither XDG_CONFIG_HOME nor HOME is set"],
  ],
  controls: [
    [0, "the matrix printed or written, whatever it shows (gaps, failed runs, edited records)"],
    [2, "an invalid file or key, a bad --since, or an unknown drill"],
    [3, "the history store cannot be read"],
  ],
  "verify-evidence": [
    [0, "every record is signed by the trusted key, unedited, and chained without gaps"],
    [1, "an edited, missing, unsigned or foreign-signed record (one line each)"],
    [2, "an invalid file or key, or signed records and no public key to check them with"],
    [3, "the history store cannot be read"],
  ],
  sandbox: [
    [0, "shown or cleared"],
    [2, "an invalid file, or not a local environment"],
    [3, "the platform failed"],
  ],
  "scrubber init": [
    [0, "the draft was written"],
    [2, "an unknown environment, or the file exists"],
    [3, "the platform failed (the restore or the sampling)"],
    [130, "interrupted; the restored copy was removed"],
  ],
};
