import type { DayOfWeek } from "./ocpiTariffSchema.js";

/**
 * Local wall-clock time in an IANA zone through Intl (Node and browsers), for tariff restrictions on
 * time of day, date and day of week. Instants are integer ms since the epoch.
 */
export interface LocalParts {
  /** YYYY-MM-DD */
  readonly date: string;
  /** Seconds since local midnight (0..86399). */
  readonly secondOfDay: number;
  readonly dayOfWeek: DayOfWeek;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "long",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA time zone this runtime knows; never throws. */
export function isTimeZone(zone: string): boolean {
  if (typeof zone !== "string" || zone.length === 0 || zone.length > 64) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

const WEEKDAYS: Record<string, DayOfWeek> = {
  Monday: "MONDAY",
  Tuesday: "TUESDAY",
  Wednesday: "WEDNESDAY",
  Thursday: "THURSDAY",
  Friday: "FRIDAY",
  Saturday: "SATURDAY",
  Sunday: "SUNDAY",
};

function fields(ms: number, zone: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

const memo = new Map<string, LocalParts>();
const MEMO_LIMIT = 50_000;

/** Local date, second of day and weekday of instant `ms` in `zone` (sub-second part ignored). */
export function localParts(ms: number, zone: string): LocalParts {
  const key = `${zone} ${Math.floor(ms / 1000)}`;
  const hit = memo.get(key);
  if (hit) return hit;
  if (memo.size >= MEMO_LIMIT) memo.clear();
  const parts = computeLocalParts(ms, zone);
  memo.set(key, parts);
  return parts;
}

function computeLocalParts(ms: number, zone: string): LocalParts {
  const f = fields(ms, zone);
  return {
    date: `${f.year}-${f.month}-${f.day}`,
    secondOfDay: Number(f.hour) * 3600 + Number(f.minute) * 60 + Number(f.second),
    dayOfWeek: WEEKDAYS[f.weekday!]!,
  };
}

/** Offset of `zone` from UTC at instant `ms`, in ms (local = utc + offset). */
export function offsetAt(ms: number, zone: string): number {
  const p = localParts(ms, zone);
  const [y, m, d] = p.date.split("-").map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) + p.secondOfDay * 1000 - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant at which local wall-clock `date` + `secondOfDay` occurs in `zone`: the first one when
 * it occurs twice; in a DST gap an instant next to the jump (the splitter adds the jump itself).
 */
export function instantOfLocal(date: string, secondOfDay: number, zone: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) + secondOfDay * 1000;
  const candidates = [
    wall - offsetAt(wall - 14 * 3_600_000, zone),
    wall - offsetAt(wall + 14 * 3_600_000, zone),
  ];
  const exact = candidates.filter((t) => t + offsetAt(t, zone) === wall).sort((a, b) => a - b);
  return exact[0] ?? Math.max(...candidates);
}

/** The local calendar date after `date`. */
export function nextDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}
