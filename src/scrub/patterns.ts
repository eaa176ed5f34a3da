/**
 * What personal data looks like inside free text, as PostgreSQL regular expressions (ARE), so the
 * `text` transformer and the leak scan run inside the database and agree with each other.
 */
export const EMAIL_RE = "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}";
// Numbers must stand alone: digits inside hashes, ids or words are not phone or card numbers.
const B = "(?<![0-9A-Za-z])";
const E = "(?![0-9A-Za-z])";
/** 13 to 19 digits, optionally grouped by spaces or dashes. */
export const CARD_RE = `${B}(\\d[ -]?){12,18}\\d${E}`;
/**
 * At least 9 digits in phone-like groups: "(555) 123-4567", "+44 20 7946 0958", "555.123.4567 x12";
 * or international with a "+" and short groups, which national formats use: "+31 6 1234 5678",
 * "+33 6 12 34 56 78".
 */
export const PHONE_RE = `${B}((\\+\\d{1,3}[ .-]?)?(\\(\\d{2,4}\\)|\\d{2,4})[ .-]?\\d{3,4}[ .-]?\\d{3,4}|\\+\\d{1,3}[ .-]?\\d{1,4}([ .-]?\\d{2,4}){2,4})( ?x\\d{1,5})?${E}`;
export const IBAN_RE = `${B}[A-Z]{2}\\d{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,4})?${E}`;

export const REPLACEMENTS = {
  emails: "redacted@example.invalid",
  cards: "[card]",
  phones: "[phone]",
  ibans: "[iban]",
} as const;

/** Luhn checksum: most random digit runs fail it, real card numbers pass. */
export function luhn(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, "");
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616 mod-97 check. */
export function ibanValid(candidate: string): boolean {
  const s = candidate.replace(/ /g, "").toUpperCase();
  if (s.length < 15 || s.length > 34) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const v = ch >= "A" && ch <= "Z" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of v) rest = (rest * 10 + Number(digit)) % 97;
  }
  return rest === 1;
}
