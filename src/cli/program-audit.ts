import { Option, type Command } from "commander";
import type { ExitCode } from "../errors.js";
import type { ControlsFlags } from "./controls.js";
import type { Io } from "./io.js";

/**
 * The commands an audit uses: the control matrix, coverage of the estate, the signing key and
 * the evidence check. Each imports its module when it runs (cold start, as in program.ts).
 */
export function addAuditCommands(cli: Command, io: Io, done: (code: ExitCode) => void): void {
  cli
    .command("controls")
    .description(
      "the control matrix for an audit: per compliance control (a drill's `controls:`), the drills that evidence it, their runs in the period (outcome, RTO/RPO against objectives, signature status), the last success and the months a scheduled drill has no passed run",
    )
    .argument("[drill...]", "only these drills (default: all)")
    .option(
      "--since <when>",
      "start of the period: 12mo, 90d, 52w, 1y or a date (2026-01-01)",
      "12mo",
    )
    .addOption(new Option("--markdown", "print GitHub Markdown tables").conflicts(["json", "html"]))
    .addOption(new Option("--json", "print the matrix as JSON").conflicts("html"))
    .option("--html <file>", "write a self-contained HTML page")
    .option(
      "--public-key <file>",
      "the public key records must be signed with (as verify-evidence)",
    )
    .action(async (drills: string[], flags: ControlsFlags) =>
      done(await (await import("./controls.js")).controlsCommand(drills, flags, io)),
    );

  cli
    .command("coverage")
    .description(
      "every database the environments can see (AWS: RDS instances and Aurora clusters; bucket prefixes and archives drills name; the local sandbox), the drills that restore it and their last pass; exit 1 when any has no drill or no pass within coverage.maxAge (default 35d)",
    )
    .option("--environment <name>", "only this environment (default: all in config)")
    .option("--json", "print the report as JSON")
    .action(async (flags: { environment?: string; json?: boolean }) =>
      done(await (await import("./coverage.js")).coverageCommand(flags, io)),
    );

  cli
    .command("keygen")
    .description(
      "make the ed25519 key pair that signs run records ($XDG_CONFIG_HOME/drill or ~/.config/drill; DRILL_SIGNING_KEY overrides)",
    )
    .option("--force", "replace an existing key (records it signed then need its old public key)")
    .action(async (flags: { force?: boolean }) =>
      done(await (await import("./keygen.js")).keygenCommand(flags, io)),
    );

  cli
    .command("verify-evidence")
    .description(
      "check every stored run record: signature, digest, chain; one line per edited, missing, unsigned or foreign-signed record and exit 1, else a summary and exit 0",
    )
    .argument("[drill...]", "only these drills (default: every drill in the history)")
    .option(
      "--public-key <file>",
      "the public key records must be signed with (default: the signing key's, or signing-key.pub.pem in the config folder)",
    )
    .action(async (drills: string[], flags: { publicKey?: string }) =>
      done(await (await import("./verify-evidence.js")).verifyEvidenceCommand(drills, flags, io)),
    );
}
