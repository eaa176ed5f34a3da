import { CARD_RE, EMAIL_RE, IBAN_RE, PHONE_RE, REPLACEMENTS } from "./patterns.js";
import { lit } from "./sql-literal.js";
import type { CompileEnv } from "./sql.js";

/** The `text` transformer's options: every kind of PII replaced unless some are named. */
export interface TextOptions {
  emails?: boolean | undefined;
  phones?: boolean | undefined;
  cards?: boolean | undefined;
  ibans?: boolean | undefined;
  names?: boolean | undefined;
}

const regexReplace = (x: string, re: string, by: string) =>
  `regexp_replace(${x}, ${lit(re)}, ${lit(by)}, 'g')`;

/**
 * Free text with what `o` names replaced inside it, as an expression on the text `src`.
 * IBANs go before cards and phones: their digit groups look like a card number, which would
 * leave the country code and bank letters behind. Known names go last (see names.ts), through
 * the run's lookup function, only for text with a capital letter in it (when every known name
 * starts with one: the gate says).
 */
export function freeTextExpr(env: CompileEnv, o: TextOptions, src: string): string {
  const all = Object.values(o).every((v) => v === undefined);
  const on = (k: keyof TextOptions) => all || o[k] === true;
  const numbers = (x: string) => {
    if (on("ibans")) x = regexReplace(x, IBAN_RE, REPLACEMENTS.ibans);
    if (on("cards")) x = regexReplace(x, CARD_RE, REPLACEMENTS.cards);
    if (on("phones")) x = regexReplace(x, PHONE_RE, REPLACEMENTS.phones);
    return x;
  };
  // Regular expressions are the slow part: text with no digit and no "@" holds none of these,
  // and an email needs an "@" (its pass is skipped on text without one).
  let out: string;
  if (!on("emails")) {
    out =
      numbers(src) === src
        ? src
        : `case when ${src} ~ '[0-9@]' then ${numbers(src)} else ${src} end`;
  } else {
    const emails = regexReplace(src, EMAIL_RE, REPLACEMENTS.emails);
    const rest = numbers(src) === src ? "" : ` when ${src} ~ '[0-9]' then ${numbers(src)}`;
    out = `case when strpos(${src}, '@') > 0 then ${numbers(emails)}${rest} else ${src} end`;
  }
  if (!on("names") || !env.names) return out;
  return `case when ${env.names.gate}(${src}) then ${env.names.replace}(${out}) else ${out} end`;
}
