/**
 * Everything a record carries (drill, step and check names, messages, measured values) is
 * someone else's text: it goes into the report only through these.
 */
const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text for element content and quoted attribute values alike. */
export const esc = (value: unknown): string =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** A number for an SVG attribute: finite, short, never text from a record. */
export const num = (n: number): string =>
  Number.isFinite(n) ? String(Math.round(n * 10) / 10) : "0";
