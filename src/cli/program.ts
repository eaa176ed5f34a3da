import { Argument, Command, InvalidArgumentError, Option } from "commander";
import type { ExitCode } from "../errors.js";
import type { Logger } from "../log.js";
import type { CleanupFlags } from "./cleanup.js";
import type { InitFlags } from "./init.js";
import type { Io } from "./io.js";
import { addAuditCommands } from "./program-audit.js";
import type { ReportFlags } from "./report.js";
import type { RunFlags } from "./run.js";

export const VERSION = "0.1.0";

/**
 * The command tree. Each action imports its command module when it runs, so `drill --help`
 * and `drill validate` never load the AWS SDK, faker, pg or the engine (cold start).
 */
export function program(io: Io, done: (code: ExitCode) => void): Command {
  const log = async (): Promise<Logger> =>
    (await import("../log.js")).createLogger(
      io.env.DRILL_LOG_LEVEL ?? (io.stderr.isTTY ? "warn" : "info"),
    );
  const cli = new Command("drill")
    .description(
      "Disaster-recovery drills as code: restore, verify and measure recovery against RTO/RPO.",
    )
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  cli
    .command("init")
    .description(
      "scaffold drills/, scrubbers/ and config/ with a commented example of each that runs on the local sandbox",
    )
    .option("--force", "overwrite the example files if they exist")
    .action(async (flags: InitFlags) =>
      done(await (await import("./init.js")).initCommand(flags, io)),
    );

  cli
    .command("run")
    .description(
      "run drills now (their steps, then cleanup); several end with a scorecard, drills of different environments side by side (daemon.maxConcurrent), local ones in turn; exit 0 passed, 1 failed, 2 bad input, 3 platform error, 130 interrupted; several: the worst, 130 > 3 > 2 > 1 > 0",
    )
    .argument("[drill...]", "drill names (drills/<name>.yaml) or drill files")
    .option("--all", "run every drill of the project")
    .option(
      "--json",
      "print the run record as JSON on stdout, nothing else (an array with --all or several drills)",
    )
    .option("--dry-run", "resolve and print the plan; create nothing")
    .option(
      "--confirm-production",
      "allow failover steps that target production (the drill must also say production: true)",
    )
    .action(async (targets: string[], flags: RunFlags) =>
      done(await (await import("./run.js")).runCommand(targets, flags, io, await log())),
    );

  cli
    .command("plan")
    .description(
      "resolve drills (snapshot, checks, budgets) and print what a run would do; touches nothing",
    )
    .argument("[drill...]", "drill names or files (default: all)")
    .option("--json", "print the plan as JSON")
    .option("--offline", "describe cloud calls without making any (no credentials needed)")
    .action(async (targets: string[], flags: { json?: boolean; offline?: boolean }) =>
      done(await (await import("./plan.js")).planCommand(targets, flags, io)),
    );

  cli
    .command("validate")
    .description(
      "check drill, scrubber and config files; one line per problem (file:line:col path: message)",
    )
    .argument("[files...]", "files to check (default: the whole project)")
    .action(async (files: string[]) =>
      done(await (await import("./validate.js")).validateCommand(files, io)),
    );

  cli
    .command("list")
    .description("list drills: environment, schedule, steps, last outcome")
    .option("--json", "print as JSON")
    .action(async (flags: { json?: boolean }) =>
      done(await (await import("./list.js")).listWithHistory(io, flags)),
    );

  cli
    .command("report")
    .description(
      "show one stored run in the terminal, as Markdown with --markdown, or write its HTML report with --html",
    )
    .argument("<run>", 'a run id, or "latest"')
    .option("--drill <name>", "only runs of this drill (with latest: its newest run)")
    .option(
      "--html <file>",
      "write a self-contained HTML report (timeline, checks, trends, forecast)",
    )
    .addOption(
      new Option(
        "--markdown",
        "print the run as Markdown (for $GITHUB_STEP_SUMMARY, a pull request or an issue)",
      ).conflicts("html"),
    )
    .action(async (run: string, flags: ReportFlags) =>
      done(await (await import("./report.js")).reportCommand(run, flags, io)),
    );

  cli
    .command("history")
    .description("past runs, newest first: time, outcome, RTO, RPO, failover downtime, duration")
    .argument("[drill]", "only this drill")
    .option("--json", "print the run records as JSON")
    .option("--limit <n>", "at most this many runs", (v) => positiveInt(v, "--limit"), 20)
    .action(async (drill: string | undefined, flags: { json?: boolean; limit: number }) =>
      done(await (await import("./history.js")).historyCommand(drill, flags, io)),
    );

  addAuditCommands(cli, io, done);

  cli
    .command("daemon")
    .description(
      "run every drill with a schedule; serve /healthz, /readyz and /metrics; SIGHUP reloads, SIGTERM stops",
    )
    .option("--port <port>", "HTTP port (default: daemon.port in config, 9464)", (v) =>
      positiveInt(v, "--port", true),
    )
    .option(
      "--host <host>",
      "HTTP listen address (default: daemon.host in config, 127.0.0.1; 0.0.0.0 for every interface)",
    )
    .action(async (flags: { port?: number; host?: string }) =>
      done(
        await (
          await import("./daemon.js")
        ).daemonCommand(flags, io, await log(), (fn) => {
          process.on("SIGHUP", fn);
          return () => process.off("SIGHUP", fn);
        }),
      ),
    );

  cli
    .command("cleanup")
    .description(
      "remove what dead or expired runs left behind (run folders, servers, locks, tagged AWS resources) and record dead runs; exit 0 done, 3 something could not be removed",
    )
    .option("--dry-run", "list what would be removed; remove nothing")
    .option("--environment <name>", "only this environment (default: all in config)")
    .action(async (flags: CleanupFlags) =>
      done(await (await import("./cleanup.js")).cleanupCommand(flags, io)),
    );

  cli
    .command("schema")
    .description("print the JSON Schema of drill, scrubber and config files (for editors)")
    .addOption(
      new Option("--kind <kind>", "only one file kind").choices(["drill", "scrubber", "config"]),
    )
    .option("--write", "write schema/*.schema.json instead of printing")
    .action(async (flags: { kind?: "drill" | "scrubber" | "config"; write?: boolean }) =>
      done(await (await import("./schema.js")).schemaCommand(io, flags)),
    );

  cli
    .command("sandbox")
    .description("show or clear the local sandbox (its production cluster and snapshots)")
    .addArgument(new Argument("<action>", "status | reset").choices(["status", "reset"]))
    .option("--environment <name>", "a local environment from config", "sandbox")
    .action(async (action: "status" | "reset", flags: { environment: string }) =>
      done(await (await import("./sandbox.js")).sandboxAction(action, flags.environment, io)),
    );

  cli
    .command("scrubber")
    .description("draft scrubbers: scrubber init <environment> | scrubber init --drill NAME")
    .command("init")
    .description(
      "restore a copy (an environment's latest snapshot, or exactly what a drill's restore step restores: snapshot, archive, s3://) and write a draft scrubber per database: every column, personal data guessed from names and sampled values, each guess with its reason",
    )
    .argument("[environment]", "an environment from config (or use --drill)")
    .option("--drill <name>", "restore as this drill's restore step does")
    .option(
      "--out <file>",
      "the draft for the copy's own database (default: scrubbers/<environment or drill>.yaml); other databases go beside it as <file>-<database>.yaml",
    )
    .option("--sample <n>", "values sampled per column", (v) => positiveInt(v, "--sample"), 200)
    .action(
      async (
        environment: string | undefined,
        flags: { out?: string; sample: number; drill?: string },
      ) =>
        done(
          await (
            await import("./scrubber.js")
          ).scrubberInitCommand(environment, flags, io, await log()),
        ),
    );

  return cli;
}

function positiveInt(value: string, option: string, zero = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (zero ? 0 : 1) || n > 65535)
    throw new InvalidArgumentError(`${option} expects a whole number, got "${value}"`);
  return n;
}
