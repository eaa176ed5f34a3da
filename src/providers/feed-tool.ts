import { execFile, spawn } from "node:child_process";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DrillError } from "../errors.js";
import { PlainSqlGuard } from "./plain-sql.js";

export interface ToolResult {
  code: number | null;
  stderrTail: string[];
}

/**
 * Load a plain SQL archive with psql, every line checked by the plain-SQL guard before psql
 * reads it. A refused archive kills psql first and then throws the refusal (exit 2).
 */
export async function loadPlainSql(
  psql: string,
  chunks: AsyncIterable<Buffer>,
  where: string,
  connEnv: Record<string, string>,
  signal: AbortSignal,
): Promise<ToolResult> {
  const { args, env } = psqlInvocation(connEnv);
  const restrict = await hasRestrict(psql);
  return runTool(
    psql,
    args,
    env,
    (stop) => Readable.from(guardPlainSql(chunks, where, stop, restrict)),
    signal,
    {
      inheritPath: false,
    },
  );
}

/**
 * Run pg_restore/psql with the archive on stdin (or none), keeping stderr's tail. `input` gets a
 * function that kills the tool at once, for a feed that must stop it before it sees the end.
 */
export function runTool(
  file: string,
  args: string[],
  env: Record<string, string>,
  input: ((stop: () => void) => Readable) | undefined,
  signal: AbortSignal,
  o: { inheritPath?: boolean } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      signal,
      cwd: "/",
      stdio: [input ? "pipe" : "ignore", "ignore", "pipe"],
      env:
        o.inheritPath === false
          ? env
          : { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", ...env },
    });
    const tail: string[] = [];
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      tail.push(...chunk.split("\n").filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20));
    });
    // A download cut short must fail the restore even when the tool, seeing EOF, exits 0 with
    // half the data loaded.
    let cut = false;
    let refused: DrillError | undefined;
    const fed =
      input && child.stdin
        ? pipeline(
            input(() => child.kill("SIGKILL")),
            child.stdin,
          ).catch((e: unknown) => {
            if (e instanceof DrillError) {
              refused = e;
              return;
            }
            // The tool exiting early (a bad archive) closes stdin: its error, not the pipe's.
            if ((e as { code?: string }).code === "EPIPE") return;
            cut = true;
            tail.push(`reading the archive: ${String(e)}`);
          })
        : Promise.resolve();
    child.on("error", reject);
    child.on(
      "close",
      (code) =>
        void fed.then(() => {
          if (refused) reject(refused);
          else resolve({ code: cut && code === 0 ? 1 : code, stderrTail: tail });
        }),
    );
  });
}

const NEWLINE = Buffer.from("\n");
const isCopyEnd = (b: Buffer) =>
  b[0] === 0x5c && b[1] === 0x2e && (b.length === 2 || (b.length === 3 && b[2] === 0x0d));

/** Longer lines are refused: held whole in memory, and past V8's string limit at 512 MiB. */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

/**
 * Pass an archive's bytes on line by line, each only after it was checked. `onRefuse` runs
 * before the refusal is thrown, so psql can be stopped before it sees its input end.
 */
export async function* guardPlainSql(
  chunks: AsyncIterable<Buffer>,
  where: string,
  onRefuse: () => void,
  restrict = true,
): AsyncGenerator<Buffer> {
  const guard = new PlainSqlGuard(where);
  if (restrict) yield Buffer.from(guard.prelude(), "latin1");
  // The unfinished line's pieces, joined once its newline comes: a long line costs no rescans.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // `line` ends with its "\n" (but the last line of a file may have none).
  const take = (line: Buffer): Buffer => {
    const bytes = pending.length > 0 ? Buffer.concat([...pending, line]) : line;
    pending = [];
    pendingBytes = 0;
    const body = bytes.at(-1) === 10 ? bytes.subarray(0, -1) : bytes;
    // COPY data, the bulk of a dump, passes as it came: only its end line needs looking at.
    if (guard.copying && !isCopyEnd(body)) {
      guard.copyLine();
      return bytes.at(-1) === 10 ? bytes : Buffer.concat([bytes, NEWLINE]);
    }
    return Buffer.from(guard.line(body.toString("latin1")) + "\n", "latin1");
  };
  try {
    for await (const chunk of chunks) {
      const out: Buffer[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        out.push(take(chunk.subarray(start, nl + 1)));
        start = nl + 1;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > MAX_LINE_BYTES) guard.lineTooLong(MAX_LINE_BYTES);
      }
      if (out.length > 0) yield Buffer.concat(out);
    }
    if (pendingBytes > 0) yield take(Buffer.alloc(0));
    guard.end();
  } catch (e) {
    onRefuse();
    throw e;
  }
}

/**
 * psql for an archive: no psqlrc, stop at the first error, read from stdin. Its environment holds
 * the connection and nothing else of drill's (no AWS keys, no SCRUB_SECRET, no webhook URLs, not
 * even PATH).
 */
export function psqlInvocation(connEnv: Record<string, string>): {
  args: string[];
  env: Record<string, string>;
} {
  return {
    args: ["--no-psqlrc", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
    env: { ...connEnv, LC_ALL: "C" },
  };
}

const restrictByPsql = new Map<string, Promise<boolean>>();

/**
 * Whether this psql has `\restrict` (15.14, 16.10, 17.6 and later): an older one would stop at
 * it as an unknown command, so it then gets the line check alone.
 */
function hasRestrict(psql: string): Promise<boolean> {
  let known = restrictByPsql.get(psql);
  if (!known) {
    known = new Promise((resolve) =>
      execFile(psql, ["--help=commands"], { env: { LC_ALL: "C" } }, (err, stdout) =>
        resolve(!err && /\\restrict\b/.test(stdout)),
      ),
    );
    restrictByPsql.set(psql, known);
  }
  return known;
}
