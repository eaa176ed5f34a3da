import type { ExitCode } from "../errors.js";
import { keygen } from "../evidence/keys.js";
import { writeLine, type Io } from "./io.js";

/** `drill keygen`: an ed25519 key pair for signing evidence, in the user's config folder. */
export async function keygenCommand(flags: { force?: boolean }, io: Io): Promise<ExitCode> {
  const { privateFile, publicFile, keyid } = await keygen(io.env, flags);
  writeLine(io.stdout, `signing key:  ${privateFile} (0600; keep it private, back it up)`);
  writeLine(io.stdout, `public key:   ${publicFile} (hand it to auditors)`);
  writeLine(io.stdout, `keyid:        ${keyid}`);
  writeLine(
    io.stdout,
    "runs stored from now on are signed; check them with `drill verify-evidence`",
  );
  return 0;
}
