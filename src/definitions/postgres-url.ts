import { z } from "zod";

/**
 * The sslmodes drill takes. libpq's `prefer` (its default) and `allow` are refused: both fall
 * back to plain text without saying so and never check the certificate, so whoever sits between
 * drill and the server reads the data and, with password auth, the password. Without an
 * sslmode drill uses `verify-full`: a database drill did not start itself is reached only over
 * verified TLS unless the URL says `disable`.
 */
export const SSL_MODES = ["disable", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];
export const DEFAULT_SSL_MODE: SslMode = "verify-full";

/** What a URL may carry after `?`; anything else would be silently ignored, so it is refused. */
const PARAMS = ["sslmode", "sslrootcert", "sslcert", "sslkey", "host", "port"];

export const urlParams = (text: string) =>
  new URLSearchParams(text.includes("?") ? text.slice(text.indexOf("?") + 1) : "");

/**
 * What is wrong with a postgres URL's parameters, one line each, without the URL (it holds a
 * password). Pure: the files it names are read only when drill connects (src/pg-url.ts).
 */
export function pgUrlProblems(text: string): string[] {
  const params = urlParams(text);
  const problems: string[] = [];
  for (const key of new Set(params.keys()))
    if (!PARAMS.includes(key))
      problems.push(`unknown parameter "${key}" (allowed: ${PARAMS.join(", ")})`);
  const mode = params.get("sslmode");
  const allowed = `allowed: ${SSL_MODES.join(", ")}`;
  if (mode === "prefer" || mode === "allow")
    problems.push(`sslmode=${mode} may fall back to plain text without saying so (${allowed})`);
  else if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode))
    problems.push(`unknown sslmode "${mode}" (${allowed})`);
  if (mode === "verify-ca" && !params.has("sslrootcert"))
    problems.push(
      "sslmode=verify-ca needs sslrootcert=<CA file>: against the public roots any certificate they signed would pass (or use verify-full)",
    );
  if (params.has("sslcert") !== params.has("sslkey"))
    problems.push("sslcert and sslkey go together (the client certificate and its key)");
  return problems;
}

/** A postgres:// URL as the files write it: the scheme, then parameters drill honours. */
export const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, { message: 'expected "postgres://…"' })
  .superRefine((text, ctx) => {
    for (const message of pgUrlProblems(text)) ctx.addIssue({ code: "custom", message });
  });

/** Said beside each postgres URL in the reference. */
export const TLS_DESCRIPTION =
  "TLS as libpq's sslmode: verify-full (the default here), verify-ca, require or disable; prefer and allow are refused (they fall back to plain text); sslrootcert=<CA file> (default: Node's public roots and the RDS CA bundle); sslcert and sslkey for a client certificate; no other parameters";
