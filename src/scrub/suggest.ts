import type { ColumnInfo } from "./catalog.js";

/** A guessed rule for a column and why, for drafts and for "unclassified column" messages. */
export interface Suggestion {
  rule: string;
  why: string;
  pii: boolean;
}

const BY_NAME: [RegExp, string, string][] = [
  [/e_?mail/, "{ fake: internet.email, unique: true }", "name says email"],
  [/(first|given|fore)_?name/, "{ fake: person.firstName }", "name says first name"],
  [/(last|sur|family)_?name/, "{ fake: person.lastName }", "name says last name"],
  [
    /(^|_)(full_?name|name|customer_?name|contact_?name|user_?name|display_?name)$/,
    "{ fake: person.fullName }",
    "name says a person's name",
  ],
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
export function suggestByName(c: ColumnInfo): Suggestion {
  const name = c.name.toLowerCase();
  for (const [re, rule, why] of BY_NAME) {
    if (!re.test(name)) continue;
    if (rule.startsWith("{ shiftDate") && c.category !== "D") continue;
    return { rule, why, pii: true };
  }
  return { rule: "keep", why: "nothing in the name suggests personal data", pii: false };
}

/** Guess from sampled values (share of samples matching each shape, 0..1). */
export function suggestByValues(
  c: ColumnInfo,
  shares: { emails: number; phones: number; cards: number; ips: number },
): Suggestion | undefined {
  if (shares.emails > 0.5)
    return { rule: "{ fake: internet.email }", why: `values look like emails`, pii: true };
  if (shares.cards > 0.5)
    return { rule: "null", why: "values look like card numbers (Luhn)", pii: true };
  if (shares.ips > 0.5)
    return { rule: "{ fake: internet.ip }", why: "values look like IP addresses", pii: true };
  if (shares.phones > 0.5)
    return { rule: "{ fake: phone.number }", why: "values look like phone numbers", pii: true };
  if (shares.emails + shares.phones + shares.cards > 0.05 && c.category === "S")
    return {
      rule: "{ text: {} }",
      why: "free text that contains emails or phone numbers",
      pii: true,
    };
  return undefined;
}
