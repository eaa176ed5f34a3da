import { parse, validateDetailed, type ParsedFields } from "node-cron";

/**
 * node-cron's syntax (5 fields, or 6 with seconds first; names, ranges, steps, `L`, `W`, `#`),
 * parsed by node-cron itself, but matched here against an injected time: node-cron's own tasks
 * read the system clock, and the scheduler must be testable without sleeping. Day of month and
 * day of week must both match, as in node-cron.
 */
export interface CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  /** The first fire time strictly after `after` (epoch ms), or null within ~2 years. */
  next(after: number): number | null;
}

/** Why an expression is not a valid schedule, or undefined. */
export function cronProblem(expression: string): string | undefined {
  const checked = validateDetailed(expression);
  if (!checked.valid) {
    const why = checked.errors.map((e) => e.message).join("; ");
    return `invalid cron expression ${JSON.stringify(expression)}: ${why || "unparsable"} (e.g. "0 4 * * 1": Mondays at 04:00)`;
  }
  return undefined;
}

/** Why a timezone name is unknown, or undefined. */
export function timezoneProblem(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return undefined;
  } catch {
    return `unknown timezone ${JSON.stringify(tz)} (an IANA name such as "Europe/Berlin" or "UTC")`;
  }
}

export function cronSchedule(expression: string, timezone = "UTC"): CronSchedule {
  const fields = parse(expression);
  const offsets = offsetFinder(timezone);
  const minutes = new Set(fields.minute);
  const hours = new Set(fields.hour);
  const months = new Set(fields.month);
  const seconds = [...fields.second].sort((a, b) => a - b);
  const dayCache = new Map<number, boolean>();
  const dayMatches = (y: number, m: number, d: number): boolean => {
    const key = y * 10_000 + m * 100 + d;
    let hit = dayCache.get(key);
    if (hit === undefined) {
      hit =
        months.has(m) && matchesDayOfMonth(fields, y, m, d) && matchesDayOfWeek(fields, y, m, d);
      if (dayCache.size > 1000) dayCache.clear();
      dayCache.set(key, hit);
    }
    return hit;
  };
  return {
    expression,
    timezone,
    next(after) {
      // Walk whole minutes (UTC minutes are local minutes in every zone); seconds within a match.
      const startMinute = Math.floor(after / 60_000) * 60_000;
      const limit = startMinute + 800 * 86_400_000;
      for (let t = startMinute; t < limit; t += 60_000) {
        const local = new Date(t + offsets(t));
        const [y, mo, d] = [local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate()];
        if (!dayMatches(y, mo, d)) {
          // Jump close to the next local midnight; two hours short of it, so a DST change that
          // day cannot make the walk step over the first minutes of the next one.
          const toMidnight = 86_400_000 - (local.getTime() % 86_400_000);
          t += Math.max(0, toMidnight - 7_200_000);
          continue;
        }
        if (!hours.has(local.getUTCHours()) || !minutes.has(local.getUTCMinutes())) continue;
        const second = seconds.find((s) => t + s * 1000 > after);
        if (second !== undefined) return t + second * 1000;
      }
      return null;
    },
  };
}

/** The longest gap between consecutive fire times over the next ~5 weeks: the drill's interval. */
export function expectedInterval(schedule: CronSchedule, from: number): number | null {
  let longest = 0;
  let prev = schedule.next(from);
  if (prev === null) return null;
  const horizon = prev + 35 * 86_400_000;
  while (prev < horizon) {
    const next = schedule.next(prev);
    if (next === null) break;
    longest = Math.max(longest, next - prev);
    prev = next;
  }
  return longest || null;
}

/** UTC offset of a zone at an instant, asked of Intl once per UTC quarter hour (DST changes there). */
function offsetFinder(timezone: string): (t: number) => number {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  });
  const cache = new Map<number, number>();
  return (t) => {
    const quarter = Math.floor(t / 900_000);
    let offset = cache.get(quarter);
    if (offset === undefined) {
      const at = quarter * 900_000;
      const p = Object.fromEntries(format.formatToParts(at).map((x) => [x.type, x.value]));
      const asUtc = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!);
      offset = asUtc - at;
      if (cache.size > 5000) cache.clear();
      cache.set(quarter, offset);
    }
    return offset;
  };
}

const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const weekdayOf = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).getUTCDay();

function nearestWeekday(y: number, m: number, target: number): number {
  const last = lastDay(y, m);
  if (target < 1 || target > last) return -1;
  const wd = weekdayOf(y, m, target);
  if (wd === 6) return target === 1 ? target + 2 : target - 1;
  if (wd === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function matchesDayOfMonth(fields: ParsedFields, y: number, m: number, d: number): boolean {
  return fields.dayOfMonth.some((v) => {
    if (v === d) return true;
    if (v === "L") return d === lastDay(y, m);
    if (typeof v !== "string") return false;
    const w = /^(\d{1,2}|L)W$/.exec(v);
    if (w) return nearestWeekday(y, m, w[1] === "L" ? lastDay(y, m) : Number(w[1])) === d;
    const off = /^L-(\d{1,2})$/.exec(v);
    return off ? lastDay(y, m) - Number(off[1]) === d : false;
  });
}

function matchesDayOfWeek(fields: ParsedFields, y: number, m: number, d: number): boolean {
  const wd = weekdayOf(y, m, d);
  return fields.dayOfWeek.some((v) => {
    if (typeof v === "number") return v % 7 === wd;
    const nth = /^([0-7])#([1-5])$/.exec(v);
    if (nth) return Number(nth[1]) % 7 === wd && Math.floor((d - 1) / 7) + 1 === Number(nth[2]);
    const last = /^([0-7])L$/i.exec(v);
    return last ? Number(last[1]) % 7 === wd && d + 7 > lastDay(y, m) : false;
  });
}
