/**
 * Maintenance windows such as `Tue 10:00-12:00 Europe/Berlin`, `Mon-Fri 09:00-17:00`,
 * `Sat,Sun 22:00-02:00 UTC` or `daily 03:00-04:00`. The time zone is optional (the drill's
 * `timezone`, else UTC). A window that ends before it starts runs past midnight.
 */
export interface Window {
  days: ReadonlySet<number>; // 0 = Sunday
  startMin: number;
  endMin: number;
  timeZone: string | undefined;
}

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const PATTERN = /^(\S+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})(?:\s+(\S+))?$/;

export const WINDOW_EXAMPLE = "Tue 10:00-12:00 Europe/Berlin";

/** The window, or a message saying what is wrong with it. */
export function parseWindow(text: string): Window | string {
  const m = PATTERN.exec(text.trim());
  if (!m) return `expected a window such as "${WINDOW_EXAMPLE}" or "Mon-Fri 09:00-17:00"`;
  const days = parseDays(m[1]!.toLowerCase());
  if (typeof days === "string") return days;
  const [h1, m1, h2, m2] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
  if (h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 || (h2 === 24 && m2 !== 0))
    return `invalid time in window "${text}"`;
  const timeZone = m[6];
  if (timeZone !== undefined && !validZone(timeZone))
    return `unknown time zone "${timeZone}" (expected an IANA name such as Europe/Berlin)`;
  const startMin = h1 * 60 + m1;
  const endMin = h2 * 60 + m2;
  if (startMin === endMin) return `window "${text}" is empty`;
  return { days, startMin, endMin, timeZone };
}

function parseDays(spec: string): Set<number> | string {
  if (spec === "daily" || spec === "*") return new Set([0, 1, 2, 3, 4, 5, 6]);
  const out = new Set<number>();
  for (const part of spec.split(",")) {
    const [a, b] = part.split("-").map((d) => DAYS.indexOf(d.slice(0, 3)));
    if (a === undefined || a < 0 || (b !== undefined && b < 0) || part.split("-").length > 2)
      return `unknown day "${part}" (use Mon … Sun, ranges such as Mon-Fri, or daily)`;
    for (let d = a; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === (b ?? a)) break;
    }
  }
  return out;
}

export const validZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** Weekday and minute of the day of `at` in the zone. */
function localTime(at: number, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return {
    day: DAYS.indexOf(get("weekday").toLowerCase()),
    minute: Number(get("hour")) * 60 + Number(get("minute")),
  };
}

export function insideWindow(allowed: Window, at: number, defaultZone = "UTC"): boolean {
  const { day, minute } = localTime(at, allowed.timeZone ?? defaultZone);
  if (allowed.startMin < allowed.endMin)
    return allowed.days.has(day) && minute >= allowed.startMin && minute < allowed.endMin;
  // Past midnight: the evening part belongs to the listed day, the morning part to the day after.
  return (
    (allowed.days.has(day) && minute >= allowed.startMin) ||
    (allowed.days.has((day + 6) % 7) && minute < allowed.endMin)
  );
}
