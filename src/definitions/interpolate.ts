/**
 * `${NAME}` in a string value is replaced from the environment passed in, so secrets stay out of
 * the repository. `$${` writes a literal `${`. The result lists the values it substituted: they
 * are secrets, and callers use the list to keep them out of every message.
 */
export interface Interpolated {
  value: string;
  /** True when at least one variable was substituted (the value is then treated as secret). */
  substituted: boolean;
  /** Values substituted, for redaction. */
  secrets: string[];
  /** What is wrong; never contains a variable's value. */
  problems: string[];
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOKEN = /\$\$\{|\$\{([^}]*)\}|\$\{/g;

export function interpolate(text: string, env: Record<string, string | undefined>): Interpolated {
  const out: Interpolated = { value: text, substituted: false, secrets: [], problems: [] };
  if (!text.includes("${")) return out;
  out.value = text.replace(TOKEN, (token: string, ref: string | undefined) => {
    if (token === "$${") return "${";
    if (ref === undefined) {
      out.problems.push('unclosed "${" (write "$${" for a literal "${")');
      return token;
    }
    if (!VARIABLE.test(ref)) {
      out.problems.push(
        `invalid environment variable name ${JSON.stringify(ref)} in "\${…}" (letters, digits and _)`,
      );
      return token;
    }
    const value = env[ref];
    if (value === undefined) out.problems.push(`environment variable ${ref} is not set`);
    else if (value === "") out.problems.push(`environment variable ${ref} is set but empty`);
    else {
      out.substituted = true;
      out.secrets.push(value);
      return value;
    }
    return "";
  });
  return out;
}

/**
 * Last line of defence: whatever built a message, a substituted value never reaches the
 * terminal. Very short values are skipped, they would mangle ordinary words and numbers.
 */
export function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of secrets) if (s.length >= 6) out = out.split(s).join("***");
  return out;
}
