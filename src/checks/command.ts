import { pgEnv } from "../db.js";
import { spawn } from "node:child_process";
import { z } from "zod";
import { checkName, duration, strict } from "../definitions/common.js";
import { formatDuration } from "../duration.js";
import type { ConnectionInfo } from "../types.js";
import { defineConnectionCheck } from "./types.js";

const TAIL_LINES = 20;
const MAX_LINE = 400;
/** Output kept while the command runs; only its tail is ever recorded. */
const KEEP_BYTES = 256 * 1024;
const KILL_GRACE_MS = 2000;

/**
 * The team's own smoke test, pointed at the restored copy through `DATABASE_URL` and `PG*`. Its
 * exit code is the result; the last lines of its output go in the record with the password
 * redacted. A string runs through `sh -c`, a list runs as argv without a shell.
 */
export const command = defineConnectionCheck({
  kind: "command",
  session: "own",
  schema: strict({
    name: checkName,
    run: z
      .union([
        z.string().min(1),
        z.array(z.string().min(1)).min(1, { message: "give the program and its arguments" }),
      ])
      .meta({ description: 'a shell command, or argv such as ["npm", "run", "smoke"]' }),
    timeout: duration
      .optional()
      .meta({ description: "the command is killed after this (default: the step's checkTimeout)" }),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "expected a variable name" }),
        z.string(),
      )
      .optional()
      .meta({
        description:
          'more environment variables for the command, e.g. { API_TOKEN: "${SMOKE_TOKEN}" }; nothing else of drill\'s environment is passed on',
      }),
  }).meta({
    description:
      "Runs the team's own smoke test with `DATABASE_URL` and `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE` pointing at the copy, and its TLS in `PGSSLMODE` and `PGSSLROOTCERT` (and the URL's `sslmode`, `sslrootcert`); exit 0 passes. It sees only PATH, HOME, USER, LANG, LC_ALL, TZ and TMPDIR of drill's environment, plus its `env`. Its last 20 lines of output are recorded, the password redacted.",
  }),
  // Only the program's name: the rest of a command line may carry an interpolated secret.
  describe: (o) =>
    o.name ?? `command ${(typeof o.run === "string" ? o.run.trim().split(/\s+/)[0] : o.run[0])!}`,
  async run(o, ctx) {
    const timeoutMs = o.timeout ?? ctx.timeoutMs;
    const [file, args] =
      typeof o.run === "string" ? ["/bin/sh", ["-c", o.run]] : [o.run[0]!, o.run.slice(1)];
    const r = await runProcess(file, args, {
      cwd: ctx.cwd,
      env: envFor(ctx.connection, o.env),
      timeoutMs,
      signal: ctx.signal,
    });
    // The command's own env values may be secrets too (interpolated from drill's environment).
    const hidden = [ctx.connection.password, ...Object.values(o.env ?? {})];
    const output = tail(r.output, r.truncated, hidden);
    const details = { exitCode: r.code, output };
    const last = output.at(-1);
    if (r.timedOut) {
      return {
        measured: "timed out",
        expected: "exit 0",
        passed: false,
        message: `killed after ${formatDuration(timeoutMs)}`,
        details,
      };
    }
    if (r.code === null) {
      return { measured: `killed by ${r.signal}`, expected: "exit 0", passed: false, details };
    }
    return {
      measured: r.code,
      expected: "exit 0",
      passed: r.code === 0,
      details,
      ...(r.code !== 0 ? { message: `exit ${r.code}${last ? `: ${last}` : ""}` } : {}),
    };
  },
});

/**
 * What a program needs to start, and nothing that could be a secret: drill's own environment
 * holds cloud credentials, webhook URLs and scrub secrets, none of them the smoke test's
 * business, and a PGHOSTADDR or PGSERVICE left there could point it at production.
 */
const PASSED_ON = ["PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/** The few basics above, the drill's own `env:` for the command, then the restored copy's. */
export function envFor(
  conn: ConnectionInfo,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of PASSED_ON) if (process.env[k] !== undefined) env[k] = process.env[k];
  for (const [k, v] of Object.entries(extra))
    if (!k.startsWith("PG") && k !== "DATABASE_URL") env[k] = v;
  const auth = `${encodeURIComponent(conn.user)}${conn.password !== undefined ? `:${encodeURIComponent(conn.password)}` : ""}`;
  const pg = pgEnv(conn);
  // The same TLS for a client that reads only the URL.
  const tls = conn.tls
    ? `?${new URLSearchParams({
        sslmode: conn.tls.mode,
        ...(pg.PGSSLROOTCERT ? { sslrootcert: pg.PGSSLROOTCERT } : {}),
        ...(pg.PGSSLCERT && pg.PGSSLKEY ? { sslcert: pg.PGSSLCERT, sslkey: pg.PGSSLKEY } : {}),
      }).toString()}`
    : "";
  return {
    ...env,
    DATABASE_URL: `postgresql://${auth}@${conn.host}:${conn.port}/${encodeURIComponent(conn.database)}${tls}`,
    // The team's program sees the copy with the database's own settings, as the application does.
    ...pgEnv(conn, { session: false }),
  };
}

interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  truncated: boolean;
  timedOut: boolean;
}

function runProcess(
  file: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; signal: AbortSignal },
): Promise<ProcessResult> {
  opts.signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout kills the shell and whatever the shell started.
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    let truncated = false;
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.length > KEEP_BYTES * 2) {
        output = output.slice(-KEEP_BYTES);
        truncated = true;
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const stop = () => {
      killGroup("SIGTERM");
      setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = () => stop();
    opts.signal.addEventListener("abort", onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      opts.signal.removeEventListener("abort", onAbort);
    };
    child.on("error", (e) => {
      done();
      reject(new Error(`cannot run ${JSON.stringify(file)}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      done();
      if (opts.signal.aborted) reject(opts.signal.reason);
      else resolve({ code, signal, output, truncated, timedOut });
    });
  });
}

/**
 * The last lines, with the password (as written and URL-encoded) replaced. A line cut by the
 * rolling buffer is dropped first, so no fragment of a password can survive the redaction.
 */
export function tail(
  output: string,
  truncated: boolean,
  hidden: readonly (string | undefined)[],
): string[] {
  let lines = output.replace(/\r\n?/g, "\n").split("\n");
  if (truncated) lines = lines.slice(1);
  if (lines.at(-1) === "") lines.pop();
  lines = lines.slice(-TAIL_LINES);
  // Short values (a flag such as "1") would blank out ordinary text and hide nothing.
  const secrets = [
    ...new Set(
      hidden
        .filter((s): s is string => !!s && s.length >= 4)
        .flatMap((s) => [s, encodeURIComponent(s)]),
    ),
  ].sort((a, b) => b.length - a.length);
  return lines.map((line) => {
    let l = line;
    for (const s of secrets) l = l.replaceAll(s, "***");
    return l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}…` : l;
  });
}
