import { constants, promises as fs } from "node:fs";
import path from "node:path";
import { inputError, isAbortError, platformError } from "../../../errors.js";
import { maskToolOutput } from "../../../redact.js";
import type { PgBackRestConfig } from "../../types.js";
import { run, type RunAs } from "../os-user.js";

/**
 * Running the pgbackrest program: finding it, the repository options every command takes, and
 * its failures as one masked line. pgbackrest.ts decides what to run.
 */

export interface ToolContext {
  /** The PATH to look the program up in (tests point it at an empty folder). */
  searchPath: string;
  /** Where AWS_* credentials are read from for an inline S3 repository. */
  env: NodeJS.ProcessEnv;
  as: RunAs | undefined;
}

/** The absolute path of pgbackrest on `searchPath`, or exit 3 with the package to install. */
export async function findPgBackRest(searchPath: string): Promise<string> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, "pgbackrest");
    const ok = await fs.access(file, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return file;
  }
  throw platformError(
    "PGBACKREST_MISSING",
    "pgbackrest is not installed (not found on PATH)",
    "install it: apt-get install pgbackrest (or your platform's pgbackrest package)",
  );
}

export interface RepoOptions {
  /** Options naming the repository, before the command word. No secret is among them. */
  args: string[];
  /** pgBackRest's own variables for the credentials: given to its process, never written. */
  env: Record<string, string>;
  /** For messages: the config file, folder or bucket. */
  where: string;
}

// Values that reach a shell (restore_command) and pgBackRest's option parser: plain host names,
// regions and bucket names only. The schema leaves these free-form; the shell must not see them so.
const HOST = /^[A-Za-z0-9][A-Za-z0-9.-]*(:\d{1,5})?$/;
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/**
 * pgBackRest's own variables set for drill (PGBACKREST_REPO1_CIPHER_PASS for an encrypted
 * repository): passed on like the S3 credentials, since the tool runs with a clean environment.
 */
const ownVariables = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => e[0].startsWith("PGBACKREST_") && e[1] !== undefined,
    ),
  );

/** The options for a repository given by file or inline; S3 credentials from the environment. */
export function repoOptions(config: PgBackRestConfig, env: NodeJS.ProcessEnv): RepoOptions {
  const own = ownVariables(env);
  if ("file" in config) return { args: [`--config=${config.file}`], env: own, where: config.file };
  if ("repoPath" in config) {
    return {
      args: ["--no-config", `--repo1-path=${config.repoPath}`],
      env: own,
      where: config.repoPath,
    };
  }
  const s3 = config.s3;
  for (const [field, value, pattern] of [
    ["bucket", s3.bucket, PLAIN],
    ["endpoint", s3.endpoint, HOST],
    ["region", s3.region, PLAIN],
  ] as const) {
    if (!pattern.test(value)) {
      throw inputError(
        "PGBACKREST_S3_OPTION",
        `pgbackrest.config.s3.${field}: "${value}" is not accepted (letters, digits, '.', '-'${field === "endpoint" ? ", and :port" : ""})`,
      );
    }
  }
  const key = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (!key || !secret) {
    throw inputError(
      "PGBACKREST_S3_CREDENTIALS",
      "pgbackrest.config.s3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set in drill's environment",
      "export them (and AWS_SESSION_TOKEN for temporary credentials) before running drill",
    );
  }
  const [host, port] = s3.endpoint.split(":");
  return {
    args: [
      "--no-config",
      "--repo1-type=s3",
      `--repo1-s3-bucket=${s3.bucket}`,
      `--repo1-s3-endpoint=${host}`,
      ...(port ? [`--repo1-storage-port=${port}`] : []),
      `--repo1-s3-region=${s3.region}`,
      `--repo1-path=${s3.repoPath ?? "/"}`,
      ...(s3.uriStyle ? [`--repo1-s3-uri-style=${s3.uriStyle}`] : []),
      ...(s3.caFile ? [`--repo1-storage-ca-file=${s3.caFile}`] : []),
    ],
    env: {
      ...own,
      PGBACKREST_REPO1_S3_KEY: key,
      PGBACKREST_REPO1_S3_KEY_SECRET: secret,
      ...(env.AWS_SESSION_TOKEN ? { PGBACKREST_REPO1_S3_TOKEN: env.AWS_SESSION_TOKEN } : {}),
    },
    where: `s3://${s3.bucket}${s3.repoPath ?? "/"}`,
  };
}

/** Console quiet, errors on stderr, no log file: what a failure says comes back to us. */
export const QUIET = ["--log-level-console=off", "--log-level-stderr=warn", "--log-level-file=off"];

/** Run one pgbackrest command as the server user; a failure is exit 3 with its masked stderr. */
export async function pgbackrest(
  tool: string,
  repo: RepoOptions,
  args: string[],
  o: { as: RunAs | undefined; signal: AbortSignal },
): Promise<string> {
  try {
    const { stdout } = await run(tool, [...repo.args, ...QUIET, ...args], {
      as: o.as,
      signal: o.signal,
      env: repo.env,
    });
    return stdout;
  } catch (e) {
    if (isAbortError(e)) throw e;
    const command = args.find((a) => !a.startsWith("-")) ?? "?";
    const stderr = String((e as { stderr?: unknown }).stderr ?? "");
    const lines = maskToolOutput(stderr.split("\n").filter((l) => l.trim() !== ""));
    const said = lines.slice(-3).join(" ").replace(/\s+/g, " ").trim();
    throw platformError(
      "PGBACKREST_FAILED",
      `pgbackrest ${command} failed for ${repo.where}: ${said || (e instanceof Error ? e.message : String(e))}`,
      "run the same pgbackrest command as the PostgreSQL server's user to see its full log",
      e,
    );
  }
}
