import type { ColumnInfo } from "./catalog.js";
import { ibanValid, luhn } from "./patterns.js";

/** A guessed rule for a column and why, for drafts and for "unclassified column" messages. */
export interface Suggestion {
  rule: string;
  why: string;
  pii: boolean;
}

/** Column names that say a person's full name; a bare `name` too (values decide for those). */
export const PERSON_NAME =
  /(^|_)(full_?name|customer_?name|contact_?name|client_?name|person_?name|employee_?name|user_?name|display_?name|owner_?name|holder_?name|recipient_?name|patient_?name)$|^name$/;

const BY_NAME: [RegExp, string, string][] = [
  [/e_?mail/, "{ fake: internet.email, unique: true }", "name says email"],
  [/(first|given|fore)_?name/, "{ fake: person.firstName }", "name says first name"],
  [/(last|sur|family)_?name/, "{ fake: person.lastName }", "name says last name"],
  // Only person-ish "…_name" columns: product_name, category_name or state_name are not people.
  [PERSON_NAME, "{ fake: person.fullName }", "name says a person's name"],
  [/phone|mobile|fax|(^|_)tel(_|$)/, "{ fake: phone.number }", "name says phone"],
  [/street|address|addr_?line/, "{ fake: location.streetAddress }", "name says address"],
  [/zip|postal|post_?code/, "{ fake: location.zipCode }", "name says postal code"],
  [/birth|(^|_)dob(_|$)/, "{ shiftDate: 90d }", "name says date of birth"],
  [/(^|_)ip(_?addr(ess)?)?$/, "{ fake: internet.ip }", "name says IP address"],
  [/card|(^|_)pan(_|$)|iban|ssn|passport|tax_?id|national_?id/, "null", "name says an identifier"],
  [/company|employer|organi[sz]ation/, "{ fake: company.name }", "name says company"],
  [/note|comment|remark|message|bio(_|$)|description/, "{ text: {} }", "free text"],
];

/** Guess from a column's name and type alone (the scrub step's "suggested rule"). */
export function suggestByName(column: ColumnInfo): Suggestion {
  const name = column.name.toLowerCase();
  for (const [re, rule, why] of BY_NAME) {
    if (!re.test(name)) continue;
    if (rule.startsWith("{ shiftDate") && column.category !== "D") continue;
    return { rule, why, pii: true };
  }
  return { rule: "keep", why: "nothing in the name suggests personal data", pii: false };
}

/** Shapes a whole sampled value can have; a column "looks like" one when most samples do. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[A-Za-z]{2,}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/\d{1,2})?$/;
const IPV6 = /^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}(\/\d{1,3})?$/i;
const PHONE_CHARS = /^\+?[\d\s().x-]+$/;
const NAME = /^\p{Lu}[\p{L}'’.-]*( \p{Lu}[\p{L}'’.-]*){1,3}$/u;
const STREET_WORD =
  /\b(street|st|avenue|ave|road|rd|lane|ln|drive|dr|way|boulevard|blvd|court|ct|place|pl|square|sq|terrace|parkway|pkwy|highway|hwy|alley|crescent|close|row|rue|via|calle|avenida)\b/i;
/** Street names written as one word with the street: Hauptstraße, Dorpsweg, Keizersgracht. */
const STREET_SUFFIX =
  /(straße|strasse|str\.|weg|laan|gracht|plein|gasse|allee|vej|gatan|katu)(?!\p{L})/iu;

const digits = (v: string) => v.replace(/\D/g, "").length;

export const looksLike = {
  email: (v: string) => EMAIL.test(v),
  ip: (v: string) => IPV4.test(v) || (v.includes(":") && IPV6.test(v)),
  card: (v: string) => /^[\d -]{13,23}$/.test(v) && luhn(v),
  iban: (v: string) =>
    /^[A-Z]{2}\d{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,4})?$/.test(v) && ibanValid(v),
  // A separator or a "+" tells a phone number from an id made of digits only.
  phone: (v: string) =>
    PHONE_CHARS.test(v) && digits(v) >= 7 && digits(v) <= 16 && /[\s().+-]/.test(v.trim()),
  address: (v: string) =>
    /\d/.test(v) &&
    /\p{L}{2,}/u.test(v) &&
    (STREET_WORD.test(v) || STREET_SUFFIX.test(v) || /^\d{1,6}[A-Za-z]? \p{L}/u.test(v)),
  /** Two to four capitalised words; with `firstNames`, the first must be a known first name. */
  name: (v: string, firstNames?: ReadonlySet<string>) =>
    NAME.test(v) && (!firstNames || firstNames.has(v.split(" ")[0]!.toLowerCase())),
};

export interface ValueOptions {
  /** Lowercase first names (from faker's locale data): tells people from products. */
  firstNames?: ReadonlySet<string>;
  /** Now, for ages (dates of birth). */
  now?: Date;
}

const SHARE = 0.6;

/**
 * Guess from sampled values (text as PostgreSQL prints it). Undefined when nothing personal
 * shows, or too few values were sampled to judge.
 */
export function suggestByValues(
  column: ColumnInfo,
  values: readonly string[],
  opts: ValueOptions = {},
): Suggestion | undefined {
  const sample = values.filter((v) => v.trim() !== "");
  if (sample.length < 5) return undefined;
  const why = (what: string) => `looks like ${what} (sampled ${sample.length} values)`;
  const share = (test: (v: string) => boolean) => sample.filter(test).length / sample.length;
  if (column.category === "D") return birthDates(sample, opts.now ?? new Date(), why);
  if (column.typeName === "inet" || column.typeName === "cidr")
    return share((v) => v.includes(":")) >= 0.5
      ? { rule: "{ fake: internet.ipv6 }", why: why("IPv6 addresses"), pii: true }
      : { rule: "{ fake: internet.ip }", why: why("IP addresses"), pii: true };
  if (column.category !== "S") return undefined;
  if (share(looksLike.email) >= SHARE)
    return { rule: "{ fake: internet.email }", why: why("emails"), pii: true };
  if (share(looksLike.card) >= SHARE)
    return { rule: "null", why: why("card numbers (Luhn)"), pii: true };
  if (share(looksLike.iban) >= SHARE)
    return { rule: "null", why: why("IBANs (mod 97)"), pii: true };
  if (share(looksLike.ip) >= SHARE)
    return { rule: "{ fake: internet.ip }", why: why("IP addresses"), pii: true };
  if (share(looksLike.phone) >= SHARE)
    return { rule: "{ fake: phone.number }", why: why("phone numbers"), pii: true };
  if (share(looksLike.address) >= SHARE)
    return { rule: "{ fake: location.streetAddress }", why: why("street addresses"), pii: true };
  if (share((v) => looksLike.name(v, opts.firstNames)) >= SHARE)
    return { rule: "{ fake: person.fullName }", why: why("people's names"), pii: true };
  return freeText(sample, opts.firstNames);
  return undefined;
}

const INSIDE: [string, (v: string, first?: ReadonlySet<string>) => boolean][] = [
  ["emails", (v) => /[^\s@]+@[^\s@]+\.[A-Za-z]{2,}/.test(v)],
  ["phone numbers", (v) => /\d[\d\s().-]{8,}\d/.test(v)],
  [
    "IBANs",
    (v) =>
      [...v.matchAll(/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g)].some((m) =>
        ibanValid(m[0]),
      ),
  ],
  // A known first name followed by a capitalised word: "Customer Jane Doe asked…".
  [
    "people's names",
    (v, first) =>
      !!first &&
      [...v.matchAll(/(?<!\p{L})(\p{Lu}\p{Ll}+)(?= \p{Lu}\p{L})/gu)].some((m) =>
        first.has(m[1]!.toLowerCase()),
      ),
  ],
];

/** Free text (words around them) with personal data inside longer values. */
function freeText(sample: readonly string[], first?: ReadonlySet<string>): Suggestion | undefined {
  const text = sample.filter((v) => /\p{L}{2,}\s\S/u.test(v));
  const found = INSIDE.map(([what, test]) => ({
    what,
    n: text.filter((v) => test(v, first)).length,
  }));
  const rows = text.filter((v) => INSIDE.some(([, test]) => test(v, first))).length;
  if (rows / sample.length < 0.05) return undefined;
  const what = found.filter((f) => f.n > 0).map((f) => f.what);
  return {
    rule: "{ text: {} }",
    why: `free text with ${what.join(", ")} in ${Math.round((rows / sample.length) * 100)}% of ${sample.length} sampled values`,
    pii: true,
  };
}

/** Dates of birth: most between 18 and 100 years ago, spread over more than a decade. */
function birthDates(
  sample: readonly string[],
  now: Date,
  why: (what: string) => string,
): Suggestion | undefined {
  const years = sample.map((v) => Number(/^(\d{4})-/.exec(v)?.[1])).filter((y) => y > 0);
  if (years.length < 5) return undefined;
  const year = now.getUTCFullYear();
  const adult = years.filter((y) => year - y >= 18 && year - y <= 100).length / years.length;
  if (adult < 0.9 || Math.max(...years) - Math.min(...years) < 10) return undefined;
  return { rule: "{ shiftDate: 90d }", why: why("dates of birth"), pii: true };
}
