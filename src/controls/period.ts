import { inputError } from "../errors.js";

/** `12mo`, `90d`, `52w`, `1y`: a span back from now; or a date such as 2026-01-01 (UTC). */
const SPAN = /^(\d+)(mo|d|w|y)$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/;

export const DEFAULT_SINCE = "12mo";

/** The start of the period `--since` names, in ms; an input error for anything else. */
export function parseSince(text: string, now: number): number {
  const span = SPAN.exec(text);
  if (span) {
    const n = Number(span[1]);
    const at = new Date(now);
    // Months and years as the calendar counts them: 12mo before 2 Dec is 2 Dec a year earlier.
    if (span[2] === "mo") at.setUTCMonth(at.getUTCMonth() - n);
    else if (span[2] === "y") at.setUTCFullYear(at.getUTCFullYear() - n);
    else at.setTime(now - n * (span[2] === "w" ? 7 : 1) * 86_400_000);
    if (n > 0) return at.getTime();
  } else if (DATE.test(text)) {
    const at = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    if (Number.isFinite(at) && at < now) return at;
    if (Number.isFinite(at))
      throw inputError("BAD_SINCE", `--since ${text}: the date is not in the past`);
  }
  throw inputError(
    "BAD_SINCE",
    `--since ${JSON.stringify(text)}: expected a span such as 12mo, 90d, 52w, 1y or a date such as 2026-01-01`,
  );
}

/**
 * The calendar months (UTC, `YYYY-MM`) lying wholly inside [since, now]: a month the period cuts
 * (its first, and the one under way) is not judged, since a drill may have run in its other part.
 */
export function wholeMonths(since: number, now: number): string[] {
  const months: string[] = [];
  const start = new Date(since);
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth();
  if (Date.UTC(y, m, 1) < since) m++;
  for (;;) {
    const first = Date.UTC(y, m, 1);
    const next = Date.UTC(y, m + 1, 1);
    if (next > now) return months;
    const d = new Date(first);
    months.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`);
    y = d.getUTCFullYear();
    m = d.getUTCMonth() + 1;
  }
}

/** `YYYY-MM` of an ISO time. */
export const monthOf = (iso: string): string => new Date(iso).toISOString().slice(0, 7);
